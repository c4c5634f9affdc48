import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configDigest, digestConfigFiles, readConfigFiles, type ConfigFile } from '../../../src/operations/config-digest.js';
import { checkReadiness } from '../../../src/operations/readiness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A CONFIG_DIR with these files (relative path → text), written in the given order. */
function configDir(files: Record<string, string>, order: string[] = Object.keys(files)): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'config-digest-'));
  dirs.push(dir);
  for (const name of order) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), files[name]!);
  }
  return dir;
}

const FILES = {
  'mras.json': '{"arrangements":[]}',
  'admin-keys.json': '{"keys":[]}',
  'partner-keys/EU.json': '{"keys":[{"kid":"eu-1"}]}',
  'partner-keys/JP.json': '{"keys":[{"kid":"jp-1"}]}',
  'partner-keys/KR.json': '{"keys":[{"kid":"kr-1"}]}',
};

const file = (p: string, text: string): ConfigFile => ({ path: p, content: Buffer.from(text) });

describe('configDigest', () => {
  it('is a SHA-256 in hex', () => {
    expect(configDigest(configDir(FILES))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on the order the files are listed in', () => {
    const files = Object.entries(FILES).map(([p, text]) => file(p, text));
    const expected = digestConfigFiles(files);
    // Every rotation and the reversal: whatever order readdir returns, the digest is the same.
    for (let i = 0; i < files.length; i++) expect(digestConfigFiles([...files.slice(i), ...files.slice(0, i)])).toBe(expected);
    expect(digestConfigFiles([...files].reverse())).toBe(expected);
    // And from the file system, written in another order.
    expect(configDigest(configDir(FILES, Object.keys(FILES).reverse()))).toBe(expected);
    expect(configDigest(configDir(FILES))).toBe(expected);
  });

  it.each([
    ['a changed registry', { 'mras.json': '{"arrangements":[1]}' }],
    ['a changed admin key set', { 'admin-keys.json': '{"keys":[{}]}' }],
    ['a changed partner key file', { 'partner-keys/JP.json': '{"keys":[{"kid":"jp-2"}]}' }],
    ['one more partner key file', { 'partner-keys/SG.json': '{"keys":[]}' }],
    ['the same content under another name', { 'partner-keys/KR.json': undefined, 'partner-keys/KO.json': FILES['partner-keys/KR.json'] }],
  ])('changes with %s', (_case, change: Record<string, string | undefined>) => {
    const changed = Object.fromEntries(Object.entries({ ...FILES, ...change }).filter((entry): entry is [string, string] => entry[1] !== undefined));
    expect(configDigest(configDir(changed))).not.toBe(configDigest(configDir(FILES)));
  });

  it('changes when a file is missing (admin-keys.json is optional)', () => {
    const without: Record<string, string> = { ...FILES };
    delete without['admin-keys.json'];
    expect(configDigest(configDir(without))).not.toBe(configDigest(configDir(FILES)));
  });

  it('ignores what the gateway does not read', () => {
    const expected = configDigest(configDir(FILES));
    expect(configDigest(configDir({ ...FILES, 'README.txt': 'notes', 'partner-keys/EU.json.bak': 'old', 'other/x.json': '{}' }))).toBe(expected);
  });

  it('cannot be matched by moving bytes between a name and a content', () => {
    expect(digestConfigFiles([file('mras.json', 'ab')])).not.toBe(digestConfigFiles([file('mras.jsona', 'b')]));
    expect(digestConfigFiles([file('a.json', 'xy'), file('b.json', 'z')])).not.toBe(digestConfigFiles([file('a.json', 'x'), file('b.json', 'yz')]));
  });

  it('reads exactly the files that shape behaviour, by relative path', () => {
    const read = readConfigFiles(configDir({ ...FILES, 'README.txt': 'notes' }));
    expect(read.map((f) => f.path).sort()).toEqual(Object.keys(FILES).sort());
  });
});

describe('readiness shows the digest', () => {
  const sources = (writable: boolean) => ({
    store: { isWritable: async () => writable },
    broker: { connected: true },
    outbox: { backlog: async () => ({ count: 0, oldestCreatedAt: null }) },
    maxBacklogAgeSeconds: 300,
    config: { digest: 'a'.repeat(64) },
  });

  it('as a check of its own, which never changes readiness', async () => {
    const ready = await checkReadiness(sources(true));
    expect(ready).toMatchObject({ status: 'ready', reasons: [], checks: { config: { digest: 'a'.repeat(64) } } });
    const notReady = await checkReadiness(sources(false));
    expect(notReady).toMatchObject({ status: 'not-ready', reasons: ['store-not-writable'], checks: { config: { digest: 'a'.repeat(64) } } });
  });
});
