/**
 * The gateway's receipt private keys are sealed at rest (AES-256-GCM under the key-encryption key):
 * whoever reads the database reads no private key. A store from an earlier version, holding its key
 * in plaintext, is sealed at start-up and its receipts still verify; a store sealed under another
 * key-encryption key stops start-up rather than have its keys replaced.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyEncryptionKeyFrom } from '../../src/receipts/key-encryption-key.js';
import { isSealed, keyEncryptionKeyId, ReceiptKeySealer, type SealedPrivateKey } from '../../src/receipts/receipt-key-sealing.js';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { submitSignedList } from '../support/submissions.js';
import { disposeTestGateway, embeddedDb, startTestGateway, type TestGateway } from '../support/test-gateway.js';

interface Row {
  kid: string;
  private_jwk: string;
}

let admin: AdminSigningKey;
let euKey: PartnerSigningKey;
let test: TestGateway;
/** A receipt the first gateway signed, before the store was taken back to plaintext. */
let earlierReceipt: string;
let kid: string;

const kekFile = () => path.join(test.dataDir, 'receipt-key-encryption.key');
const rows = () => embeddedDb(test.gateway).prepare('SELECT kid, private_jwk FROM receipt_keys ORDER BY created_at DESC').all() as Row[];
const jwks = async () => (await test.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
const verifies = async (jws: string) =>
  compactVerify(jws, createLocalJWKSet(await jwks())).then(
    () => true,
    () => false,
  );
async function receipt(): Promise<string> {
  const response = await submitSignedList(test.http, euKey);
  expect(response.status).toBe(202);
  return (response.body as { receipt: string }).receipt;
}

beforeAll(async () => {
  [admin, euKey] = await Promise.all([createAdminKey(), createPartnerKey('EU')]);
  test = await startTestGateway({ keys: [euKey], adminKeys: [admin.publicJwk] });
});

afterAll(async () => {
  await disposeTestGateway(test);
});

describe('receipt private keys at rest', () => {
  it('are stored sealed under DATA_DIR/receipt-key-encryption.key (0600), with no "d" member', async () => {
    const kek = keyEncryptionKeyFrom(readFileSync(kekFile()), 'test');
    expect(statSync(kekFile()).mode & 0o777).toBe(0o600);
    const [row, ...others] = rows();
    expect(others).toEqual([]);
    const stored = JSON.parse(row!.private_jwk) as Record<string, unknown>;
    expect(stored).not.toHaveProperty('d');
    expect(isSealed(stored)).toBe(true);
    expect(stored).toMatchObject({ sealed: 'v1', kek: keyEncryptionKeyId(kek) });
    const logs = test.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs.filter((l) => l.level === 'warn' && String(l.message).includes('keep it apart from the data'))).toHaveLength(1);

    earlierReceipt = await receipt();
    kid = decodeProtectedHeader(earlierReceipt).kid!;
    expect(kid).toBe(row!.kid);
  });

  it('never show in jwks.json or in the admin API', async () => {
    const rotated = await adminCall(test.http, admin, 'post', '/receipt-keys/rotate');
    expect(rotated.status).toBe(201);
    const listed = await adminCall(test.http, admin, 'get', '/receipt-keys');
    expect(listed.status).toBe(200);
    const published = await jwks();
    expect(published.keys).toHaveLength(2);
    for (const body of [JSON.stringify(published), JSON.stringify(rotated.body), JSON.stringify(listed.body)]) {
      expect(body).not.toMatch(/"d"|"sealed"|"data"|"tag"/);
    }
    // The rotated key is sealed too.
    expect(rows().map((r) => [r.kid, isSealed(JSON.parse(r.private_jwk))])).toEqual([
      [(rotated.body as { signing: string }).signing, true],
      [kid, true],
    ]);
  });

  it('held in plaintext by an earlier version are sealed at start-up, and its receipts still verify', async () => {
    // The store as an earlier version left it: the private JWKs in plaintext, and no key-encryption key.
    const sealer = new ReceiptKeySealer(keyEncryptionKeyFrom(readFileSync(kekFile()), 'test'));
    const kids = rows().map((r) => r.kid);
    for (const row of rows()) {
      const plaintext = sealer.unseal(row.kid, JSON.parse(row.private_jwk) as SealedPrivateKey);
      expect(plaintext).toHaveProperty('d');
      embeddedDb(test.gateway).prepare('UPDATE receipt_keys SET private_jwk = ? WHERE kid = ?').run(JSON.stringify(plaintext), row.kid);
    }
    await test.stop();
    rmSync(kekFile());

    test = await startTestGateway({ reuse: test });
    expect(existsSync(kekFile())).toBe(true);
    const kekId = keyEncryptionKeyId(keyEncryptionKeyFrom(readFileSync(kekFile()), 'test'));
    expect(kekId).not.toBe(sealer.kekId);
    const logs = test.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs.filter((l) => l.message === 'receipt keys sealed at rest')).toEqual([expect.objectContaining({ level: 'info', kids })]);
    for (const row of rows()) {
      const stored = JSON.parse(row.private_jwk) as Record<string, unknown>;
      expect(stored).not.toHaveProperty('d');
      expect(stored).toMatchObject({ sealed: 'v1', kek: kekId });
    }

    expect((await jwks()).keys.map((k) => k.kid)).toEqual(kids);
    expect(await verifies(earlierReceipt)).toBe(true);
    const later = await receipt();
    expect(decodeProtectedHeader(later).kid).toBe(kids[0]);
    expect(await verifies(later)).toBe(true);
  });

  it('sealed under another key-encryption key stop start-up, naming both, and stay as they are', async () => {
    const expected = keyEncryptionKeyId(keyEncryptionKeyFrom(readFileSync(kekFile()), 'test'));
    const before = rows();
    await test.stop();
    const other = randomBytes(32);
    const refused = startTestGateway({ reuse: test, env: { RECEIPT_KEY_ENCRYPTION_KEY: other.toString('base64') } });
    await expect(refused).rejects.toThrow(
      `receipt key "${before[0]!.kid}" is sealed under key-encryption key ${expected}, but the configured key-encryption key is ${keyEncryptionKeyId(other)}`,
    );

    // The right key, configured explicitly this time (the file's content), starts it on the same keys.
    test = await startTestGateway({ reuse: test, env: { RECEIPT_KEY_ENCRYPTION_KEY_FILE: kekFile() } });
    expect(rows()).toEqual(before);
    expect(await verifies(earlierReceipt)).toBe(true);
  });
});
