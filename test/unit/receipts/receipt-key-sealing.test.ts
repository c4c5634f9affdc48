import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isSealed, keyEncryptionKeyId, ReceiptKeySealer, ReceiptKeySealingError, type SealedPrivateKey } from '../../../src/receipts/receipt-key-sealing.js';
import { generateReceiptKey } from '../../../src/receipts/receipt-keys.js';

const kek = randomBytes(32);
const sealer = new ReceiptKeySealer(kek);

/** One bit of a base64url member flipped (its first byte), keeping it well-formed. */
function flipped(value: string): string {
  const bytes = Buffer.from(value, 'base64url');
  bytes[0] = bytes[0]! ^ 0x01;
  return bytes.toString('base64url');
}

describe('ReceiptKeySealer', () => {
  it('seals a private JWK so that nothing of it shows, and opens it again', async () => {
    const key = await generateReceiptKey(new Date());
    const sealed = sealer.seal(key.kid, key.privateJwk);
    expect(Object.keys(sealed).sort()).toEqual(['data', 'iv', 'kek', 'sealed', 'tag']);
    expect(sealed).toMatchObject({ sealed: 'v1', kek: sealer.kekId });
    expect(Buffer.from(sealed.iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64url')).toHaveLength(16);
    const text = JSON.stringify(sealed);
    for (const member of ['d', 'x', 'y'] as const) expect(text).not.toContain(key.privateJwk[member]!);
    expect(sealer.unseal(key.kid, sealed)).toEqual(key.privateJwk);
    // A new IV every time: sealing the same key twice gives different values.
    expect(sealer.seal(key.kid, key.privateJwk).data).not.toBe(sealed.data);
  });

  it('names a KEK by the first 8 bytes of its SHA-256, base64url', () => {
    expect(sealer.kekId).toBe(createHash('sha256').update(kek).digest().subarray(0, 8).toString('base64url'));
    expect(keyEncryptionKeyId(kek)).toBe(sealer.kekId);
    expect(sealer.kekId).toHaveLength(11);
  });

  it('refuses a KEK that is not 32 bytes', () => {
    expect(() => new ReceiptKeySealer(randomBytes(16))).toThrow(RangeError);
    expect(() => new ReceiptKeySealer(randomBytes(33))).toThrow(RangeError);
  });

  it('under another KEK, says which KEK the key was sealed under and which one is configured', async () => {
    const key = await generateReceiptKey(new Date());
    const sealed = sealer.seal(key.kid, key.privateJwk);
    const other = new ReceiptKeySealer(randomBytes(32));
    expect(() => other.unseal(key.kid, sealed)).toThrow(ReceiptKeySealingError);
    expect(() => other.unseal(key.kid, sealed)).toThrow(`sealed under key-encryption key ${sealer.kekId}, but the configured key-encryption key is ${other.kekId}`);
    // The kek member rewritten to the configured one does not help: the data does not open.
    expect(() => other.unseal(key.kid, { ...sealed, kek: other.kekId })).toThrow(/does not open under key-encryption key/);
  });

  it.each([
    ['data', (s: SealedPrivateKey) => ({ ...s, data: flipped(s.data) })],
    ['tag', (s: SealedPrivateKey) => ({ ...s, tag: flipped(s.tag) })],
    ['iv', (s: SealedPrivateKey) => ({ ...s, iv: flipped(s.iv) })],
    ['tag cut short', (s: SealedPrivateKey) => ({ ...s, tag: Buffer.from(s.tag, 'base64url').subarray(0, 8).toString('base64url') })],
    ['data cut short', (s: SealedPrivateKey) => ({ ...s, data: Buffer.from(s.data, 'base64url').subarray(1).toString('base64url') })],
    ['iv not base64url', (s: SealedPrivateKey) => ({ ...s, iv: `${s.iv.slice(0, -1)}+` })],
  ])('refuses a sealed key whose %s was altered', async (_what, alter) => {
    const key = await generateReceiptKey(new Date());
    const sealed = sealer.seal(key.kid, key.privateJwk);
    expect(() => sealer.unseal(key.kid, alter(sealed))).toThrow(ReceiptKeySealingError);
    expect(() => sealer.unseal(key.kid, alter(sealed))).toThrow(`the sealed private key of receipt key "${key.kid}" does not open`);
  });

  it('refuses a sealed key moved onto another key row (the kid is authenticated)', async () => {
    const [one, two] = await Promise.all([generateReceiptKey(new Date()), generateReceiptKey(new Date())]);
    const sealed = sealer.seal(one.kid, one.privateJwk);
    expect(() => sealer.unseal(two.kid, sealed)).toThrow(`the sealed private key of receipt key "${two.kid}" does not open under key-encryption key ${sealer.kekId}`);
    expect(sealer.unseal(one.kid, sealed)).toEqual(one.privateJwk);
  });
});

describe('isSealed', () => {
  it('tells a sealed value from a plaintext JWK and from anything else', async () => {
    const key = await generateReceiptKey(new Date());
    expect(isSealed(sealer.seal(key.kid, key.privateJwk))).toBe(true);
    expect(isSealed(key.privateJwk)).toBe(false);
    expect(isSealed(key.publicJwk)).toBe(false);
    for (const value of [null, undefined, 'v1', 1, [], {}, { sealed: 'v2', kek: 'a', iv: 'b', data: 'c', tag: 'd' }, { sealed: 'v1', kek: 'a', iv: 'b', data: 'c' }, { sealed: 'v1', kek: 'a', iv: 'b', data: 'c', tag: 4 }]) {
      expect(isSealed(value)).toBe(false);
    }
  });
});
