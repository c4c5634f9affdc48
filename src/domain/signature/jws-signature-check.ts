import { constants, createECDH, createPrivateKey, createPublicKey, createVerify, verify as verifyOneShot, type JsonWebKey, type KeyObject, type Verify } from 'node:crypto';
import type { JWK } from 'jose';
import { GatewayError } from '../gateway-error.js';
import type { FlattenedSignature } from './jws-envelope.js';

/**
 * JWS signature verification with node:crypto, for member lists of up to 40 MB (50,000 members).
 *
 * jose's `flattenedVerify` costs about 375 ms on such a list: it copies the signing input
 * `protected.payload` through TextEncoder into a new 53 MB array (and again to concatenate it), hashes
 * it, then decodes the base64url payload with an atob-based JavaScript loop (about 250 ms). Here the
 * base64url text is hashed as it is, in slices, by OpenSSL (`createVerify(...).update(...)`, nothing
 * concatenated), and the payload is decoded natively (`Buffer#write(..., 'base64url')`), in slices
 * too: one large string conversion would copy the whole text into a fresh buffer first.
 *
 * The rules are jose 6's, so that switching cannot change which submission is accepted and which
 * problem a refused one gets:
 * - a key fits an algorithm as jose's `importJWK` decides (key type, curve, `key_ops`, `ext`); a key
 *   that does not fit is skipped, as the verifier skipped a key `importJWK` refused;
 * - a key that fits but cannot verify (a private key, a symmetric key, RSA under 2048 bits, `key_ops`
 *   without "verify") is refused with `bad-signature`, as jose's `flattenedVerify` refused it;
 * - ECDSA signatures are IEEE P1363 (r || s) of exactly 64, 96 or 132 bytes; RSASSA-PSS uses MGF1 with
 *   the same hash and a salt as long as the hash (32, 48, 64 bytes); EdDSA is Ed25519 only (jose 6
 *   maps both "EdDSA" and "Ed25519" to WebCrypto's Ed25519, so an Ed448 key does not fit).
 */

type Hash = 'sha256' | 'sha384' | 'sha512';

type AlgorithmSpec =
  | { kind: 'ecdsa'; kty: 'EC'; crv: 'P-256' | 'P-384' | 'P-521'; namedCurve: string; hash: Hash; signatureBytes: number }
  | { kind: 'rsa-pss'; kty: 'RSA'; hash: Hash; saltLength: number }
  | { kind: 'rsa-pkcs1'; kty: 'RSA'; hash: Hash }
  | { kind: 'eddsa'; kty: 'OKP'; crv: 'Ed25519' };

/** The JWS algorithms of jose's table that the gateway can be configured to accept (none, HMAC never). */
const ALGORITHMS = new Map<string, AlgorithmSpec>([
  ['ES256', { kind: 'ecdsa', kty: 'EC', crv: 'P-256', namedCurve: 'prime256v1', hash: 'sha256', signatureBytes: 64 }],
  ['ES384', { kind: 'ecdsa', kty: 'EC', crv: 'P-384', namedCurve: 'secp384r1', hash: 'sha384', signatureBytes: 96 }],
  ['ES512', { kind: 'ecdsa', kty: 'EC', crv: 'P-521', namedCurve: 'secp521r1', hash: 'sha512', signatureBytes: 132 }],
  ['PS256', { kind: 'rsa-pss', kty: 'RSA', hash: 'sha256', saltLength: 32 }],
  ['PS384', { kind: 'rsa-pss', kty: 'RSA', hash: 'sha384', saltLength: 48 }],
  ['PS512', { kind: 'rsa-pss', kty: 'RSA', hash: 'sha512', saltLength: 64 }],
  ['RS256', { kind: 'rsa-pkcs1', kty: 'RSA', hash: 'sha256' }],
  ['RS384', { kind: 'rsa-pkcs1', kty: 'RSA', hash: 'sha384' }],
  ['RS512', { kind: 'rsa-pkcs1', kty: 'RSA', hash: 'sha512' }],
  ['EdDSA', { kind: 'eddsa', kty: 'OKP', crv: 'Ed25519' }],
  ['Ed25519', { kind: 'eddsa', kty: 'OKP', crv: 'Ed25519' }],
]);

