import { exportJWK, generateKeyPair } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ROLES } from '../../../src/admin/admin-key.js';
import { loadAdminKeys } from '../../../src/config/admin-key-file.js';
import { ConfigError } from '../../../src/config/app-config.js';
import { weakKeyCases } from '../../support/weak-keys.js';

const dirs: string[] = [];
function configDir(content?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'admin-keys-'));
  dirs.push(dir);
  if (content !== undefined) writeFileSync(path.join(dir, 'admin-keys.json'), content);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function keyPair(alg: string, kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { publicJwk: { ...(await exportJWK(publicKey)), kid }, privateJwk: { ...(await exportJWK(privateKey)), kid } };
}

describe('loadAdminKeys (CONFIG_DIR/admin-keys.json)', () => {
  it('returns undefined when the file does not exist', () => {
    expect(loadAdminKeys(configDir())).toBeUndefined();
  });

  it('reads public keys with every role by default, or the roles given', async () => {
    const alice = await keyPair('ES256', 'alice');
    const auditor = await keyPair('EdDSA', 'auditor');
    const keys = loadAdminKeys(configDir(JSON.stringify({ keys: [alice.publicJwk, { ...auditor.publicJwk, roles: ['audit', 'audit'] }] })));
    expect(keys).toEqual([
      { kid: 'alice', jwk: alice.publicJwk, roles: [...ADMIN_ROLES] },
      { kid: 'auditor', jwk: auditor.publicJwk, roles: ['audit'] },
    ]);
    expect(loadAdminKeys(configDir('{"keys": []}'))).toEqual([]);
  });

  it('stops start-up on anything wrong, naming the field', async () => {
    const ec = await keyPair('ES256', 'ec');
    const rsa1024 = { kty: 'RSA', kid: 'small', e: 'AQAB', n: Buffer.alloc(128, 1).toString('base64url') };
    const cases: { name: string; content: string; field: string }[] = [
      { name: 'not JSON', content: '{"keys": [', field: 'CONFIG_DIR/admin-keys.json' },
      { name: 'an array', content: '[]', field: 'CONFIG_DIR/admin-keys.json' },
      { name: 'no keys member', content: '{}', field: 'CONFIG_DIR/admin-keys.json' },
      { name: 'a private key', content: JSON.stringify({ keys: [ec.privateJwk] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { name: 'a symmetric key', content: JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { name: 'an HMAC alg', content: JSON.stringify({ keys: [{ ...ec.publicJwk, alg: 'HS256' }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { name: 'an RS256 alg (PSS only)', content: JSON.stringify({ keys: [{ ...rsa1024, n: Buffer.alloc(256, 1).toString('base64url'), alg: 'RS256' }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { name: 'RSA under 2048 bits', content: JSON.stringify({ keys: [rsa1024] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { name: 'no kid', content: JSON.stringify({ keys: [{ ...ec.publicJwk, kid: undefined }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { name: 'a point off the curve', content: JSON.stringify({ keys: [{ ...ec.publicJwk, y: ec.publicJwk.x }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { name: 'a null entry', content: JSON.stringify({ keys: [null] }), field: 'CONFIG_DIR/admin-keys.json/keys/0' },
      { name: 'a duplicate kid', content: JSON.stringify({ keys: [ec.publicJwk, ec.publicJwk] }), field: 'CONFIG_DIR/admin-keys.json/keys/1/kid' },
      { name: 'an unknown role', content: JSON.stringify({ keys: [{ ...ec.publicJwk, roles: ['keys', 'root'] }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0/roles' },
      { name: 'empty roles', content: JSON.stringify({ keys: [{ ...ec.publicJwk, roles: [] }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0/roles' },
      { name: 'roles as a string', content: JSON.stringify({ keys: [{ ...ec.publicJwk, roles: 'audit' }] }), field: 'CONFIG_DIR/admin-keys.json/keys/0/roles' },
    ];
    for (const { name, content, field } of cases) {
      let thrown: unknown;
      try {
        loadAdminKeys(configDir(content));
      } catch (error) {
        thrown = error;
      }
      expect(thrown, name).toBeInstanceOf(ConfigError);
      expect({ name, field: (thrown as ConfigError).field }).toEqual({ name, field });
    }
  });

  it('stops start-up on a weak or degenerate key, or an unsafe kid, naming the key (a forged token could pass such a key)', async () => {
    const sound = await keyPair('EdDSA', 'sound');
    for (const { name, jwk } of weakKeyCases('admin')) {
      let thrown: unknown;
      try {
        loadAdminKeys(configDir(JSON.stringify({ keys: [sound.publicJwk, jwk] })));
      } catch (error) {
        thrown = error;
      }
      expect(thrown, name).toBeInstanceOf(ConfigError);
      expect({ name, field: (thrown as ConfigError).field }).toEqual({ name, field: 'CONFIG_DIR/admin-keys.json/keys/1' });
    }
  });
});
