import { describe, expect, it } from 'vitest';
import type { PartnerKey } from '../../../src/domain/partner-key.js';
import { keyExpiryHorizonSeconds } from '../../../src/operations/key-expiry-horizon.js';

const NOW = new Date('2026-11-29T00:00:00Z');
const DAY = 86_400;

function at(days: number): Date {
  return new Date(NOW.getTime() + days * DAY * 1000);
}

/** The public key of RFC 8032's first Ed25519 test vector: a sound key (the horizon skips unsafe ones). */
const SAFE_JWK = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64url') };

function key(window: { from?: number; until?: number; revokedAt?: number }): PartnerKey {
  return {
    administration: 'EU',
    kid: `k-${JSON.stringify(window)}`,
    jwk: SAFE_JWK,
    notBefore: window.from === undefined ? null : at(window.from),
    notAfter: window.until === undefined ? null : at(window.until),
    revokedAt: window.revokedAt === undefined ? null : at(window.revokedAt),
    revocationReason: null,
    addedAt: at(-100),
  };
}

describe('keyExpiryHorizonSeconds', () => {
  it.each([
    { case: 'no keys', keys: [], days: 0 },
    { case: 'one key without end', keys: [key({})], days: Infinity },
    { case: 'one key ending in 30 days', keys: [key({ until: 30 })], days: 30 },
    { case: 'the later of two active keys', keys: [key({ until: 10 }), key({ until: 40 })], days: 40 },
    { case: 'a rollover: the next key starts before the current one ends', keys: [key({ until: 10 }), key({ from: 5, until: 400 })], days: 400 },
    { case: 'a gap: the next key starts after the current one ends', keys: [key({ until: 10 }), key({ from: 12, until: 400 })], days: 10 },
    { case: 'a chain of three', keys: [key({ until: 10 }), key({ from: 9, until: 20 }), key({ from: 20 })], days: Infinity },
    { case: 'only a pending key', keys: [key({ from: 1 })], days: 0 },
    { case: 'only an expired key', keys: [key({ until: -1 })], days: 0 },
    { case: 'a revoked key', keys: [key({ revokedAt: -1 })], days: 0 },
    { case: 'a revocation scheduled before notAfter', keys: [key({ until: 30, revokedAt: 3 })], days: 3 },
    { case: 'a key ending exactly now', keys: [key({ until: 0 })], days: 0 },
    { case: 'a key starting exactly now', keys: [key({ from: 0, until: 2 })], days: 2 },
  ])('$case: $days days', ({ keys, days }) => {
    expect(keyExpiryHorizonSeconds(keys, NOW)).toBe(days * DAY);
  });

  it('does not count an unsafe key, whatever its window: it is never used', () => {
    const identity = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(`01${'00'.repeat(31)}`, 'hex').toString('base64url') };
    const unsafe = { ...key({}), kid: 'identity', jwk: identity };
    expect(keyExpiryHorizonSeconds([unsafe], NOW)).toBe(0);
    expect(keyExpiryHorizonSeconds([key({ until: 10 }), { ...unsafe, notBefore: at(5) }], NOW)).toBe(10 * DAY);
  });
});
