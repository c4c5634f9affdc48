import { ed25519 } from '@noble/curves/ed25519.js';
import { createPublicKey, generateKeyPairSync, verify, type JsonWebKey } from 'node:crypto';
import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import { isUsableAt, partnerKeyState, partnerKeyWeakness, type PartnerKey } from '../../../src/domain/partner-key.js';
import { checkPartnerJwk, kidFault } from '../../../src/domain/partner-key-policy.js';
import { publicKeyWeakness } from '../../../src/domain/public-key-strength.js';
import { parseJwsEnvelope } from '../../../src/domain/signature/jws-envelope.js';
import { importVerificationKey, verifyJwsSignature } from '../../../src/domain/signature/jws-signature-check.js';
import { MemberListVerifier } from '../../../src/domain/signature/member-list-verifier.js';
import { handmadeCompact, MEMBER_LIST_TYP } from '../../support/jws.js';
import { ED25519_SMALL_ORDER_POINTS, ed25519IdentityJwk, identityKeySignature, weakKeyCases } from '../../support/weak-keys.js';

const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'EdDSA'];
const NOW = new Date('2026-11-29T12:00:00Z');

function stored(jwk: JWK, changes: Partial<PartnerKey> = {}): PartnerKey {
  return { administration: 'EU', kid: 'k', jwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date(0), ...changes };
}

function refusal(jwk: unknown): string | undefined {
  try {
    checkPartnerJwk(jwk, ALGORITHMS);
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'invalid-partner-key') return error.message;
    throw error;
  }
  return undefined;
}

describe('the premise: node:crypto imports degenerate keys and verifies what they "sign"', () => {
  it('verifies a signature made without any private key with the Ed25519 identity point', () => {
    const key = createPublicKey({ key: ed25519IdentityJwk('identity') as JsonWebKey, format: 'jwk' });
    expect(verify(null, Buffer.from('any message at all'), key, identityKeySignature())).toBe(true);
  });

  it('lets the gateway\'s own signature check accept a forged member list for that key, were the key ever tried', () => {
    const jws = handmadeCompact({ alg: 'EdDSA', kid: 'identity', typ: MEMBER_LIST_TYP }, { administration: 'EU' }, identityKeySignature());
    const key = importVerificationKey(ed25519IdentityJwk('identity'), 'EdDSA');
    expect(key).toBeDefined();
    expect(verifyJwsSignature(parseJwsEnvelope(Buffer.from(jws), 'compact')[0]!, key!)).toBeDefined();
  });

  it('takes every listed small-order encoding as a point of small order (checked independently with ZIP 215 decoding)', () => {
    for (const { name, x } of ED25519_SMALL_ORDER_POINTS) {
      expect(ed25519.Point.fromBytes(Buffer.from(x, 'base64url'), true).isSmallOrder(), name).toBe(true);
    }
    expect(new Set(ED25519_SMALL_ORDER_POINTS.map((p) => p.x)).size).toBe(ED25519_SMALL_ORDER_POINTS.length);
  });
});

