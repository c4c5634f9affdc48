import { GatewayError } from '../domain/gateway-error.js';
import type { IdScheme, Role, Status } from '../domain/generated/member-list.js';
import { midKey, nameKey } from '../domain/member/member-search-keys.js';
import { parseInstant } from '../domain/rfc3339.js';
import type { MemberListQuery } from './member-register-store.js';

export const MAX_PAGE = 1000;
export const DEFAULT_PAGE = 100;

const STATUSES = ['certified', 'suspended', 'revoked', 'withdrawn'] as const satisfies readonly Status[];
const ROLES = ['manufacturer', 'exporter', 'importer', 'carrier', 'forwarder', 'warehouse', 'customs-broker', 'port-operator', 'other'] as const satisfies readonly Role[];
const ID_SCHEMES = ['EORI', 'BN', 'RFC', 'UEN', 'CNPJ', 'PAN', 'JCN', 'OTHER'] as const satisfies readonly IdScheme[];
// The lists above are the schema's enums: a value added there and not here fails to compile.
const everyListed: [Exclude<Status, (typeof STATUSES)[number]>, Exclude<Role, (typeof ROLES)[number]>, Exclude<IdScheme, (typeof ID_SCHEMES)[number]>] extends [never, never, never] ? true : never = true;
void everyListed;

const PARAMETERS = ['administration', 'recognized', 'status', 'role', 'country', 'changedSince', 'includeRemoved', 'mid', 'identifier', 'name', 'limit', 'cursor'];

/**
 * `GET /v1/members?...` as a listing query (ICD 5). Every parameter is checked, and one the API does
 * not know is refused, so a misspelt filter (`mids=`) cannot silently list everything.
 */
export function parseMemberListQuery(params: Record<string, unknown>, isAdministration: (code: string) => boolean): MemberListQuery {
  const unknown = Object.keys(params).filter((name) => !PARAMETERS.includes(name));
  if (unknown.length > 0) throw invalid(`Unknown parameter ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}: the listing takes ${PARAMETERS.join(', ')}.`);
  const text = (name: string): string | undefined => single(params[name], name);
  const query: MemberListQuery = { includeRemoved: flag(text('includeRemoved'), 'includeRemoved') ?? false, limit: pageSize(text('limit')) };

  const administration = text('administration');
  if (administration !== undefined) {
    if (!isAdministration(administration)) throw invalid(`administration "${administration.slice(0, 40)}" is not an arrangement's code (EU, JP, KR, ...).`);
    query.administration = administration;
  }
  const recognized = flag(text('recognized'), 'recognized');
  if (recognized !== undefined) query.recognized = recognized;
  const status = text('status');
  if (status !== undefined) query.status = oneOf(status, STATUSES, 'status');
  const role = text('role');
  if (role !== undefined) query.role = oneOf(role, ROLES, 'role');
  const country = text('country');
  if (country !== undefined) {
    if (!/^[A-Z]{2}$/.test(country)) throw invalid('country is an ISO 3166-1 alpha-2 code in capitals, e.g. FR.');
    query.country = country;
  }
  const changedSince = text('changedSince');
  if (changedSince !== undefined) {
    const at = parseInstant(changedSince);
    if (Number.isNaN(at)) throw invalid('changedSince must be an RFC 3339 date-time, e.g. 2026-05-01T00:00:00Z.');
    query.changedSince = new Date(at).toISOString();
  }
  const mid = text('mid');
  if (mid !== undefined) {
    const value = midKey(mid);
    if (!/^[A-Z0-9]{1,15}$/.test(value)) throw invalid('mid is a Manufacturer Identification Code: letters and digits, at most 15.');
    query.mid = value;
  }
  const identifier = text('identifier');
  if (identifier !== undefined) {
    const match = /^([A-Za-z]+):(.{1,64})$/s.exec(identifier.trim());
    const scheme = match?.[1]?.toUpperCase();
    if (!match || !ID_SCHEMES.includes(scheme as IdScheme)) throw invalid(`identifier is <scheme>:<value> with a scheme of ${ID_SCHEMES.join(', ')}, e.g. EORI:DE123456789012.`);
    query.identifier = { scheme: scheme!, memberId: match[2]! };
  }
  const name = text('name');
  if (name !== undefined) {
    const prefix = nameKey(name);
    if (prefix === '' || name.length > 200) throw invalid('name is the start of a legal or trade name: at least one letter or digit, at most 200 characters.');
    query.namePrefix = prefix;
  }
  const cursor = text('cursor');
  if (cursor !== undefined) query.after = listCursorPosition(cursor);
  return query;
}

/** The opaque cursor after a listing page: the last member's key. */
export function listCursor(administration: string, memberId: string): string {
  return Buffer.from(JSON.stringify({ a: administration, m: memberId })).toString('base64url');
}

function listCursorPosition(text: string): { administration: string; memberId: string } {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { a?: unknown; m?: unknown };
    if (typeof parsed.a === 'string' && typeof parsed.m === 'string' && parsed.a.length <= 3 && parsed.m.length <= 128) return { administration: parsed.a, memberId: parsed.m };
  } catch {
    // reported below
  }
  throw badCursor();
}

export function badCursor(): GatewayError {
  return invalid('cursor is not one this API gave out: pass the "next" of the previous page as it is.');
}

/** A query parameter given at most once, as text. */
export function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} may be given once, as text.`);
  return value;
}

export function pageSize(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PAGE;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > MAX_PAGE) throw invalid(`limit must be a whole number from 1 to ${MAX_PAGE}.`);
  return Number(text);
}

function flag(text: string | undefined, name: string): boolean | undefined {
  if (text === undefined) return undefined;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw invalid(`${name} is true or false.`);
}

function oneOf<T extends string>(text: string, values: readonly T[], name: string): T {
  if (!values.includes(text as T)) throw invalid(`${name} is one of ${values.join(', ')}.`);
  return text as T;
}

function invalid(detail: string): GatewayError {
  return new GatewayError('invalid-request', detail);
}
