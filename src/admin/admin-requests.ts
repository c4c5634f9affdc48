import type { ArrangementStatus } from '../domain/arrangement.js';
import { GatewayError, type ProblemItem } from '../domain/gateway-error.js';
import { MAX_LISTED_ERRORS } from '../domain/intake/listed-problems.js';
import type { SubmissionOutcomeKind } from '../domain/intake/submission-record.js';
import { problemTypes, type ProblemCode } from '../domain/problem-types.js';
import { parseInstant } from '../domain/rfc3339.js';
import { submissionCursorPosition, type SubmissionQuery } from './submission-log.js';
import { describeRefusedCharacter, refusedCharacter } from '../domain/text-characters.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const MAX_REASON = 1000;
const STATUSES: readonly ArrangementStatus[] = ['active', 'suspended', 'terminated'];

/** POST /admin/v1/administrations/{code}/keys */
export interface AddKeyRequest {
  jwk: unknown;
  notBefore: Date | null;
  notAfter: Date | null;
}

/** PATCH /admin/v1/administrations/{code} */
export interface StatusChangeRequest {
  status: ArrangementStatus;
  reason: string;
}

/** GET /admin/v1/audit */
export interface AuditQuery {
  after: number;
  limit: number;
}

export const DEFAULT_AUDIT_PAGE = 100;
export const MAX_AUDIT_PAGE = 500;

/**
 * Reads admin request bodies and queries. Each reader names every problem at once, as JSON Pointers
 * into the body, in one 400 `invalid-request`; unknown members are refused, as in the partner API, so
 * a misspelt "notAfter" never passes silently as "no end date".
 */
export function readAddKeyRequest(body: unknown): AddKeyRequest {
  return read(body, ['jwk', 'notBefore', 'notAfter'], (get, errors) => {
    const jwk = get('jwk');
    if (jwk === undefined) errors.push({ pointer: '/jwk', detail: 'is required: the public JWK to register' });
    return { jwk, notBefore: optionalDate(get('notBefore'), '/notBefore', errors), notAfter: optionalDate(get('notAfter'), '/notAfter', errors) };
  });
}

export function readRetireRequest(body: unknown): { notAfter: Date } {
  return read(body, ['notAfter'], (get, errors) => {
    const notAfter = optionalDate(get('notAfter'), '/notAfter', errors);
    if (get('notAfter') === undefined || get('notAfter') === null) errors.push({ pointer: '/notAfter', detail: 'is required: when the key stops being accepted' });
    return { notAfter: notAfter ?? new Date(0) };
  });
}

export function readRevokeRequest(body: unknown): { reason: string } {
  return read(body, ['reason'], (get, errors) => ({ reason: requiredReason(get('reason'), errors) }));
}

export function readStatusChangeRequest(body: unknown): StatusChangeRequest {
  return read(body, ['status', 'reason'], (get, errors) => {
    const status = get('status');
    if (!STATUSES.includes(status as ArrangementStatus)) errors.push({ pointer: '/status', detail: `must be one of ${STATUSES.join(', ')}` });
    return { status: status as ArrangementStatus, reason: requiredReason(get('reason'), errors) };
  });
}

/** The body of a request that takes none (e.g. a rotation): empty, or an empty object. */
export function readEmptyRequest(body: unknown): void {
  if (body === undefined) return;
  read(body, [], () => undefined);
}

export function readAuditQuery(query: Record<string, unknown>): AuditQuery {
  const errors: ProblemItem[] = [];
  for (const name of Object.keys(query)) {
    if (name !== 'after' && name !== 'limit') errors.push({ pointer: `/${name}`, detail: 'is not a known query parameter (after, limit)' });
  }
  const after = wholeNumber(query.after, '/after', 0, Number.MAX_SAFE_INTEGER, errors) ?? 0;
  const limit = wholeNumber(query.limit, '/limit', 1, MAX_AUDIT_PAGE, errors) ?? DEFAULT_AUDIT_PAGE;
  if (errors.length > 0) throw new GatewayError('invalid-request', 'The query parameters are not acceptable.', { errors: errors.slice(0, MAX_LISTED_ERRORS) });
  return { after, limit };
}

