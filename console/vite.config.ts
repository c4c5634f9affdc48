// Builds the administrators' console (console/) into dist/console, which the gateway serves at
// /console/. The bundle must run under the gateway's strict Content-Security-Policy (scripts and
// styles from 'self' only, no inline code, no eval), so nothing is inlined: no module-preload
// polyfill, no inlined assets, CSS in its own file.
import path from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/console/',
  // Preact's automatic JSX runtime (console/tsconfig.json says the same to the type-checker).
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    outDir: process.env.CONSOLE_OUT_DIR ?? path.resolve(root, '../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
  },
  // `npm run console:dev`: the page with hot reload, calling a gateway running on port 8080.
  server: {
    proxy: { '/admin': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
  logLevel: 'warn',
});
