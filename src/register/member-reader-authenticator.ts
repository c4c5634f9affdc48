import { createHash } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { Logger } from 'winston';
import {
  ADMIN_CLOCK_TOLERANCE_SECONDS,
  adminVerificationKey,
  classify,
  isShortText,
  MAX_ADMIN_TOKEN_LIFETIME_SECONDS,
  type AdminAuthFailure,
  type VerificationKey,
} from '../admin/admin-authenticator.js';
import { ADMIN_AUDIENCE } from '../admin/admin-token-format.js';
import { ADMIN_TOKEN_ALGORITHMS, type AdminKey, type AdminRole } from '../admin/admin-key.js';
import type { AdminTokenLedger } from '../admin/admin-store.js';
import type { Clock } from '../domain/clock.js';
import { GatewayError } from '../domain/gateway-error.js';
import { isUsableAt, partnerKeyState, type PartnerKey, type PartnerKeyDirectory } from '../domain/partner-key.js';

/** The `aud` a partner's reader token must carry: a token for the admin API or for another service does not work here. */
export const PARTNER_READER_AUDIENCE = 'mra-gateway-members';

/** The admin key role a CBP system needs to read the member register. */
export const MEMBER_READ_ROLE: AdminRole = 'members:read';

/** The protected header `typ` of a partner's reader token (RFC 7519 5.1), so that no member-list JWS passes as one. */
export const PARTNER_READER_TYP = 'JWT';

/** Who reads the member register: a CBP system (by its admin key) or a partner administration (by one of its keys). */
export type MemberReader = { kind: 'cbp'; kid: string; sub: string } | { kind: 'partner'; kid: string; administration: string };

/** CBP reads every administration's members; a partner only its own. */
export function mayRead(reader: MemberReader, administration: string): boolean {
  return reader.kind === 'cbp' || reader.administration === administration;
}

export interface MemberReaderAuthenticatorOptions {
  adminKeys: readonly AdminKey[];
  /**
   * The admin API's used token ids. A read token that carries a jti is recorded there when first
   * verified, so a token minted to be reused for reading can never also act once at /admin/v1.
   */
  adminTokens?: AdminTokenLedger;
  partnerKeys: PartnerKeyDirectory;
  /** The partner JWS allowlist (JWS_ALGORITHMS), the same as for member lists. */
  partnerAlgorithms: readonly string[];
  clock: Clock;
  logger: Logger;
}

/** Why a reader token was refused: logged for operators, and said in the problem's detail. */
export type ReaderAuthFailure = Exclude<AdminAuthFailure, 'no-admin-keys' | 'replayed'> | 'wrong-type' | 'inactive-key';

type ReaderKind = MemberReader['kind'];

const GENERAL: Partial<Record<ReaderAuthFailure, string>> = {
  'missing-token': 'Send a reader token as "Authorization: Bearer <JWT>".',
  'malformed-token': 'The token is not a compact JWS.',
  'unknown-key': "The token's kid names neither an administrator key nor a partner key.",
};

const BY_KIND: Record<ReaderKind, Partial<Record<ReaderAuthFailure, string>>> = {
  cbp: {
    'disallowed-algorithm': `The token's algorithm is not allowed for this administrator key (allowed: ${ADMIN_TOKEN_ALGORITHMS.join(', ')}).`,
    'wrong-audience': `The token of an administrator key must have aud ${ADMIN_AUDIENCE}.`,
    'missing-claim': 'The token of an administrator key needs the claims aud, sub, iat and exp.',
    'invalid-claim':
      'The token has a sub that is not a string of 1 to 256 characters of well-formed Unicode without control characters, line or paragraph separators or bidirectional formatting characters.',
  },
  partner: {
    'disallowed-algorithm': 'The token\'s algorithm is not allowed for this partner key (the partner allowlist, and the key\'s own "alg" when it has one).',
    'wrong-audience': `The token of a partner key must have aud ${PARTNER_READER_AUDIENCE}.`,
    'missing-claim': 'The token of a partner key needs the claims aud, iat and exp.',
    'invalid-claim': 'The token has a claim of the wrong type.',
    'wrong-type': `The token of a partner key needs "typ": "${PARTNER_READER_TYP}" in its protected header.`,
    'inactive-key': 'The partner key that signed the token is not active now (pending, expired, revoked or unsafe).',
  },
};

const COMMON: Partial<Record<ReaderAuthFailure, string>> = {
  'bad-signature': 'The token signature does not verify.',
  expired: 'The token has expired (or its iat is more than 5 minutes old).',
  'not-yet-valid': 'The token is not valid yet (iat or nbf in the future).',
  'lifetime-too-long': `The token may live at most ${MAX_ADMIN_TOKEN_LIFETIME_SECONDS} seconds from iat to exp.`,
};

function detail(reason: ReaderAuthFailure, kind: ReaderKind | undefined): string {
  return (kind && BY_KIND[kind][reason]) ?? GENERAL[reason] ?? COMMON[reason] ?? 'The token is not acceptable.';
}

/** Refusals a working client can run into (a missing or timed-out token) are logged at info, the rest at warn. */
const ROUTINE = new Set<ReaderAuthFailure>(['missing-token', 'expired']);

