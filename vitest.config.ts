import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Component tests share one machine-wide RabbitMQ; each test file uses its own exchange and queues,
    // so files may run in parallel.
    pool: 'forks',
  },
});
