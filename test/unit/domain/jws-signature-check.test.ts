import { constants, createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { CompactSign, exportJWK, FlattenedSign, flattenedVerify, generateKeyPair, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/domain/clock.js';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import type { PartnerKey } from '../../../src/domain/partner-key.js';
import { parseJwsEnvelope, type FlattenedSignature } from '../../../src/domain/signature/jws-envelope.js';
import { importVerificationKey, verifyJwsSignature, type VerificationKey } from '../../../src/domain/signature/jws-signature-check.js';
import { MemberListVerifier } from '../../../src/domain/signature/member-list-verifier.js';

const TYP = 'mra-member-list+json';
const ALGORITHMS = ['ES256', 'ES384', 'PS256', 'EdDSA'] as const;
type Alg = (typeof ALGORITHMS)[number];

interface Signer {
  alg: Alg;
  kid: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
  privateJwk: JWK;
}

async function createSigner(alg: Alg, kid: string = `${alg.toLowerCase()}-key`): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicJwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
}

async function signCompact(payload: Uint8Array, signer: Signer, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(payload).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: TYP, ...header }).sign(signer.privateKey);
}

function compact(jws: string): FlattenedSignature {
  return parseJwsEnvelope(Buffer.from(jws), 'compact')[0]!;
}

function keyFor(jwk: JWK, alg: string): VerificationKey {
  const key = importVerificationKey(jwk, alg);
  if (!key) throw new Error(`the key does not fit ${alg}`);
  return key;
}

function gatewayErrorCode(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof GatewayError) return error.code;
    throw error;
  }
  return undefined;
}

/** A MemberListVerifier over an in-memory key store that holds exactly `keys`. */
function verifierWith(keys: { kid: string; jwk: JWK; administration?: string }[]): MemberListVerifier {
  const store: PartnerKey[] = keys.map(({ kid, jwk, administration }) => ({
    administration: administration ?? 'EU',
    kid,
    jwk,
    notBefore: null,
    notAfter: null,
    revokedAt: null,
    revocationReason: null,
    addedAt: new Date(0),
  }));
  return new MemberListVerifier({ findByKid: async (kid) => store.filter((key) => key.kid === kid) }, systemClock, ALGORITHMS);
}