/** RSA keys below this size are refused (RFC 7518 3.3 and 3.5; jose's `checkModulusLength`). */
const MIN_RSA_BITS = 2048;

/**
 * Characters per slice when decoding the payload text. A multiple of 4, so that every slice
 * but the last decodes to whole bytes. Large enough that the per-call cost vanishes, small enough that
 * node's temporary copy of each slice stays in cache and its memory is reused.
 */
const SLICE_CHARS = 256 * 1024;

/**
 * A registered key prepared for one algorithm. `refusal` is set when the key fits the algorithm but may
 * not verify with it; verifying with such a key is refused as `bad-signature`.
 */
export type VerificationKey =
  | { readonly alg: string; readonly spec: AlgorithmSpec; readonly keyObject: KeyObject; readonly refusal?: undefined }
  | { readonly alg: string; readonly refusal: string };

/**
 * Prepares a registered JWK for verifying `alg` signatures. Returns undefined when the key does not fit
 * the algorithm (another key type or curve, a JWK `alg` naming another algorithm, invalid key material):
 * such a key is skipped, and another key with the same kid may still verify.
 */
export function importVerificationKey(jwk: JWK, alg: string): VerificationKey | undefined {
  const spec = ALGORITHMS.get(alg);
  if (!spec || !isPlainObject(jwk)) return undefined;
  // jose's normalizeJwk.
  if (jwk.ext !== undefined && typeof jwk.ext !== 'boolean') return undefined;
  const keyOps: unknown = jwk.key_ops;
  if (keyOps !== undefined && (!Array.isArray(keyOps) || keyOps.some((op) => typeof op !== 'string') || new Set(keyOps).size !== keyOps.length)) {
    return undefined;
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) return undefined;
  // jose's importJWK returns the raw secret of an `oct` key, which flattenedVerify then refuses for
  // every algorithm the gateway can accept.
  if (jwk.kty === 'oct') return typeof jwk.k === 'string' ? { alg, refusal: 'a symmetric key cannot verify an asymmetric signature' } : undefined;
  if (jwk.kty !== spec.kty) return undefined;
  if (spec.kind !== 'rsa-pss' && spec.kind !== 'rsa-pkcs1' && jwk.crv !== spec.crv) return undefined;

  // WebCrypto imports a JWK with "d" as a private key, and jose asks for the "sign" usage when "d" or
  // "priv" is truthy (unless key_ops names the usages). Usages that do not suit the key fail the import.
  const isPrivate = jwk.d !== undefined;
  const usages = (keyOps as string[] | undefined) ?? [jwk.d || jwk.priv ? 'sign' : 'verify'];
  if (isPrivate) {
    if (usages.length === 0 || usages.some((usage) => usage !== 'sign')) return undefined;
    if (!importsAsPrivateKey(jwk, spec)) return undefined;
    return { alg, refusal: 'a private key is registered where a public key belongs' };
  }
  if (usages.some((usage) => usage !== 'verify')) return undefined;

  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  if (!fitsAlgorithm(keyObject, spec)) return undefined;
  if (usages.length === 0) return { alg, refusal: 'the key\'s "key_ops" do not include "verify"' };
  if (spec.kind === 'rsa-pss' || spec.kind === 'rsa-pkcs1') {
    const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return { alg, refusal: `${alg} needs an RSA key of at least ${MIN_RSA_BITS} bits; this one has ${bits}` };
  }
  return { alg, spec, keyObject };
}

