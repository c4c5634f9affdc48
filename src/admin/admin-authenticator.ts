import { decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWTHeaderParameters } from 'jose';
import type { Logger } from 'winston';
import type { Clock } from '../domain/clock.js';
import { GatewayError } from '../domain/gateway-error.js';
import { isAcceptableText } from '../domain/text-characters.js';
import { ADMIN_TOKEN_ALGORITHMS, type AdminKey, type AdminRole } from './admin-key.js';
import type { AdminTokenLedger } from './admin-store.js';
import { ADMIN_AUDIENCE } from './admin-token-format.js';


/** ICD 3: an admin token lives at most five minutes, from `iat` to `exp`. */
export const MAX_ADMIN_TOKEN_LIFETIME_SECONDS = 300;

/** Allowed difference between the administrator's clock and the gateway's, for `iat`, `nbf` and `exp`. */
export const ADMIN_CLOCK_TOLERANCE_SECONDS = 30;

/** An authenticated administrator: which key signed the token, whom the token names, what they may do. */
export interface AdminPrincipal {
  kid: string;
  sub: string;
  roles: readonly AdminRole[];
}

/** Why a token was refused: logged for operators; the caller only learns it in the problem's detail. */
export type AdminAuthFailure =
  | 'no-admin-keys'
  | 'missing-token'
  | 'malformed-token'
  | 'unknown-key'
  | 'disallowed-algorithm'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-audience'
  | 'missing-claim'
  | 'invalid-claim'
  | 'lifetime-too-long'
  | 'replayed';

const DETAILS: Record<AdminAuthFailure, string> = {
  'no-admin-keys': 'No administrator keys are configured on this gateway.',
  'missing-token': 'Send an admin token as "Authorization: Bearer <JWT>".',
  'malformed-token': 'The admin token is not a compact JWS.',
  'unknown-key': 'The admin token is not signed by a configured administrator key (kid).',
  'disallowed-algorithm': `The admin token's algorithm is not allowed for this key (allowed: ${ADMIN_TOKEN_ALGORITHMS.join(', ')}).`,
  'bad-signature': 'The admin token signature does not verify.',
  expired: 'The admin token has expired.',
  'not-yet-valid': 'The admin token is not valid yet (iat or nbf in the future).',
  'wrong-audience': `The admin token's aud must be ${ADMIN_AUDIENCE}.`,
  'missing-claim': 'The admin token needs the claims sub, jti, iat and exp.',
  'invalid-claim':
    'The admin token has a sub or jti that is not a string of 1 to 256 characters of well-formed Unicode without control characters, line or paragraph separators or bidirectional formatting characters.',
  'lifetime-too-long': `The admin token may live at most ${MAX_ADMIN_TOKEN_LIFETIME_SECONDS} seconds from iat to exp.`,
  replayed: 'The admin token was already used; every token is accepted once.',
};

class KeyRefused extends Error {
  constructor(readonly reason: AdminAuthFailure) {
    super(reason);
  }
}

export type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * Authenticates admin API calls (ICD 3): a JWT signed by a key of admin-keys.json, verified by jose
 * with an algorithm allowlist, `aud` mra-gateway-admin, `exp` and `iat` at most five minutes apart, and
 * a `jti` accepted once (the ledger keeps it until the token would have expired). Every refusal is a
 * 401 `unauthorized` and a log line with the reason and kid, never the token.
 */
export class AdminAuthenticator {
  private readonly keys: Map<string, AdminKey>;
  private readonly imported = new Map<string, VerificationKey>();

  constructor(
    keys: readonly AdminKey[],
    private readonly ledger: AdminTokenLedger,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.keys = new Map(keys.map((key) => [key.kid, key]));
  }

