import { Router, type Request, type Response } from 'express';
import type { ArrangementRegistry } from '../domain/arrangement.js';
import { GatewayError } from '../domain/gateway-error.js';
import type { MemberRecord } from '../domain/member/member-record.js';
import { parseInstant } from '../domain/rfc3339.js';
import { badCursor, listCursor, pageSize, parseMemberListQuery, single } from './member-list-query.js';
import type { MemberRegisterStore, RegisterVersion } from './member-register-store.js';
import { mayRead, type MemberReader, type MemberReaderAuthenticator } from './member-reader-authenticator.js';

export interface MemberRegisterDependencies {
  register: MemberRegisterStore;
  /** Who is asking, from the Authorization header; throws a 401 or 403 GatewayError. */
  readers: Pick<MemberReaderAuthenticator, 'authenticate'>;
  arrangements: ArrangementRegistry;
  /** Brings the arrangement statuses this instance caches up to date (a shared store). */
  ensureCurrent?: () => Promise<void>;
}

const KEY = /^([A-Z]{2,3}):(.{1,128})$/s;

/** A version as a reader sees it: the record's member, change and source, and when it was accepted. */
interface MemberView {
  key: string;
  version: number;
  change: MemberRecord['change'];
  acceptedAt: string | null;
  member: MemberRecord['member'];
  previous?: MemberRecord['previous'];
  source: MemberRecord['source'] | null;
}

/**
 * The register's reads (ICD 5): a member's state now or at an instant, and its history. Every request
 * is authenticated before anything is looked up, so an unknown key and a forbidden one cannot be told
 * apart by someone who may not read them.
 */
export function memberRegisterRouter(deps: MemberRegisterDependencies): Router {
  const router = Router();

  const authenticated = async (req: Request, res: Response): Promise<MemberReader> => {
    try {
      return await deps.readers.authenticate(req.headers.authorization);
    } catch (error) {
      if (error instanceof GatewayError && error.status === 401) res.set('WWW-Authenticate', 'Bearer realm="mra-gateway-members"');
      throw error;
    }
  };
  const forbidden = (who: MemberReader): GatewayError =>
    new GatewayError('forbidden', `This token may read the members of ${who.kind === 'partner' ? who.administration : 'no administration'} only.`);
  const arrangementOf = (administration: string): { code: string; status: string } => {
    const arrangement = deps.arrangements.find(administration)!;
    return { code: arrangement.code, status: arrangement.status };
  };

  const reader = async (req: Request<{ key: string }>, res: Response): Promise<{ administration: string; memberId: string }> => {
    const who = await authenticated(req, res);
    const match = KEY.exec(req.params.key);
    const administration = match?.[1];
    // A partner learns nothing of other administrations, not even which exist: 403 before any lookup.
    if (administration !== undefined && !mayRead(who, administration)) throw forbidden(who);
    if (!match || administration === undefined || !deps.arrangements.find(administration)) {
      throw new GatewayError('member-not-found', `There is no member with key "${req.params.key.slice(0, 140)}": a key is <ADMINISTRATION>:<memberId>.`);
    }
    return { administration, memberId: match[2]! };
  };

  router.get('/v1/members/:key', async (req, res) => {
    const { administration, memberId } = await reader(req, res);
    const asOf = single(req.query.asOf, 'asOf');
    let found: RegisterVersion | undefined;
    if (asOf === undefined) found = await deps.register.latest(administration, memberId);
    else {
      const at = parseInstant(asOf);
      if (Number.isNaN(at)) throw new GatewayError('invalid-request', 'asOf must be an RFC 3339 date-time, e.g. 2026-05-01T00:00:00Z.');
      found = await deps.register.asOf(administration, memberId, new Date(at).toISOString());
    }
    const key = `${administration}:${memberId}`;
    if (!found) throw new GatewayError('member-not-found', asOf === undefined ? `The gateway holds no member ${key}.` : `The gateway held no member ${key} at ${asOf}.`);
    await deps.ensureCurrent?.();
    res.json({ ...view(key, found), ...(asOf !== undefined ? { asOf } : {}), arrangement: arrangementOf(administration) });
  });

  // The listing: members' latest versions in key order, a page at a time. Each item is what
  // GET /v1/members/{key} answers, so a consumer loading the register keeps each member's version and
  // ignores any record at or below it.
  router.get('/v1/members', async (req, res) => {
    const who = await authenticated(req, res);
    const query = parseMemberListQuery(req.query, (code) => deps.arrangements.find(code) !== undefined);
    if (who.kind === 'partner') {
      // A partner lists its own administration: that is the default, and anything else is refused.
      if (query.administration !== undefined && query.administration !== who.administration) throw forbidden(who);
      query.administration = who.administration;
    }
    if (query.after !== undefined && !KEY.test(`${query.after.administration}:${query.after.memberId}`)) throw badCursor();
    const limit = query.limit;
    const rows = await deps.register.list({ ...query, limit: limit + 1 });
    await deps.ensureCurrent?.();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    res.json({
      // Members of an administration the registry no longer lists are not served (GET /v1/members/{key} is 404 for them too).
      members: page
        .filter((row) => deps.arrangements.find(row.administration) !== undefined)
        .map((row) => ({ ...view(`${row.administration}:${row.memberId}`, row), arrangement: arrangementOf(row.administration) })),
      next: rows.length > limit && last ? listCursor(last.administration, last.memberId) : null,
    });
  });

  router.get('/v1/members/:key/history', async (req, res) => {
    const { administration, memberId } = await reader(req, res);
    const limit = pageSize(single(req.query.limit, 'limit'));
    const after = cursorVersion(single(req.query.cursor, 'cursor'));
    const versions = await deps.register.history(administration, memberId, after, limit + 1);
    const key = `${administration}:${memberId}`;
    if (versions.length === 0 && after === 0) throw new GatewayError('member-not-found', `The gateway holds no member ${key}.`);
    const page = versions.slice(0, limit);
    const next = versions.length > limit ? Buffer.from(JSON.stringify({ v: page.at(-1)!.version })).toString('base64url') : null;
    res.json({ key, versions: page.map((v) => view(key, v)), next });
  });

  return router;
}

function view(key: string, version: RegisterVersion): MemberView {
  if (version.record !== null) {
    const record = JSON.parse(version.record) as MemberRecord;
    return {
      key,
      version: version.version,
      change: record.change,
      acceptedAt: version.acceptedAt,
      member: record.member,
      ...(record.previous ? { previous: record.previous } : {}),
      source: record.source,
    };
  }
  // Stored before versions existed: the member as stored, at version 1, with no record behind it.
  const member = { ...(JSON.parse(version.member ?? '{}') as MemberRecord['member']), version: version.version };
  return { key, version: version.version, change: version.change, acceptedAt: version.acceptedAt, member, source: null };
}

function cursorVersion(text: string | undefined): number {
  if (text === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { v?: unknown };
    if (typeof parsed.v === 'number' && Number.isInteger(parsed.v) && parsed.v >= 1) return parsed.v;
  } catch {
    // reported below
  }
  throw badCursor();
}