/**
 * Verifies one signature with one key. Returns the payload bytes when the signature verifies, and
 * undefined when it does not (so that the caller may try another key with the same kid). Throws a
 * GatewayError for a message that cannot be verified as sent (`malformed-jws`, `disallowed-algorithm`)
 * and for a key that may not verify (`bad-signature`).
 *
 * The signature's parts must come from `parseJwsEnvelope`, which has checked that each is canonical
 * base64url: the payload text is hashed as it is and decoded only once the signature has verified.
 */
export function verifyJwsSignature(signature: FlattenedSignature, key: VerificationKey): Uint8Array | undefined {
  const protectedHeader = decodeProtectedHeader(signature.protected);
  const unprotectedHeader = signature.header ?? {};
  // The same checks, in the same order, as jose's flattenedVerify before it looks at the key.
  if (Object.keys(unprotectedHeader).some((name) => Object.hasOwn(protectedHeader, name))) {
    throw malformed('the protected and unprotected headers share a member');
  }
  checkCrit(protectedHeader, unprotectedHeader);
  const alg = { ...protectedHeader, ...unprotectedHeader }.alg;
  if (typeof alg !== 'string' || alg === '') throw malformed('"alg" is missing');
  if (alg !== key.alg) throw new GatewayError('disallowed-algorithm', 'The JWS algorithm is not allowed.');
  const signatureBytes = decodeSignature(signature.signature);
  if (key.refusal !== undefined) {
    throw new GatewayError('bad-signature', 'The signature does not verify.', { cause: new Error(`The key cannot verify ${key.alg} signatures: ${key.refusal}.`) });
  }
  if (!signatureVerifies(signature, key.spec, key.keyObject, signatureBytes)) return undefined;
  return decodePayload(signature.payload);
}

/**
 * jose's "crit" rules: integrity protected, a non-empty list of names it implements, which is only
 * "b64". Unencoded payloads ("b64": false) are not implemented here (jws-header-policy refuses them).
 */
function checkCrit(protectedHeader: Record<string, unknown>, unprotectedHeader: Record<string, unknown>): void {
  if ('crit' in unprotectedHeader && protectedHeader.crit === undefined) throw malformed('"crit" must be integrity protected');
  const crit = protectedHeader.crit;
  if (crit === undefined) return;
  if (!Array.isArray(crit) || crit.length === 0 || crit.some((name) => typeof name !== 'string' || name === '')) {
    throw malformed('"crit" must be a list of header member names');
  }
  if (crit.some((name) => name !== 'b64')) throw malformed('no "crit" extension but "b64" is implemented');
  if (protectedHeader.b64 !== true) throw malformed('only base64url-encoded payloads ("b64": true) are implemented');
}