describe('publicKeyWeakness and the partner key policy', () => {
  it.each(weakKeyCases('weak'))('refuses $name, with a reason', ({ jwk }) => {
    expect(refusal(jwk)).toMatch(/^Partner key refused: .+\.$/);
  });

  it('gives the reason for the key material itself, whatever the kid', () => {
    for (const { name, jwk } of weakKeyCases('weak').filter((c) => !c.name.startsWith('kid:'))) {
      expect(publicKeyWeakness(jwk), name).toEqual(expect.any(String));
    }
  });

  it('accepts sound keys of every type and curve', () => {
    const keys: JWK[] = [
      ...[2048, 3072, 4096].map((modulusLength) => generateKeyPairSync('rsa', { modulusLength }).publicKey.export({ format: 'jwk' }) as JWK),
      ...['P-256', 'P-384', 'P-521'].flatMap((namedCurve) => Array.from({ length: 5 }, () => generateKeyPairSync('ec', { namedCurve }).publicKey.export({ format: 'jwk' }) as JWK)),
      ...Array.from({ length: 10 }, () => generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as JWK),
    ];
    for (const jwk of keys) {
      expect(publicKeyWeakness(jwk), JSON.stringify(jwk)).toBeUndefined();
      expect(refusal({ ...jwk, kid: 'eu-2026' })).toBeUndefined();
    }
  });

  it('counts RSA bits by value, not by the length of "n"', () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const n = Buffer.from((rsa1024.export({ format: 'jwk' }) as JWK).n!, 'base64url');
    const padded = { kty: 'RSA', e: 'AQAB', n: Buffer.concat([Buffer.alloc(128), n]).toString('base64url') };
    // OpenSSL takes it, and says what it is; the old policy counted 256 bytes as 2048 bits.
    expect(createPublicKey({ key: padded as JsonWebKey, format: 'jwk' }).asymmetricKeyDetails?.modulusLength).toBe(1024);
    expect(publicKeyWeakness(padded)).toMatch(/1024 bits/);
  });

  it('accepts kids of any script, and refuses the unsafe ones', () => {
    for (const kid of ['eu-2026', 'Zoll-Schlüssel-1', '税関-鍵-2026', 'key 🔑 1', 'a'.repeat(256)]) expect(kidFault(kid), kid).toBeUndefined();
    for (const kid of ['', 'a'.repeat(257), '\uDC00x', 'x\uD800', 'tab\there', 'del\u007F', 'c1\u009B', '\u202Aembed', '\u202Doverride', '\u2069pop', 42, undefined]) {
      expect(kidFault(kid), JSON.stringify(kid)).toEqual(expect.any(String));
    }
  });
});

describe('a weak key already in the store', () => {
  it('is in state unsafe, whatever its window, and never usable', () => {
    const identity = ed25519IdentityJwk('identity');
    expect(partnerKeyState(stored(identity), NOW)).toBe('unsafe');
    expect(partnerKeyState(stored(identity, { notBefore: new Date('2030-01-01T00:00:00Z') }), NOW)).toBe('unsafe');
    expect(partnerKeyState(stored(identity, { notAfter: new Date('2030-01-01T00:00:00Z') }), NOW)).toBe('unsafe');
    expect(isUsableAt(stored(identity), NOW)).toBe(false);
    expect(partnerKeyWeakness(stored(identity))).toMatch(/identity/);
    // Revoked is what an administrator made of it, and final.
    expect(partnerKeyState(stored(identity, { revokedAt: new Date('2026-01-01T00:00:00Z'), revocationReason: 'unsafe' }), NOW)).toBe('revoked');
  });

  it('leaves sound keys as they were', () => {
    const sound = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as JWK;
    expect(partnerKeyState(stored(sound), NOW)).toBe('active');
    expect(partnerKeyState(stored(sound, { notAfter: new Date('2030-01-01T00:00:00Z') }), NOW)).toBe('retiring');
    expect(isUsableAt(stored(sound), NOW)).toBe(true);
    expect(partnerKeyWeakness(stored(sound))).toBeUndefined();
  });

  it('is refused by the verifier as inactive-key, so a signature made without a private key gets nowhere', async () => {
    const keys = [stored(ed25519IdentityJwk('eu-identity'), { kid: 'eu-identity' })];
    const verifier = new MemberListVerifier({ findByKid: async (kid) => keys.filter((k) => k.kid === kid) }, { now: () => NOW }, ALGORITHMS);
    const jws = handmadeCompact({ alg: 'EdDSA', kid: 'eu-identity', typ: MEMBER_LIST_TYP }, { administration: 'EU' }, identityKeySignature());
    const error: unknown = await verifier.verify(Buffer.from(jws), 'compact').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('inactive-key');
  });
});
