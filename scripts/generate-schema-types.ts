/**
 * Generates TypeScript types from the JSON Schemas in schemas/, so the wire formats are written once.
 * `npm run generate:types` rewrites src/domain/generated/; a unit test fails when they are stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { schemaTypeSources } from './schema-type-sources.js';

const root = fileURLToPath(new URL('..', import.meta.url));

for (const source of schemaTypeSources) {
  const text = await source.render(root);
  const target = `${root}${source.target}`;
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== text) {
    await writeFile(target, text);
    process.stdout.write(`wrote ${source.target}\n`);
  }
}
