import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { isSealed, ReceiptKeySealer, ReceiptKeySealingError } from '../../../src/receipts/receipt-key-sealing.js';
import { generateReceiptKey, ReceiptKeys, type GeneratedReceiptKey } from '../../../src/receipts/receipt-keys.js';
import { sealReceiptKeysAtRest } from '../../../src/receipts/receipt-keys-at-rest.js';
import { SqliteGatewayStore } from '../../../src/store/sqlite/sqlite-gateway-store.js';
import { temporaryDirectories } from '../../support/temp-dirs.js';

const directory = temporaryDirectories('receipt-keys-at-rest-');

function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** A receipt_keys row as an earlier version wrote it: the private JWK in plaintext. */
function writePlaintext(store: SqliteGatewayStore, key: GeneratedReceiptKey): void {
  store.database.db
    .prepare('INSERT INTO receipt_keys (kid, private_jwk, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?)')
    .run(key.kid, JSON.stringify(key.privateJwk), JSON.stringify(key.publicJwk), key.createdAt.getTime(), key.retiredAt?.getTime() ?? null);
}

function storedPrivateKeys(store: SqliteGatewayStore): Map<string, unknown> {
  const rows = store.database.db.prepare('SELECT kid, private_jwk FROM receipt_keys').all() as { kid: string; private_jwk: string }[];
  return new Map(rows.map((row) => [row.kid, JSON.parse(row.private_jwk) as unknown]));
}

describe('sealing receipt keys at rest at start-up', () => {
  it('seals every plaintext key in place (retired ones too), leaves sealed ones as they are, and logs the kids at info', async () => {
    const store = SqliteGatewayStore.open(directory());
    const sealer = new ReceiptKeySealer(randomBytes(32));
    const old = await generateReceiptKey(new Date(Date.now() - 2000));
    const retired = { ...(await generateReceiptKey(new Date(Date.now() - 3000))), retiredAt: new Date() };
    writePlaintext(store, old);
    writePlaintext(store, retired);
    const already = await generateReceiptKey(new Date(Date.now() - 1000));
    await store.receiptKeys.add({ ...already, privateJwk: sealer.seal(already.kid, already.privateJwk) });
    const sealedBefore = storedPrivateKeys(store).get(already.kid);

    const { logger, lines } = capturedLogger();
    await sealReceiptKeysAtRest(store.admin, sealer, logger);
    const stored = storedPrivateKeys(store);
    expect([...stored.values()].every(isSealed)).toBe(true);
    expect(stored.get(already.kid)).toEqual(sealedBefore);
    for (const key of [old, retired]) expect(sealer.unseal(key.kid, stored.get(key.kid) as never)).toEqual(key.privateJwk);
    expect(lines()).toEqual([expect.objectContaining({ level: 'info', message: 'receipt keys sealed at rest', kids: expect.arrayContaining([old.kid, retired.kid]) as unknown })]);
    expect((lines()[0]!.kids as string[]).length).toBe(2);
    // Nothing else of the rows changed, and no audit entry was written.
    expect((await store.admin.receiptKeys()).map((k) => [k.kid, k.publicJwk, k.createdAt, k.retiredAt])).toEqual(
      [already, old, retired].map((k) => [k.kid, k.publicJwk, k.createdAt, k.retiredAt]),
    );
    expect(await store.admin.auditEntries(0, 10)).toEqual([]);

    // Once sealed, a second start has nothing to do and logs nothing; the keys sign.
    const again = capturedLogger();
    await sealReceiptKeysAtRest(store.admin, sealer, again.logger);
    expect(again.lines()).toEqual([]);
    expect((await ReceiptKeys.load(store.receiptKeys, sealer)).signingKid).toBe(already.kid);
    await store.close();
  });

  it('stops at a key sealed under another KEK and seals nothing (all or none)', async () => {
    const store = SqliteGatewayStore.open(directory());
    const previous = new ReceiptKeySealer(randomBytes(32));
    const configured = new ReceiptKeySealer(randomBytes(32));
    const sealed = await generateReceiptKey(new Date(Date.now() - 1000));
    await store.receiptKeys.add({ ...sealed, privateJwk: previous.seal(sealed.kid, sealed.privateJwk) });
    const plaintext = await generateReceiptKey(new Date(Date.now() - 2000));
    writePlaintext(store, plaintext);

    const attempt = sealReceiptKeysAtRest(store.admin, configured, capturedLogger().logger);
    await expect(attempt).rejects.toBeInstanceOf(ReceiptKeySealingError);
    await expect(attempt).rejects.toThrow(
      `receipt key "${sealed.kid}" is sealed under key-encryption key ${previous.kekId}, but the configured key-encryption key is ${configured.kekId}`,
    );
    expect(storedPrivateKeys(store).get(plaintext.kid)).toEqual(plaintext.privateJwk);
    await expect(ReceiptKeys.load(store.receiptKeys, configured)).rejects.toThrow(ReceiptKeySealingError);
    await store.close();
  });

  it.each([
    ['sealed in a form it does not know', { sealed: 'v2', kek: 'x', iv: 'y', data: 'z', tag: 't' }, /sealed in a form this version does not know \(sealed: "v2"\)/],
    ['a public key', { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'BBBB' }, /neither sealed nor a private JWK/],
    ['not an object', 'secret', /neither sealed nor a private JWK/],
  ])('stops at a stored private key that is %s', async (_what, value, message) => {
    const store = SqliteGatewayStore.open(directory());
    const key = await generateReceiptKey(new Date());
    store.database.db
      .prepare('INSERT INTO receipt_keys (kid, private_jwk, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, NULL)')
      .run(key.kid, JSON.stringify(value), JSON.stringify(key.publicJwk), key.createdAt.getTime());
    await expect(sealReceiptKeysAtRest(store.admin, new ReceiptKeySealer(randomBytes(32)), capturedLogger().logger)).rejects.toThrow(message);
    await store.close();
  });
});

describe('ReceiptKeys with a sealer', () => {
  it('stores its first key sealed, signs with it, and publishes only the public part', async () => {
    const store = SqliteGatewayStore.open(directory());
    const sealer = new ReceiptKeySealer(randomBytes(32));
    const keys = await ReceiptKeys.load(store.receiptKeys, sealer);
    const [stored] = await store.receiptKeys.unretired();
    expect(isSealed(stored!.privateJwk)).toBe(true);
    expect(keys.jwks().keys).toEqual([stored!.publicJwk]);
    expect(keys.jwks().keys[0]).not.toHaveProperty('d');
    expect(await keys.sign({ messageId: 'm-1' })).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const fresh = await keys.newKey(new Date());
    expect(isSealed(fresh.privateJwk)).toBe(true);
    expect(sealer.unseal(fresh.kid, fresh.privateJwk)).toHaveProperty('d');
    await store.close();
  });

  it('refuses to sign with a key stored unsealed (an earlier version on the same store)', async () => {
    const store = SqliteGatewayStore.open(directory());
    writePlaintext(store, await generateReceiptKey(new Date()));
    await expect(ReceiptKeys.load(store.receiptKeys, new ReceiptKeySealer(randomBytes(32)))).rejects.toThrow(/is stored unsealed/);
    await store.close();
  });
});
