import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/app-config.js';
import { loadMraRegistry } from '../../../src/config/mra-registry-file.js';

const shipped = path.resolve(import.meta.dirname, '../../../config');

function registryDir(content: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mras-'));
  writeFileSync(path.join(dir, 'mras.json'), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

describe('the MRA registry', () => {
  const arrangements = loadMraRegistry(shipped);

  it('ships all 18 arrangements of the domain brief, active', () => {
    expect(arrangements.map((a) => a.code).sort()).toEqual(['BR', 'CA', 'CO', 'DO', 'EU', 'GB', 'GT', 'IL', 'IN', 'JO', 'JP', 'KR', 'MX', 'NZ', 'PE', 'SG', 'TW', 'UY']);
    expect(arrangements.every((a) => a.status === 'active')).toBe(true);
  });

  it('recognizes EU AEOS and AEOF, not AEOC (MRAs are security-only)', () => {
    const eu = arrangements.find((a) => a.code === 'EU')!;
    expect(eu.certificateTypes).toEqual(['AEOS', 'AEOF', 'AEOC']);
    expect(eu.recognizedCertificateTypes).toEqual(['AEOS', 'AEOF']);
    expect(eu.countries).toHaveLength(27);
  });

  it.each([
    ['not JSON', '{', 'CONFIG_DIR/mras.json'],
    ['a bad status', { arrangements: [{ ...arrangements[0], status: 'dormant' }] }, 'CONFIG_DIR/mras.json/arrangements/0/status'],
    ['a duplicate code', { arrangements: [arrangements[0], arrangements[0]] }, 'CONFIG_DIR/mras.json/arrangements/1/code'],
    ['a recognized type the program does not issue', { arrangements: [{ ...arrangements[0], recognizedCertificateTypes: ['XYZ'] }] }, 'CONFIG_DIR/mras.json/arrangements/0/recognizedCertificateTypes'],
  ])('stops start-up on %s, naming the field', (_name, content, field) => {
    const dir = registryDir(content);
    expect(() => loadMraRegistry(dir)).toThrow(ConfigError);
    try {
      loadMraRegistry(dir);
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
    }
  });
});