export const DEFAULT_SUBMISSION_PAGE = 100;
export const MAX_SUBMISSION_PAGE = 1000;
const SUBMISSION_PARAMETERS = ['administration', 'messageId', 'outcome', 'problem', 'from', 'to', 'limit', 'cursor'];
const OUTCOMES: readonly SubmissionOutcomeKind[] = ['accepted', 'replayed', 'rejected'];
const PROBLEM_URN = 'urn:mra-gateway:problem:';

/**
 * GET /admin/v1/submissions: filters, a page size and the cursor of the previous page. Every problem
 * is named at once (as JSON Pointers into the query), and a parameter the API does not know, or one
 * given twice, is refused, so that a misspelt filter never lists everything.
 */
export function readSubmissionQuery(query: Record<string, unknown>): SubmissionQuery {
  const errors: ProblemItem[] = [];
  for (const name of Object.keys(query)) {
    if (!SUBMISSION_PARAMETERS.includes(name)) errors.push({ pointer: `/${pointerText(name)}`, detail: `is not a known query parameter (${SUBMISSION_PARAMETERS.join(', ')})` });
  }
  const text = (name: string): string | undefined => {
    const value = Object.hasOwn(query, name) ? query[name] : undefined;
    if (value === undefined || typeof value === 'string') return value;
    errors.push({ pointer: `/${name}`, detail: 'may be given once' });
    return undefined;
  };
  const matching = (name: string, pattern: RegExp, detail: string): string | undefined => {
    const value = text(name);
    if (value === undefined || pattern.test(value)) return value;
    errors.push({ pointer: `/${name}`, detail });
    return undefined;
  };
  const instant = (name: string): Date | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    const at = parseInstant(value);
    if (!Number.isNaN(at)) return new Date(at);
    errors.push({ pointer: `/${name}`, detail: 'must be an RFC 3339 date-time with a time zone, e.g. 2026-12-01T00:00:00Z' });
    return undefined;
  };

  const result: SubmissionQuery = { limit: wholeNumber(text('limit'), '/limit', 1, MAX_SUBMISSION_PAGE, errors) ?? DEFAULT_SUBMISSION_PAGE };
  const administration = matching('administration', /^[A-Z]{2}$/, "must be an administration's code, e.g. EU");
  if (administration !== undefined) result.administration = administration;
  const messageId = matching('messageId', /^[A-Za-z0-9._:-]{1,64}$/, 'must be a messageId: 1 to 64 of A-Z a-z 0-9 . _ : -');
  if (messageId !== undefined) result.messageId = messageId;
  const outcome = text('outcome');
  if (outcome !== undefined) {
    if (OUTCOMES.includes(outcome as SubmissionOutcomeKind)) result.outcome = outcome as SubmissionOutcomeKind;
    else errors.push({ pointer: '/outcome', detail: `must be one of ${OUTCOMES.join(', ')}` });
  }
  const problem = text('problem');
  if (problem !== undefined) {
    // The problem's code (schema-violation) or its type (urn:mra-gateway:problem:schema-violation).
    const code = problem.startsWith(PROBLEM_URN) ? problem.slice(PROBLEM_URN.length) : problem;
    if (Object.hasOwn(problemTypes, code)) result.problem = code as ProblemCode;
    else errors.push({ pointer: '/problem', detail: `must be a problem type code (e.g. schema-violation) or type (${PROBLEM_URN}schema-violation)` });
  }
  const from = instant('from');
  if (from !== undefined) result.from = from;
  const to = instant('to');
  if (to !== undefined) result.to = to;
  if (from !== undefined && to !== undefined && from.getTime() > to.getTime()) errors.push({ pointer: '/to', detail: 'must not be before from' });
  const cursor = text('cursor');
  if (cursor !== undefined) {
    const before = submissionCursorPosition(cursor);
    if (before) result.before = before;
    else errors.push({ pointer: '/cursor', detail: 'is not one this API gave out: pass the "next" of the previous page as it is' });
  }
  if (errors.length > 0) throw new GatewayError('invalid-request', 'The query parameters are not acceptable.', { errors: errors.slice(0, MAX_LISTED_ERRORS) });
  return result;
}

/** A read that takes no query parameters (GET /admin/v1/overview): any given is refused, not ignored. */
export function readNoQuery(query: Record<string, unknown>): void {
  const errors: ProblemItem[] = Object.keys(query).map((name) => ({ pointer: `/${pointerText(name)}`, detail: 'is not a known query parameter (there are none)' }));
  if (errors.length > 0) throw new GatewayError('invalid-request', 'The query parameters are not acceptable.', { errors: errors.slice(0, MAX_LISTED_ERRORS) });
}

