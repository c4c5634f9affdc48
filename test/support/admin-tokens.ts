import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';
import type supertest from 'supertest';
import { ADMIN_AUDIENCE } from '../../src/admin/admin-token-format.js';
import type { AdminRole } from '../../src/admin/admin-key.js';

/** An administrator's key pair as the administrator holds it. */
export interface AdminSigningKey {
  kid: string;
  alg: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  privateJwk: JWK & { kid: string };
  /** What goes into admin-keys.json (with "roles" when the key has limited roles). */
  publicJwk: JWK & { kid: string; roles?: AdminRole[] };
}

let counter = 0;

export async function createAdminKey(options: { kid?: string; alg?: string; roles?: AdminRole[] } = {}): Promise<AdminSigningKey> {
  const alg = options.alg ?? 'ES256';
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = options.kid ?? `admin-${++counter}-${Date.now()}`;
  return {
    kid,
    alg,
    privateKey,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    publicJwk: { ...(await exportJWK(publicKey)), kid, ...(options.roles ? { roles: options.roles } : {}) },
  };
}

export interface TokenOptions {
  /** The gateway's time (a test clock); defaults to now. */
  now?: Date;
  /** Claims to add or override; a claim set to undefined is left out. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

/** A token as the CLI makes it (sub, aud, iat, exp = iat + 60, jti), with whatever a test changes. */
export async function adminToken(key: AdminSigningKey, options: TokenOptions = {}): Promise<string> {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims = { sub: 'test-admin', aud: ADMIN_AUDIENCE, iat, exp: iat + 60, jti: randomUUID(), ...options.claims };
  const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined)) as JWTPayload;
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header }).sign(key.privateKey);
}

/** An HS256 token carrying an admin key's kid, for proving that symmetric algorithms never pass. */
export async function hmacToken(kid: string, now: Date = new Date()): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ sub: 'mallory', aud: ADMIN_AUDIENCE, iat, exp: iat + 60, jti: randomUUID() })
    .setProtectedHeader({ alg: 'HS256', kid })
    .sign(new TextEncoder().encode('a-shared-secret-the-gateway-never-has'));
}

/** An unsecured token (alg none) carrying an admin key's kid. */
export function unsecuredToken(kid: string, now: Date = new Date()): string {
  const iat = Math.floor(now.getTime() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', kid })}.${part({ sub: 'mallory', aud: ADMIN_AUDIENCE, iat, exp: iat + 60, jti: randomUUID() })}.`;
}

type Http = ReturnType<typeof supertest>;

/** Calls the admin API with a fresh token of `key`. */
export async function adminCall(
  http: Http,
  key: AdminSigningKey,
  method: 'get' | 'post' | 'patch',
  path: string,
  body?: object,
  options: TokenOptions = {},
): Promise<supertest.Response> {
  const request = http[method](`/admin/v1${path}`).set('Authorization', `Bearer ${await adminToken(key, options)}`);
  return body === undefined ? request : request.send(body);
}
