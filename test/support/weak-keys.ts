import { ed25519 } from '@noble/curves/ed25519.js';
import { generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';

/**
 * Public keys that must never be trusted, for the tests of every way a key enters the gateway (admin
 * API, CONFIG_DIR/partner-keys, CONFIG_DIR/admin-keys.json). Each is a public JWK that node:crypto may
 * well import; the gateway must refuse it all the same.
 */
export interface WeakKeyCase {
  name: string;
  jwk: JWK & { kid: string };
}

const hex = (text: string) => Buffer.from(text, 'hex').toString('base64url');
const ff = 'ff'.repeat(30);

/**
 * The Ed25519 points of small order (orders 1, 2, 4, 8) as RFC 8032 encodes them, then other
 * spellings of them that a lenient (ZIP 215) decoder takes: y at or above the field prime, and x = 0
 * with the sign bit set. Every one verifies the "signature" (R, S) = (x, 0) on any message.
 */
export const ED25519_SMALL_ORDER_POINTS: readonly { name: string; x: string }[] = [
  { name: 'the identity point (0, 1)', x: hex(`01${'00'.repeat(31)}`) },
  { name: 'the point of order 2 (0, -1)', x: hex(`ec${ff}7f`) },
  { name: 'a point of order 4 (y = 0)', x: hex('00'.repeat(32)) },
  { name: 'the other point of order 4 (y = 0, x negative)', x: hex(`${'00'.repeat(31)}80`) },
  { name: 'a point of order 8', x: hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a') },
  { name: 'a second point of order 8', x: hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa') },
  { name: 'a third point of order 8', x: hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05') },
  { name: 'a fourth point of order 8', x: hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85') },
  { name: 'the identity with the sign bit set (non-canonical)', x: hex(`01${'00'.repeat(30)}80`) },
  { name: 'the identity as y = p + 1 (non-canonical)', x: hex(`ee${ff}7f`) },
  { name: 'the identity as y = p + 1 with the sign bit (non-canonical)', x: hex(`ee${ff}ff`) },
  { name: 'the point of order 2 with the sign bit set (non-canonical)', x: hex(`ec${ff}ff`) },
  { name: 'a point of order 4 as y = p (non-canonical)', x: hex(`ed${ff}7f`) },
  { name: 'the other point of order 4 as y = p (non-canonical)', x: hex(`ed${ff}ff`) },
];

/** The Ed25519 identity point as a JWK: the key of the end-to-end forgery tests. */
export function ed25519IdentityJwk(kid: string): JWK & { kid: string } {
  return { kty: 'OKP', crv: 'Ed25519', x: ED25519_SMALL_ORDER_POINTS[0]!.x, kid };
}

/**
 * A "signature" for the identity key made without any private key: R = the identity, S = 0. Ed25519
 * accepts it when [S]B = R + [k]A, and with A the identity both sides are the identity.
 */
export function identityKeySignature(): Buffer {
  return Buffer.concat([Buffer.from(`01${'00'.repeat(31)}`, 'hex'), Buffer.alloc(32)]);
}

/** The bad keys, each with a kid that starts with `prefix`. */
export function weakKeyCases(prefix: string): WeakKeyCase[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as JWK;
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as JWK;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as JWK;
  const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as JWK;
  const n = Buffer.from(rsa.n!, 'base64url');
  const x = Buffer.from(ec.x!, 'base64url');
  const y = Buffer.from(ec.y!, 'base64url');
  // A real key plus the point of order 2: on the curve, but outside the prime-order subgroup.
  const mixed = ed25519.Point.fromBytes(Buffer.from(ed.x!, 'base64url')).add(ed25519.Point.fromBytes(Buffer.from(`ec${ff}7f`, 'hex'))).toBytes();
  const p256Prime = Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex');
  let i = 0;
  const kid = () => `${prefix}-${++i}`;
  const cases: WeakKeyCase[] = [
    ...ED25519_SMALL_ORDER_POINTS.map(({ name, x: point }) => ({ name: `Ed25519: ${name}`, jwk: { kty: 'OKP', crv: 'Ed25519', x: point, kid: kid() } })),
    { name: 'Ed25519: a point outside the prime-order subgroup', jwk: { ...ed, x: Buffer.from(mixed).toString('base64url'), kid: kid() } },
    { name: 'Ed25519: x of 31 bytes', jwk: { ...ed, x: Buffer.from(ed.x!, 'base64url').subarray(1).toString('base64url'), kid: kid() } },
    { name: 'Ed25519: x of 33 bytes', jwk: { ...ed, x: Buffer.concat([Buffer.from(ed.x!, 'base64url'), Buffer.alloc(1)]).toString('base64url'), kid: kid() } },
    { name: 'RSA: e = 1', jwk: { kty: 'RSA', n: rsa.n!, e: 'AQ', kid: kid() } },
    { name: 'RSA: e = 3', jwk: { kty: 'RSA', n: rsa.n!, e: 'Aw', kid: kid() } },
    { name: 'RSA: e = 65537 with a leading zero byte', jwk: { kty: 'RSA', n: rsa.n!, e: 'AAEAAQ', kid: kid() } },
    { name: 'RSA: a 1024-bit modulus zero-padded to 256 bytes', jwk: { kty: 'RSA', n: Buffer.concat([Buffer.alloc(128), Buffer.from(rsa1024.n!, 'base64url')]).toString('base64url'), e: 'AQAB', kid: kid() } },
    { name: 'RSA: a 2048-bit modulus with a leading zero byte', jwk: { kty: 'RSA', n: Buffer.concat([Buffer.alloc(1), n]).toString('base64url'), e: 'AQAB', kid: kid() } },
    { name: 'RSA: an even modulus', jwk: { kty: 'RSA', n: Buffer.concat([n.subarray(0, -1), Buffer.from([n.at(-1)! & 0xfe])]).toString('base64url'), e: 'AQAB', kid: kid() } },
    { name: 'EC: a point not on the curve', jwk: { ...ec, y: ec.x!, kid: kid() } },
    { name: 'EC: (0, 0), the identity', jwk: { ...ec, x: hex('00'.repeat(32)), y: hex('00'.repeat(32)), kid: kid() } },
    { name: 'EC: x of 31 bytes', jwk: { ...ec, x: x.subarray(1).toString('base64url'), kid: kid() } },
    { name: 'EC: x of 33 bytes (a leading zero)', jwk: { ...ec, x: Buffer.concat([Buffer.alloc(1), x]).toString('base64url'), kid: kid() } },
    { name: 'EC: y of 31 bytes', jwk: { ...ec, y: y.subarray(1).toString('base64url'), kid: kid() } },
    { name: 'EC: x at the field prime (non-canonical)', jwk: { ...ec, x: p256Prime.toString('base64url'), kid: kid() } },
    { name: 'EC: x with base64 padding', jwk: { ...ec, x: `${ec.x!}=`, kid: kid() } },
    { name: 'kid: a lone surrogate', jwk: { ...ed, kid: `${prefix}-\uD800` } },
    { name: 'kid: a C0 control character (BEL)', jwk: { ...ed, kid: `${prefix}-\u0007` } },
    { name: 'kid: a line feed', jwk: { ...ed, kid: `${prefix}-\nadmin action` } },
    { name: 'kid: a C1 control character (NEL)', jwk: { ...ed, kid: `${prefix}-\u0085` } },
    { name: 'kid: a bidi override (RLO)', jwk: { ...ed, kid: `${prefix}-\u202Egnp.exe` } },
    { name: 'kid: a bidi isolate (LRI)', jwk: { ...ed, kid: `${prefix}-\u2066x` } },
  ];
  return cases;
}