/** GET /admin/v1/submissions/daily: UTC days, both included; absent ones are filled in by the log. */
export interface DailySubmissionQuery {
  from?: string;
  to?: string;
}

const DAILY_PARAMETERS = ['from', 'to'];

/**
 * GET /admin/v1/submissions/daily: `from` and `to` are UTC days (YYYY-MM-DD, days that exist), each
 * given at most once; any other parameter is refused. The range itself (order, length) is checked by
 * the log, which knows what today is.
 */
export function readDailySubmissionQuery(query: Record<string, unknown>): DailySubmissionQuery {
  const errors: ProblemItem[] = [];
  for (const name of Object.keys(query)) {
    if (!DAILY_PARAMETERS.includes(name)) errors.push({ pointer: `/${pointerText(name)}`, detail: `is not a known query parameter (${DAILY_PARAMETERS.join(', ')})` });
  }
  const result: DailySubmissionQuery = {};
  for (const name of ['from', 'to'] as const) {
    const value = Object.hasOwn(query, name) ? query[name] : undefined;
    if (value === undefined) continue;
    if (typeof value !== 'string') errors.push({ pointer: `/${name}`, detail: 'may be given once' });
    else if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || !isCalendarDate(value)) errors.push({ pointer: `/${name}`, detail: 'must be a UTC day, YYYY-MM-DD, e.g. 2026-12-01' });
    else result[name] = value;
  }
  if (errors.length > 0) throw new GatewayError('invalid-request', 'The query parameters are not acceptable.', { errors: errors.slice(0, MAX_LISTED_ERRORS) });
  return result;
}

/** A name as a JSON Pointer token (RFC 6901), cut to a length a problem document can carry. */
function pointerText(name: string): string {
  return name.slice(0, 64).replace(/~/g, '~0').replace(/\//g, '~1');
}

function read<T>(body: unknown, members: readonly string[], build: (get: (name: string) => unknown, errors: ProblemItem[]) => T): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('invalid-request', 'The request body must be a JSON object sent as application/json.');
  }
  const record = body as Record<string, unknown>;
  const errors: ProblemItem[] = Object.keys(record)
    .filter((name) => !members.includes(name))
    .map((name) => ({ pointer: `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, detail: 'is not a known member' }));
  const value = build((name) => (Object.hasOwn(record, name) ? record[name] : undefined), errors);
  if (errors.length > 0) throw new GatewayError('invalid-request', `The request body has ${errors.length} problem(s).`, { errors: errors.slice(0, MAX_LISTED_ERRORS) });
  return value;
}

function optionalDate(value: unknown, pointer: string, errors: ProblemItem[]): Date | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value)) || !isCalendarDate(value)) {
    errors.push({ pointer, detail: 'must be an RFC 3339 date-time with a time zone, e.g. 2030-01-31T00:00:00Z' });
    return null;
  }
  return new Date(value);
}

/** Date.parse rolls 2030-02-31 over into March; a date that does not exist is a mistake to report. */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

/**
 * A reason is stored trimmed, so its length is measured trimmed: white space around it neither counts
 * nor fills it. Characters are code points, as JSON Schema's maxLength counts them. What is stored must
 * be text the audit log can show as it is: well-formed Unicode on one line, without control or
 * bidirectional formatting characters (src/validation/text-characters.ts); such a reason is refused,
 * not cleaned.
 */
function requiredReason(value: unknown, errors: ProblemItem[]): string {
  const reason = typeof value === 'string' ? value.trim() : '';
  const length = [...reason].length;
  if (length === 0 || length > MAX_REASON) {
    errors.push({ pointer: '/reason', detail: `is required: a string of 1 to ${MAX_REASON} characters (not counting white space around it) saying why` });
    return '';
  }
  const refused = refusedCharacter(reason);
  if (refused) {
    errors.push({ pointer: '/reason', detail: describeRefusedCharacter(refused) });
    return '';
  }
  return reason;
}

function wholeNumber(value: unknown, pointer: string, min: number, max: number, errors: ProblemItem[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value) || Number(value) < min || Number(value) > max) {
    errors.push({ pointer, detail: `must be a whole number from ${min} to ${max}` });
    return undefined;
  }
  return Number(value);
}
