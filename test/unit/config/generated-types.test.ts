import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaTypeSources } from '../../../scripts/schema-type-sources.js';

const root = path.resolve(import.meta.dirname, '../../..') + '/';

describe('types generated from schemas/', () => {
  it.each(schemaTypeSources.map((s) => [s.target, s] as const))('%s is up to date (run npm run generate:types)', async (_target, source) => {
    expect(readFileSync(path.join(root, source.target), 'utf8')).toBe(await source.render(root));
  });
});