  /** Resolves to the administrator, or throws a 401 GatewayError. */
  async authenticate(authorization: string | undefined): Promise<AdminPrincipal> {
    const token = /^Bearer +([^\s]+) *$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) throw this.refuse('missing-token');
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      kid = typeof header.kid === 'string' ? header.kid : undefined;
    } catch {
      throw this.refuse('malformed-token');
    }
    if (this.keys.size === 0) throw this.refuse('no-admin-keys', kid);

    const now = this.clock.now();
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(token, (header) => this.verificationKey(header), {
        algorithms: [...ADMIN_TOKEN_ALGORITHMS],
        audience: ADMIN_AUDIENCE,
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
        maxTokenAge: MAX_ADMIN_TOKEN_LIFETIME_SECONDS,
        clockTolerance: ADMIN_CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
      }));
    } catch (error) {
      throw this.refuse(classify(error), kid);
    }
    const key = this.keys.get(kid!)!;
    const { sub, jti, iat, exp } = claims as { sub: unknown; jti: unknown; iat: number; exp: number };
    if (!isShortText(sub) || !isShortText(jti)) throw this.refuse('invalid-claim', kid);
    if (exp - iat > MAX_ADMIN_TOKEN_LIFETIME_SECONDS) throw this.refuse('lifetime-too-long', kid, sub);
    const keepUntil = new Date((exp + ADMIN_CLOCK_TOLERANCE_SECONDS) * 1000);
    if (!(await this.ledger.useOnce(key.kid, jti, keepUntil, now))) throw this.refuse('replayed', kid, sub);
    return { kid: key.kid, sub, roles: key.roles };
  }

  private verificationKey(header: JWTHeaderParameters): Promise<VerificationKey> {
    return adminVerificationKey(this.keys, this.imported, header);
  }

  private refuse(reason: AdminAuthFailure, kid?: string, sub?: string): GatewayError {
    this.logger.warn('admin authentication failed', { reason, ...(kid !== undefined ? { kid: kid.slice(0, 256) } : {}), ...(sub !== undefined ? { sub } : {}) });
    return new GatewayError('unauthorized', DETAILS[reason]);
  }
}

/**
 * The administrator key that verifies a token with this header, imported once per kid and algorithm
 * into `imported`; throws KeyRefused for an unknown kid or an algorithm the key does not take. Shared
 * with the member register's reader authenticator (src/register/member-reader-authenticator.ts).
 */
export async function adminVerificationKey(
  keys: ReadonlyMap<string, AdminKey>,
  imported: Map<string, VerificationKey>,
  header: JWTHeaderParameters,
): Promise<VerificationKey> {
  const key = header.kid === undefined ? undefined : keys.get(header.kid);
  if (!key) throw new KeyRefused('unknown-key');
  if (key.jwk.alg !== undefined && key.jwk.alg !== header.alg) throw new KeyRefused('disallowed-algorithm');
  const cacheKey = `${key.kid}\u0000${header.alg}`;
  const cached = imported.get(cacheKey);
  if (cached) return cached;
  let verificationKey: VerificationKey;
  try {
    verificationKey = await importJWK(key.jwk, header.alg);
  } catch {
    // The algorithm does not fit the key (an ES384 token for a P-256 key, PS256 for an EC key).
    throw new KeyRefused('disallowed-algorithm');
  }
  imported.set(cacheKey, verificationKey);
  return verificationKey;
}

/**
 * `sub` is stored as the actor of audit entries and shown with them, `jti` in the token ledger: both must
 * be text that can be stored and shown as it is (src/validation/text-characters.ts).
 */
export function isShortText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 && isAcceptableText(value);
}

/** The reason for a jose verification error (or a KeyRefused). */
export function classify(error: unknown): AdminAuthFailure {
  if (error instanceof KeyRefused) return error.reason;
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing-claim';
    if (error.claim === 'aud') return 'wrong-audience';
    if (error.claim === 'iat' || error.claim === 'nbf') return 'not-yet-valid';
    return 'invalid-claim';
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'disallowed-algorithm';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad-signature';
  return 'malformed-token';
}