async function rejectionCode(verifier: MemberListVerifier, body: string, serialization: 'compact' | 'json' = 'compact'): Promise<string> {
  const error: unknown = await verifier.verify(Buffer.from(body), serialization).then(
    () => 'accepted',
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error.code;
}

const payload = Buffer.from(JSON.stringify({ specVersion: '1.0', administration: 'EU', members: [{ memberId: 'DE123', name: 'Ä Ö Ü – 日本' }] }));

const signers = {} as Record<Alg, Signer>;
const strangers = {} as Record<Alg, Signer>;

beforeAll(async () => {
  for (const alg of ALGORITHMS) {
    signers[alg] = await createSigner(alg);
    strangers[alg] = await createSigner(alg, signers[alg].kid);
  }
});

describe.each(ALGORITHMS)('%s signatures verified with node:crypto', (alg) => {
  it('verifies a compact JWS signed by jose and returns the payload bytes jose returns', async () => {
    const signature = compact(await signCompact(payload, signers[alg]));
    const result = verifyJwsSignature(signature, keyFor(signers[alg].publicJwk, alg));
    expect(result).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(result!).equals(payload)).toBe(true);
    const byJose = await flattenedVerify({ protected: signature.protected, payload: signature.payload.toString('latin1'), signature: signature.signature }, signers[alg].publicJwk, { algorithms: [alg] });
    expect(Buffer.from(result!).equals(Buffer.from(byJose.payload))).toBe(true);
  });

  it('verifies a flattened JWS signed by jose', async () => {
    const jws = await new FlattenedSign(payload).setProtectedHeader({ alg, kid: signers[alg].kid, typ: TYP }).sign(signers[alg].privateKey);
    const [signature] = parseJwsEnvelope(Buffer.from(JSON.stringify(jws)), 'json');
    const result = verifyJwsSignature(signature!, keyFor(signers[alg].publicJwk, alg));
    expect(Buffer.from(result!).equals(payload)).toBe(true);
  });

  it('verifies a payload of several slices whose length is not a multiple of 3', async () => {
    const large = randomBytes(700_001);
    const result = verifyJwsSignature(compact(await signCompact(large, signers[alg])), keyFor(signers[alg].publicJwk, alg));
    expect(Buffer.from(result!).equals(large)).toBe(true);
  });

  it('verifies an empty payload', async () => {
    const jws = await new FlattenedSign(new Uint8Array(0)).setProtectedHeader({ alg, kid: signers[alg].kid, typ: TYP }).sign(signers[alg].privateKey);
    expect(verifyJwsSignature({ protected: jws.protected!, payload: Buffer.from(jws.payload), signature: jws.signature }, keyFor(signers[alg].publicJwk, alg))).toEqual(new Uint8Array(0));
  });

  it('accepts the key through the verifier, with the owning administration', async () => {
    const verifier = verifierWith([{ kid: signers[alg].kid, jwk: signers[alg].publicJwk, administration: 'JP' }]);
    const result = await verifier.verify(Buffer.from(await signCompact(payload, signers[alg])), 'compact');
    expect(result).toMatchObject({ administration: 'JP', kid: signers[alg].kid });
    expect(Buffer.from(result.payload).equals(payload)).toBe(true);
  });

  describe('does not verify', () => {
    const cases: [string, (jws: string) => Promise<string> | string][] = [
      ['a tampered payload', (jws) => {
        const [header, , signature] = jws.split('.');
        return `${header}.${Buffer.from(JSON.stringify({ specVersion: '1.0', administration: 'EU', members: [] })).toString('base64url')}.${signature}`;
      }],
      ['a tampered protected header', (jws) => {
        const [, body, signature] = jws.split('.');
        // Still acceptable to the header policy: typ may carry the application/ prefix.
        const header = Buffer.from(JSON.stringify({ alg, kid: signers[alg].kid, typ: `application/${TYP}` })).toString('base64url');
        return `${header}.${body}.${signature}`;
      }],
      ['a truncated signature', (jws) => {
        const [header, body, signature] = jws.split('.');
        return `${header}.${body}.${Buffer.from(signature!, 'base64url').subarray(0, -1).toString('base64url')}`;
      }],
      ['an extended signature', (jws) => {
        const [header, body, signature] = jws.split('.');
        return `${header}.${body}.${Buffer.concat([Buffer.from(signature!, 'base64url'), Buffer.from([0])]).toString('base64url')}`;
      }],
      ['the signature of another key', () => signCompact(payload, strangers[alg])],
    ];

    it.each(cases)('%s', async (_name, alter) => {
      const jws = await alter(await signCompact(payload, signers[alg]));
      expect(verifyJwsSignature(compact(jws), keyFor(signers[alg].publicJwk, alg))).toBeUndefined();
      expect(await rejectionCode(verifierWith([{ kid: signers[alg].kid, jwk: signers[alg].publicJwk }]), jws)).toBe('bad-signature');
    });
  });

  it('refuses a private JWK registered as the key, even with a valid signature', async () => {
    const key = importVerificationKey(signers[alg].privateJwk, alg);
    expect(key).toBeDefined();
    const jws = await signCompact(payload, signers[alg]);
    expect(gatewayErrorCode(() => verifyJwsSignature(compact(jws), key!))).toBe('bad-signature');
    expect(await rejectionCode(verifierWith([{ kid: signers[alg].kid, jwk: signers[alg].privateJwk }]), jws)).toBe('bad-signature');
  });

  it('refuses an oct key', async () => {
    const jwk: JWK = { kty: 'oct', k: Buffer.from(JSON.stringify(signers[alg].publicJwk)).toString('base64url') };
    const jws = await signCompact(payload, signers[alg]);
    expect(gatewayErrorCode(() => verifyJwsSignature(compact(jws), keyFor(jwk, alg)))).toBe('bad-signature');
    expect(importVerificationKey({ kty: 'oct' }, alg)).toBeUndefined();
    // In the store it is never even tried: a key that is not a public key is in state unsafe.
    expect(await rejectionCode(verifierWith([{ kid: signers[alg].kid, jwk }]), jws)).toBe('inactive-key');
  });

  it('does not use a key whose "alg" names another algorithm', () => {
    expect(importVerificationKey({ ...signers[alg].publicJwk, alg: alg === 'ES256' ? 'ES384' : 'ES256' }, alg)).toBeUndefined();
    expect(importVerificationKey({ ...signers[alg].publicJwk, alg }, alg)).toBeDefined();
  });
});

