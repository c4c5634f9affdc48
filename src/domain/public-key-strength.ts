import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import type { JWK } from 'jose';

/**
 * Why a public key must not be trusted, whoever brings it: a partner key through the admin API, a key
 * file read at start-up, an administrator key, or a key an older version let into the store.
 *
 * Importing a JWK with node:crypto proves only that it forms a key. Some keys that import verify
 * "signatures" made without any private key: the Ed25519 identity point and the other points of small
 * order (for them, a signature (R, S) = (A, 0) verifies every message), or RSA with e = 1 (every value
 * is its own signature). Others are merely too weak, or are encoded in more than one way, which lets
 * one key slip past a check made on the other encoding. The checks here are on the numbers themselves
 * (curve arithmetic by @noble/curves, RSA by BigInt), not on how long a member's text is.
 */

/** RSA moduli below this many bits are refused (NIST SP 800-131A; RFC 7518 3.3 and 3.5). */
export const MIN_RSA_MODULUS_BITS = 2048;

/** OpenSSL refuses RSA public keys above this (OPENSSL_RSA_MAX_MODULUS_BITS): such a key never verifies. */
export const MAX_RSA_MODULUS_BITS = 16_384;

/** The only RSA public exponent accepted (F4, what every key generator uses). */
export const RSA_PUBLIC_EXPONENT = 65_537n;

type WeierstrassCurve = typeof p256;

/** The JOSE curves (RFC 7518 6.2.1.1) and their arithmetic. */
const EC_CURVES: Record<string, WeierstrassCurve> = { 'P-256': p256, 'P-384': p384, 'P-521': p521 };

/** Bytes of an Ed25519 public key (RFC 8032 5.1.5). */
const ED25519_BYTES = 32;

/**
 * The reason `jwk` is not a safe public key, or undefined when it is. Looks at the public members
 * only (kty, crv, x, y, n, e): whether the JWK may carry private members, which algorithm it is for,
 * and its kid are the callers' policy. Each reason is a phrase that names the member at fault.
 */
export function publicKeyWeakness(jwk: JWK): string | undefined {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'a JWK is a JSON object';
  switch (jwk.kty) {
    case 'RSA':
      return rsaWeakness(jwk);
    case 'EC':
      return ecWeakness(jwk);
    case 'OKP':
      return okpWeakness(jwk);
    default:
      return `key type ${JSON.stringify(jwk.kty ?? null)} is not accepted (RSA, EC or OKP)`;
  }
}

function rsaWeakness(jwk: JWK): string | undefined {
  const n = base64urlMember(jwk, 'n');
  if (typeof n === 'string') return n;
  const e = base64urlMember(jwk, 'e');
  if (typeof e === 'string') return e;

  const exponent = unsignedInteger(e);
  if (exponent === 1n) return 'the RSA public exponent "e" is 1, which makes every value its own signature: anyone could sign';
  if (exponent !== RSA_PUBLIC_EXPONENT) {
    const shown = exponent < 2n ** 64n ? `e = ${exponent}` : `a ${bitLength(exponent)}-bit e`;
    return `the RSA public exponent "e" must be 65537; this key has ${shown}`;
  }
  if (e[0] === 0) return '"e" has leading zero bytes: not the minimal encoding of 65537 (RFC 7518 6.3.1.2)';

  const modulus = unsignedInteger(n);
  const bits = bitLength(modulus);
  if (bits < MIN_RSA_MODULUS_BITS) return `the RSA modulus "n" has ${bits} bits; at least ${MIN_RSA_MODULUS_BITS} are needed`;
  if (bits > MAX_RSA_MODULUS_BITS) return `the RSA modulus "n" has ${bits} bits; at most ${MAX_RSA_MODULUS_BITS} can be verified`;
  if (n[0] === 0) return '"n" has leading zero bytes: not the minimal encoding of the modulus (RFC 7518 6.3.1.1)';
  if (modulus % 2n === 0n) return 'the RSA modulus "n" is even, so it is not a product of two large primes';
  return undefined;
}