function signatureVerifies(jws: FlattenedSignature, spec: AlgorithmSpec, key: KeyObject, signature: Buffer): boolean {
  try {
    switch (spec.kind) {
      case 'ecdsa':
        // P1363 r || s of the curve's exact size; OpenSSL would also refuse other lengths, but say it here.
        if (signature.length !== spec.signatureBytes) return false;
        return signingInputHash(spec.hash, jws).verify({ key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'rsa-pss':
        // An explicit salt length: node's default for verifying is "any length" (RSA_PSS_SALTLEN_AUTO).
        return signingInputHash(spec.hash, jws).verify({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength }, signature);
      case 'rsa-pkcs1':
        return signingInputHash(spec.hash, jws).verify({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'eddsa':
        // Ed25519 hashes the message itself, twice over, so it cannot be streamed: one contiguous copy.
        return verifyOneShot(null, signingInput(jws), key, signature);
    }
  } catch {
    // Like jose, any failure inside the verification itself means "does not verify".
    return false;
  }
}

/** A Verify fed with the ASCII signing input `protected.payload`, without building it. */
function signingInputHash(hash: Hash, jws: FlattenedSignature): Verify {
  const verifier = createVerify(hash);
  verifier.update(jws.protected, 'latin1');
  verifier.update('.', 'latin1');
  verifier.update(jws.payload);
  return verifier;
}

/** The signing input in one piece: the body's own bytes in the compact form, a copy otherwise. */
function signingInput(jws: FlattenedSignature): Buffer {
  if (jws.signingInput) return jws.signingInput;
  const input = Buffer.allocUnsafeSlow(jws.protected.length + 1 + jws.payload.length);
  let offset = input.write(jws.protected, 0, 'latin1');
  offset += input.write('.', offset, 'latin1');
  jws.payload.copy(input, offset);
  return input;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodeSignature(value: string): Buffer {
  if (!BASE64URL.test(value) || value.length % 4 === 1) throw malformed('the signature is not base64url');
  return Buffer.from(value, 'base64url');
}

/**
 * Decodes the verified payload into its own (unpooled) memory. Node's decoder skips characters outside
 * its alphabet instead of failing, so a short count means the text was not base64url.
 */
function decodePayload(value: Buffer): Uint8Array {
  if (value.length % 4 === 1) throw malformed('the payload is not base64url');
  const length = Math.floor((value.length * 3) / 4);
  const payload = Buffer.allocUnsafeSlow(length);
  let written = 0;
  for (let i = 0; i < value.length; i += SLICE_CHARS) written += payload.write(value.toString('latin1', i, Math.min(i + SLICE_CHARS, value.length)), written, 'base64url');
  if (written !== length) throw malformed('the payload is not base64url');
  return new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeProtectedHeader(encoded: string): Record<string, unknown> {
  let header: unknown;
  try {
    if (!BASE64URL.test(encoded) || encoded.length % 4 === 1) throw new Error('not base64url');
    header = JSON.parse(strictUtf8.decode(Buffer.from(encoded, 'base64url')));
  } catch {
    throw malformed('the protected header is not base64url-encoded UTF-8 JSON');
  }
  if (!isPlainObject(header)) throw malformed('the protected header is not a JSON object');
  return header;
}

/**
 * Whether WebCrypto would import the JWK as a private key: node reads it, and for EC and OKP keys
 * WebCrypto also insists that "x" (and "y") are the public key of "d" (it takes RSA keys as they are).
 */
function importsAsPrivateKey(jwk: Record<string, unknown>, spec: AlgorithmSpec): boolean {
  try {
    const privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    if (spec.kind === 'rsa-pss' || spec.kind === 'rsa-pkcs1') return true;
    const given = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JsonWebKey, format: 'jwk' });
    if (spec.kind === 'eddsa') return createPublicKey(privateKey).equals(given);
    // For EC, node keeps the given x and y beside "d"; derive the public point from "d" instead.
    const ecdh = createECDH(spec.namedCurve);
    ecdh.setPrivateKey(Buffer.from(jwk.d as string, 'base64url'));
    const point = ecdh.getPublicKey();
    const size = (point.length - 1) / 2;
    const derived = { kty: 'EC', crv: spec.crv, x: point.subarray(1, 1 + size).toString('base64url'), y: point.subarray(1 + size).toString('base64url') };
    return createPublicKey({ key: derived, format: 'jwk' }).equals(given);
  } catch {
    return false;
  }
}

function fitsAlgorithm(keyObject: KeyObject, spec: AlgorithmSpec): boolean {
  switch (spec.kind) {
    case 'ecdsa':
      return keyObject.asymmetricKeyType === 'ec' && keyObject.asymmetricKeyDetails?.namedCurve === spec.namedCurve;
    case 'rsa-pss':
    case 'rsa-pkcs1':
      // A JWK always imports as "rsa": JWK has no way to express an RSASSA-PSS-restricted key.
      return keyObject.asymmetricKeyType === 'rsa';
    case 'eddsa':
      return keyObject.asymmetricKeyType === 'ed25519';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Object.prototype.toString.call(value) !== '[object Object]') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

function malformed(detail: string): GatewayError {
  return new GatewayError('malformed-jws', `Malformed JWS: ${detail}.`);
}