/** Verified CBP tokens remembered until they expire, so that a reader using one again costs a lookup. */
const MAX_CACHED_TOKENS = 10_000;
/** Imported partner keys, per key material and algorithm. */
const MAX_IMPORTED_PARTNER_KEYS = 4096;

interface CachedReader {
  reader: Extract<MemberReader, { kind: 'cbp' }>;
  /** Milliseconds: accepted from validFrom (iat or nbf less the tolerance) until validUntil (exp plus the tolerance). */
  validFrom: number;
  validUntil: number;
}

class Refused extends Error {
  constructor(
    readonly reason: ReaderAuthFailure,
    readonly kind?: ReaderKind,
    /** More for the log line (never the token). */
    readonly fields: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}

/**
 * Authenticates readers of the member register (GET /v1/members...), by the token's kid:
 *
 * - an administrator key's kid: a CBP system, under the admin token rules (contract.md section 3:
 *   algorithm allowlist, aud mra-gateway-admin, sub, iat and exp at most 5 minutes apart, 30 s clock
 *   tolerance) except that no jti is needed and the token may be used again until it expires, since
 *   reads change nothing. The key needs the role `members:read` (else 403 `forbidden`).
 * - otherwise a partner key's kid: the partner administration that owns the key, which must be usable
 *   now; the algorithm on the partner allowlist and fitting the key; `typ: JWT` in the protected header
 *   (a member-list JWS, typ mra-member-list+json, never passes); aud mra-gateway-members; iat and exp at
 *   most 5 minutes apart.
 *
 * Every other refusal is 401 `unauthorized`, with the reason in the detail and a log line with the
 * reason and kid, never the token.
 */
export class MemberReaderAuthenticator {
  private readonly adminKeys: Map<string, AdminKey>;
  private readonly partnerKeys: PartnerKeyDirectory;
  private readonly partnerAlgorithms: readonly string[];
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly adminTokens: AdminTokenLedger | undefined;
  private readonly importedAdminKeys = new Map<string, VerificationKey>();
  private readonly importedPartnerKeys = new Map<string, VerificationKey | null>();
  /** By the SHA-256 of the exact token text (so that memory does not grow with the token's size). */
  private readonly verified = new Map<string, CachedReader>();

  constructor(options: MemberReaderAuthenticatorOptions) {
    this.adminKeys = new Map(options.adminKeys.map((key) => [key.kid, key]));
    this.partnerKeys = options.partnerKeys;
    this.partnerAlgorithms = [...options.partnerAlgorithms];
    this.clock = options.clock;
    this.logger = options.logger;
    this.adminTokens = options.adminTokens;
  }

