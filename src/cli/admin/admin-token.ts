import { importJWK, SignJWT, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { ADMIN_AUDIENCE, algorithmFor } from '../../admin/admin-token-format.js';

/** How long the CLI's tokens live: long enough for one call, well under the gateway's five minutes. */
export const CLI_TOKEN_LIFETIME_SECONDS = 60;

/**
 * Signs a single-use admin token (ICD 3): `kid` from the key, `sub` naming the administrator, `aud`
 * mra-gateway-admin, `iat` now, `exp` a minute later, a random `jti`. One token per request.
 */
export async function signAdminToken(privateJwk: JWK, sub: string, now: Date = new Date()): Promise<string> {
  return signToken(privateJwk, sub, CLI_TOKEN_LIFETIME_SECONDS, now, randomUUID());
}

/** The longest a reader token may live: the gateway refuses one whose exp is more than 5 minutes after iat. */
export const MAX_READER_TOKEN_LIFETIME_SECONDS = 300;

/** How long the register tokens of mra (sync, lookup, admin token) live unless told otherwise. */
export const READER_TOKEN_LIFETIME_SECONDS = 120;

/** Whom a reader token names when neither --sub nor MRA_ADMIN_SUB says (reads are not audited). */
export const DEFAULT_READER_SUB = 'mra-consumer';

/**
 * Signs a token to read the member register (ICD 5) with an administrator key that has the role
 * members:read: as an admin token (`kid`, `typ: JWT`, `sub`, `aud` mra-gateway-admin, `iat`, `exp`),
 * but without a `jti`, so that it may be used for any number of reads until it expires and can never
 * act on the admin API, which needs one.
 */
export async function signReaderToken(privateJwk: JWK, sub: string, lifetimeSeconds: number, now: Date = new Date()): Promise<string> {
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > MAX_READER_TOKEN_LIFETIME_SECONDS) {
    throw new Error(`a reader token lives 1 to ${MAX_READER_TOKEN_LIFETIME_SECONDS} seconds`);
  }
  return signToken(privateJwk, sub, lifetimeSeconds, now);
}

/** A token of the admin key (`kid`, `typ: JWT`, `sub`, `aud` mra-gateway-admin, `iat`, `exp`), with a `jti` when given one. */
async function signToken(privateJwk: JWK, sub: string, lifetimeSeconds: number, now: Date, jti?: string): Promise<string> {
  if (typeof privateJwk.kid !== 'string' || privateJwk.kid === '') throw new Error('the admin key file has no "kid"');
  const alg = algorithmFor(privateJwk);
  const iat = Math.floor(now.getTime() / 1000);
  const token = new SignJWT({})
    .setProtectedHeader({ alg, kid: privateJwk.kid, typ: 'JWT' })
    .setSubject(sub)
    .setAudience(ADMIN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeSeconds);
  if (jti !== undefined) token.setJti(jti);
  return token.sign(await importJWK(privateJwk, alg));
}