describe('a key that does not fit the algorithm', () => {
  it('a P-384 key for ES256 is not used', async () => {
    const p384 = await createSigner('ES384', signers.ES256.kid);
    expect(importVerificationKey(p384.publicJwk, 'ES256')).toBeUndefined();
    // Even a signature that P-384 key made, but labelled ES256.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: signers.ES256.kid, typ: TYP })).toString('base64url');
    const body = payload.toString('base64url');
    const signature = createSign('sha256').update(`${header}.${body}`).sign({ key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const jwk = privateKey.export({ format: 'jwk' });
    const publicJwk: JWK = { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
    expect(await rejectionCode(verifierWith([{ kid: signers.ES256.kid, jwk: publicJwk }]), `${header}.${body}.${signature}`)).toBe('bad-signature');
  });

  it.each([
    ['an EC key for PS256', 'ES256', 'PS256'],
    ['an RSA key for ES256', 'PS256', 'ES256'],
    ['an Ed25519 key for ES384', 'EdDSA', 'ES384'],
    ['a P-256 key for EdDSA', 'ES256', 'EdDSA'],
  ] as const)('%s is not used', (_name, keyAlg, alg) => {
    expect(importVerificationKey(signers[keyAlg].publicJwk, alg)).toBeUndefined();
  });

  it('an Ed448 key for EdDSA is not used (jose 6 verifies EdDSA with Ed25519 only)', () => {
    const jwk = generateKeyPairSync('ed448').publicKey.export({ format: 'jwk' }) as JWK;
    expect(importVerificationKey(jwk, 'EdDSA')).toBeUndefined();
  });

  it('an RSA-1024 key for PS256 is refused, even with a valid signature', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = publicKey.export({ format: 'jwk' }) as JWK;
    const header = Buffer.from(JSON.stringify({ alg: 'PS256', kid: 'rsa-1024', typ: TYP })).toString('base64url');
    const body = payload.toString('base64url');
    const signature = createSign('sha256')
      .update(`${header}.${body}`)
      .sign({ key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
      .toString('base64url');
    const key = importVerificationKey(jwk, 'PS256');
    expect(key).toBeDefined();
    expect(gatewayErrorCode(() => verifyJwsSignature(compact(`${header}.${body}.${signature}`), key!))).toBe('bad-signature');
    // In the store it is never even tried: a key under 2048 bits is in state unsafe.
    expect(await rejectionCode(verifierWith([{ kid: 'rsa-1024', jwk }]), `${header}.${body}.${signature}`)).toBe('inactive-key');
  });

  it('a PS256 signature with another salt length does not verify', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const header = Buffer.from(JSON.stringify({ alg: 'PS256', kid: 'rsa', typ: TYP })).toString('base64url');
    const body = payload.toString('base64url');
    const sign = (saltLength: number) =>
      createSign('sha256').update(`${header}.${body}`).sign({ key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }).toString('base64url');
    const key = keyFor(publicKey.export({ format: 'jwk' }), 'PS256');
    expect(verifyJwsSignature(compact(`${header}.${body}.${sign(32)}`), key)).toBeDefined();
    expect(verifyJwsSignature(compact(`${header}.${body}.${sign(20)}`), key)).toBeUndefined();
  });

  it.each([
    ['"key_ops" without "verify"', { key_ops: ['sign'] }],
    ['"ext" that is not a boolean', { ext: 'yes' }],
    ['an invalid point', { x: Buffer.alloc(32, 1).toString('base64url') }],
  ])('a key with %s is not used', (_name, change) => {
    expect(importVerificationKey({ ...signers.ES256.publicJwk, ...change } as JWK, 'ES256')).toBeUndefined();
  });

  it('a key with empty "key_ops" fits, but is refused', async () => {
    const key = keyFor({ ...signers.ES256.publicJwk, key_ops: [] }, 'ES256');
    const signature = compact(await signCompact(payload, signers.ES256));
    expect(gatewayErrorCode(() => verifyJwsSignature(signature, key))).toBe('bad-signature');
  });

  it('an algorithm outside jose\'s table is not used', () => {
    expect(importVerificationKey(signers.ES256.publicJwk, 'ES256K')).toBeUndefined();
    expect(importVerificationKey(signers.ES256.publicJwk, 'none')).toBeUndefined();
  });
});

describe('several keys under one kid', () => {
  it('skips a key that does not fit and verifies with the next', async () => {
    const p384 = await createSigner('ES384', signers.ES256.kid);
    const verifier = verifierWith([
      { kid: signers.ES256.kid, jwk: p384.publicJwk, administration: 'JP' },
      { kid: signers.ES256.kid, jwk: signers.ES256.publicJwk, administration: 'EU' },
    ]);
    const result = await verifier.verify(Buffer.from(await signCompact(payload, signers.ES256)), 'compact');
    expect(result.administration).toBe('EU');
  });

  it('tries the next key when a signature does not verify, and the verifying key names the sender', async () => {
    const verifier = verifierWith([
      { kid: signers.EdDSA.kid, jwk: strangers.EdDSA.publicJwk, administration: 'JP' },
      { kid: signers.EdDSA.kid, jwk: signers.EdDSA.publicJwk, administration: 'EU' },
    ]);
    expect((await verifier.verify(Buffer.from(await signCompact(payload, strangers.EdDSA)), 'compact')).administration).toBe('JP');
    expect((await verifier.verify(Buffer.from(await signCompact(payload, signers.EdDSA)), 'compact')).administration).toBe('EU');
    // Again, with the prepared keys from the cache.
    expect((await verifier.verify(Buffer.from(await signCompact(payload, signers.EdDSA)), 'compact')).administration).toBe('EU');
  });

  it('refuses the message when no key verifies it', async () => {
    const verifier = verifierWith([
      { kid: signers.ES256.kid, jwk: strangers.ES256.publicJwk },
      { kid: signers.ES256.kid, jwk: signers.ES384.publicJwk },
    ]);
    expect(await rejectionCode(verifier, await signCompact(payload, signers.ES256))).toBe('bad-signature');
  });

  it('stops at a registered key that fits but may not verify (as jose did)', async () => {
    const verifier = verifierWith([
      { kid: signers.ES256.kid, jwk: signers.ES256.privateJwk, administration: 'JP' },
      { kid: signers.ES256.kid, jwk: signers.ES256.publicJwk, administration: 'EU' },
    ]);
    expect(await rejectionCode(verifier, await signCompact(payload, signers.ES256))).toBe('bad-signature');
  });
});

describe('messages that cannot be verified as sent', () => {
  it('refuses protected and unprotected headers that share a member as malformed-jws', async () => {
    const jws = await new FlattenedSign(payload).setProtectedHeader({ alg: 'ES256', kid: signers.ES256.kid, typ: TYP, note: 'a' }).sign(signers.ES256.privateKey);
    const body = JSON.stringify({ ...jws, header: { note: 'b' } });
    expect(gatewayErrorCode(() => verifyJwsSignature(parseJwsEnvelope(Buffer.from(body), 'json')[0]!, keyFor(signers.ES256.publicJwk, 'ES256')))).toBe('malformed-jws');
    expect(await rejectionCode(verifierWith([{ kid: signers.ES256.kid, jwk: signers.ES256.publicJwk }]), body, 'json')).toBe('malformed-jws');
  });

  it('verifies with an unprotected header that shares nothing', async () => {
    const jws = await new FlattenedSign(payload).setProtectedHeader({ alg: 'ES256', kid: signers.ES256.kid, typ: TYP }).setUnprotectedHeader({ note: 'b' }).sign(signers.ES256.privateKey);
    const [signature] = parseJwsEnvelope(Buffer.from(JSON.stringify(jws)), 'json');
    expect(Buffer.from(verifyJwsSignature(signature!, keyFor(signers.ES256.publicJwk, 'ES256'))!).equals(payload)).toBe(true);
  });

  it('refuses a key prepared for another algorithm than the header names', async () => {
    const signature = compact(await signCompact(payload, signers.ES256));
    expect(gatewayErrorCode(() => verifyJwsSignature(signature, keyFor(signers.ES384.publicJwk, 'ES384')))).toBe('disallowed-algorithm');
  });

  it('refuses a payload that verifies but is not base64url', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k', typ: TYP })).toString('base64url');
    const body = 'e30*';
    const signature = createSign('sha256').update(`${header}.${body}`).sign({ key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const key = keyFor(publicKey.export({ format: 'jwk' }), 'ES256');
    expect(gatewayErrorCode(() => verifyJwsSignature({ protected: header, payload: Buffer.from(body), signature }, key))).toBe('malformed-jws');
  });
});
