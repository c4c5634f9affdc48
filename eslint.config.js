// Lint rules: the recommended type-aware set, plus the dependency rule that keeps the domain free of
// transport concerns (no Express, no amqplib, no SQLite or PostgreSQL inside src/domain).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      eqeqeq: 'error',
      // Ports are async so that a networked store can implement them; SQLite implements them synchronously.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['express', 'express/*'], message: 'The domain does not know about HTTP.' },
            { group: ['amqplib', 'amqplib/*'], message: 'The domain does not know about RabbitMQ.' },
            { group: ['better-sqlite3', 'pg', 'pg/*', 'rate-limiter-flexible'], message: 'The domain reaches storage through its ports.' },
            { group: ['**/http/**', '**/messaging/**', '**/store/**'], message: 'The domain depends on nothing outside it.' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
);