  /** Resolves to the reader, or throws a GatewayError: 401 `unauthorized`, or 403 `forbidden`. */
  async authenticate(authorization: string | undefined): Promise<MemberReader> {
    const token = /^Bearer +([^\s]+) *$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) throw this.refuse(new Refused('missing-token'));
    let header: ProtectedHeaderParameters;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw this.refuse(new Refused('malformed-token'));
    }
    // A compact JWS has exactly three parts; a JWE (five) or anything else is not a token here.
    if (token.split('.').length !== 3) throw this.refuse(new Refused('malformed-token'));
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    if (kid === undefined || kid === '') throw this.refuse(new Refused('unknown-key'));
    const now = this.clock.now();
    try {
      const adminKey = this.adminKeys.get(kid);
      if (adminKey) return await this.authenticateCbp(token, adminKey, now);
      return await this.authenticatePartner(token, header, kid, now);
    } catch (error) {
      if (error instanceof Refused) throw this.refuse(error, kid);
      throw error;
    }
  }

  private async authenticateCbp(token: string, key: AdminKey, now: Date): Promise<MemberReader> {
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    const cached = this.verified.get(cacheKey);
    const t = now.getTime();
    if (cached && t >= cached.validFrom && t < cached.validUntil) return cached.reader;

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, (header) => adminVerificationKey(this.adminKeys, this.importedAdminKeys, header), {
        algorithms: [...ADMIN_TOKEN_ALGORITHMS],
        audience: ADMIN_AUDIENCE,
        requiredClaims: ['sub', 'iat', 'exp'],
        maxTokenAge: MAX_ADMIN_TOKEN_LIFETIME_SECONDS,
        clockTolerance: ADMIN_CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
      }));
    } catch (error) {
      throw new Refused(readerFailure(error), 'cbp');
    }
    const { sub, iat, exp, nbf, jti } = claims as { sub: unknown; iat: number; exp: number; nbf?: number; jti?: unknown };
    if (!isShortText(sub)) throw new Refused('invalid-claim', 'cbp');
    if (exp - iat > MAX_ADMIN_TOKEN_LIFETIME_SECONDS) throw new Refused('lifetime-too-long', 'cbp');
    // Used for reading, it is used up for the admin API (whatever the ledger says: reads may repeat).
    if (this.adminTokens && isShortText(jti)) await this.adminTokens.useOnce(key.kid, jti, new Date((exp + ADMIN_CLOCK_TOLERANCE_SECONDS) * 1000), now);
    if (!key.roles.includes(MEMBER_READ_ROLE)) {
      this.logger.warn('member reader refused', { reason: 'missing-role', kind: 'cbp', kid: key.kid, sub });
      throw new GatewayError('forbidden', `The admin key "${key.kid}" does not have the role "${MEMBER_READ_ROLE}" reading the member register needs.`);
    }
    const reader = { kind: 'cbp' as const, kid: key.kid, sub };
    const tolerance = ADMIN_CLOCK_TOLERANCE_SECONDS * 1000;
    this.remember(cacheKey, {
      reader,
      validFrom: Math.max(iat, typeof nbf === 'number' ? nbf : iat) * 1000 - tolerance,
      validUntil: exp * 1000 + tolerance,
    }, t);
    return reader;
  }

  private async authenticatePartner(token: string, header: ProtectedHeaderParameters, kid: string, now: Date): Promise<MemberReader> {
    const candidates = await this.partnerKeys.findByKid(kid);
    if (candidates.length === 0) throw new Refused('unknown-key');
    if (!isJwtTyp(header.typ)) throw new Refused('wrong-type', 'partner');
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.partnerAlgorithms.includes(alg)) throw new Refused('disallowed-algorithm', 'partner');
    const usable = candidates.filter((key) => isUsableAt(key, now));
    if (usable.length === 0) {
      throw new Refused('inactive-key', 'partner', { states: [...new Set(candidates.map((key) => partnerKeyState(key, now)))] });
    }
    let fitted = false;
    // A kid is unique within one administration only (an older store may hold it for several): the key
    // that verifies the signature names the reader, as for member lists (member-list-verifier.ts).
    for (const key of usable) {
      const verificationKey = await this.partnerVerificationKey(key, alg);
      if (!verificationKey) continue;
      fitted = true;
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(token, verificationKey, {
          algorithms: [alg],
          typ: PARTNER_READER_TYP,
          audience: PARTNER_READER_AUDIENCE,
          requiredClaims: ['iat', 'exp'],
          maxTokenAge: MAX_ADMIN_TOKEN_LIFETIME_SECONDS,
          clockTolerance: ADMIN_CLOCK_TOLERANCE_SECONDS,
          currentDate: now,
        }));
      } catch (error) {
        if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
        throw new Refused(readerFailure(error), 'partner');
      }
      const { iat, exp } = claims as { iat: number; exp: number };
      if (exp - iat > MAX_ADMIN_TOKEN_LIFETIME_SECONDS) throw new Refused('lifetime-too-long', 'partner');
      return { kind: 'partner', kid: key.kid, administration: key.administration };
    }
    throw new Refused(fitted ? 'bad-signature' : 'disallowed-algorithm', 'partner');
  }

  /** The partner key prepared for `alg`, or undefined when the key does not take it (another key type, curve or "alg"). */
  private async partnerVerificationKey(key: PartnerKey, alg: string): Promise<VerificationKey | undefined> {
    if (key.jwk.alg !== undefined && key.jwk.alg !== alg) return undefined;
    const cacheKey = `${alg}\u0000${JSON.stringify(key.jwk)}`;
    const cached = this.importedPartnerKeys.get(cacheKey);
    if (cached !== undefined) return cached ?? undefined;
    let imported: VerificationKey | null;
    try {
      imported = await importJWK(key.jwk, alg);
    } catch {
      imported = null;
    }
    if (this.importedPartnerKeys.size >= MAX_IMPORTED_PARTNER_KEYS) this.importedPartnerKeys.clear();
    this.importedPartnerKeys.set(cacheKey, imported);
    return imported ?? undefined;
  }

  /** Keeps a verified CBP token; when full, first drops the expired entries, then the oldest. */
  private remember(cacheKey: string, entry: CachedReader, now: number): void {
    if (this.verified.size >= MAX_CACHED_TOKENS) {
      for (const [k, v] of this.verified) if (v.validUntil <= now) this.verified.delete(k);
      while (this.verified.size >= MAX_CACHED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(cacheKey, entry);
  }

  private refuse(refused: Refused, kid?: string): GatewayError {
    const fields = {
      reason: refused.reason,
      ...(refused.kind ? { kind: refused.kind } : {}),
      ...(kid !== undefined ? { kid: kid.slice(0, 256) } : {}),
      ...refused.fields,
    };
    if (ROUTINE.has(refused.reason)) this.logger.info('member reader refused', fields);
    else this.logger.warn('member reader refused', fields);
    return new GatewayError('unauthorized', detail(refused.reason, refused.kind));
  }
}

function readerFailure(error: unknown): ReaderAuthFailure {
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'typ') return 'wrong-type';
  const reason = classify(error);
  // Neither applies to reads (classify never returns them for a jose error); say "not acceptable" if ever.
  return reason === 'no-admin-keys' || reason === 'replayed' ? 'malformed-token' : reason;
}

/** RFC 7515 4.1.9: typ compares case-insensitively and may carry the "application/" prefix. */
function isJwtTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const lower = typ.toLowerCase();
  return lower === 'jwt' || lower === 'application/jwt';
}