function ecWeakness(jwk: JWK): string | undefined {
  const curve = typeof jwk.crv === 'string' ? EC_CURVES[jwk.crv] : undefined;
  if (!curve) return `EC curve ${JSON.stringify(jwk.crv ?? null)} is not accepted (${Object.keys(EC_CURVES).join(', ')})`;
  const { p } = curve.Point.CURVE();
  const size = curve.Point.Fp.BYTES;
  const coordinates: bigint[] = [];
  for (const member of ['x', 'y'] as const) {
    const bytes = base64urlMember(jwk, member);
    if (typeof bytes === 'string') return bytes;
    if (bytes.length !== size) return `"${member}" must be exactly ${size} bytes for ${jwk.crv}; it has ${bytes.length}`;
    const value = unsignedInteger(bytes);
    if (value >= p) return `"${member}" is not below the field prime of ${jwk.crv}: a non-canonical coordinate`;
    coordinates.push(value);
  }
  const [x, y] = coordinates as [bigint, bigint];
  // (0, 0) is how affine coordinates write the point at infinity; it is not on any of these curves.
  if (x === 0n && y === 0n) return 'the point ("x", "y") = (0, 0) stands for the identity (the point at infinity), not a public key';
  try {
    curve.Point.fromAffine({ x, y }).assertValidity();
  } catch {
    return `the point ("x", "y") is not on the curve ${jwk.crv}`;
  }
  // P-256, P-384 and P-521 have cofactor 1: every point on the curve but the identity has prime order.
  return undefined;
}

function okpWeakness(jwk: JWK): string | undefined {
  if (jwk.crv !== 'Ed25519') return `OKP curve ${JSON.stringify(jwk.crv ?? null)} is not accepted (Ed25519)`;
  const bytes = base64urlMember(jwk, 'x');
  if (typeof bytes === 'string') return bytes;
  if (bytes.length !== ED25519_BYTES) return `"x" must be exactly ${ED25519_BYTES} bytes for Ed25519; it has ${bytes.length}`;
  let point;
  try {
    // RFC 8032 5.1.3 strictly: y below the field prime, and no "negative zero" x.
    point = ed25519.Point.fromBytes(bytes, false);
  } catch {
    return nonCanonicalEd25519(bytes);
  }
  if (point.is0()) return '"x" is the Ed25519 identity point, which verifies signatures made without any private key';
  if (point.isSmallOrder()) {
    return `"x" is an Ed25519 point of order ${smallOrder(point)}, which verifies signatures made without any private key`;
  }
  if (!point.isTorsionFree()) return '"x" is an Ed25519 point outside the prime-order subgroup (it has a small-order component)';
  return undefined;
}

/** Why 32 bytes that RFC 8032 does not decode are refused: a second spelling of a point, or no point. */
function nonCanonicalEd25519(bytes: Uint8Array): string {
  let point;
  try {
    // ZIP 215 also decodes y >= p and x = 0 with the sign bit set: other spellings of valid points.
    point = ed25519.Point.fromBytes(bytes, true);
  } catch {
    return '"x" is not a point on Ed25519';
  }
  if (point.is0()) return '"x" is a non-canonical encoding of the Ed25519 identity point, which verifies signatures made without any private key';
  if (point.isSmallOrder()) {
    return `"x" is a non-canonical encoding of an Ed25519 point of order ${smallOrder(point)}, which verifies signatures made without any private key`;
  }
  return '"x" is a non-canonical encoding of an Ed25519 point (RFC 8032 5.1.3)';
}

type EdwardsPoint = ReturnType<typeof ed25519.Point.fromBytes>;

/** The order (2, 4 or 8) of a point of small order other than the identity. */
function smallOrder(point: EdwardsPoint): number {
  let multiple = point.double();
  for (let order = 2; order < 8; order *= 2) {
    if (multiple.is0()) return order;
    multiple = multiple.double();
  }
  return 8;
}

/** The member's bytes, or why it is not canonical base64url (RFC 7515 2: unpadded, URL-safe, no stray bits). */
function base64urlMember(jwk: JWK, member: 'n' | 'e' | 'x' | 'y'): Uint8Array | string {
  const value: unknown = jwk[member];
  if (typeof value !== 'string' || value === '') return `"${member}" must be a non-empty base64url string`;
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.toString('base64url') !== value) return `"${member}" is not canonical base64url (no padding, the URL-safe alphabet, no stray bits)`;
  return bytes;
}

/** A big-endian unsigned integer (RFC 7518 2, Base64urlUInt). */
function unsignedInteger(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}
