import type { LoggedSubmission, SubmissionQuery } from '../admin/submission-log.js';
import type { ProblemItem } from '../domain/gateway-error.js';
import type { ReceiptCounts } from '../domain/intake/receipt.js';
import type { ProblemCode } from '../domain/problem-types.js';

/**
 * A submission_log row, the same on both stores but for received_at (ms since the epoch on SQLite,
 * timestamptz on PostgreSQL). JSON values (errors, counts) are text; the duration is whole microseconds.
 */
export interface SubmissionLogRow {
  id: string;
  received_at: number | Date;
  administration: string;
  message_id: string | null;
  kid: string;
  kind: 'snapshot' | 'delta' | null;
  sequence: number | null;
  issued_at: string | null;
  outcome: LoggedSubmission['outcome'];
  status: number;
  problem: ProblemCode | null;
  problem_detail: string | null;
  errors: string | null;
  error_count: number | null;
  counts: string | null;
  warnings: number;
  digest: string;
  payload_digest: string;
  size: number;
  duration_us: number;
  request_id: string | null;
  receipt: string | null;
}

/** The columns, in the order `submissionLogValues` gives them. */
export const SUBMISSION_LOG_COLUMNS = [
  'id',
  'received_at',
  'administration',
  'message_id',
  'kid',
  'kind',
  'sequence',
  'issued_at',
  'outcome',
  'status',
  'problem',
  'problem_detail',
  'errors',
  'error_count',
  'counts',
  'warnings',
  'digest',
  'payload_digest',
  'size',
  'duration_us',
  'request_id',
  'receipt',
] as const;

/** An entry's column values; `time` turns receivedAt into the store's form. */
export function submissionLogValues(entry: LoggedSubmission, time: (at: Date) => unknown): unknown[] {
  const { problem } = entry;
  return [
    entry.id,
    time(entry.receivedAt),
    entry.administration,
    entry.messageId,
    entry.kid,
    entry.kind,
    entry.sequence,
    entry.issuedAt,
    entry.outcome,
    entry.status,
    problem?.code ?? null,
    problem?.detail ?? null,
    problem ? JSON.stringify(problem.errors) : null,
    problem?.errorCount ?? null,
    entry.counts ? JSON.stringify(entry.counts) : null,
    entry.warnings,
    entry.digest,
    entry.payloadDigest,
    entry.size,
    Math.max(0, Math.round(entry.durationMs * 1000)),
    entry.requestId,
    entry.receipt,
  ];
}

export function toLoggedSubmission(row: SubmissionLogRow): LoggedSubmission {
  return {
    id: row.id,
    receivedAt: row.received_at instanceof Date ? row.received_at : new Date(row.received_at),
    administration: row.administration,
    messageId: row.message_id,
    kid: row.kid,
    kind: row.kind,
    sequence: row.sequence,
    issuedAt: row.issued_at,
    outcome: row.outcome,
    status: row.status,
    problem:
      row.problem === null
        ? null
        : { code: row.problem, status: row.status, detail: row.problem_detail ?? '', errors: row.errors === null ? [] : (JSON.parse(row.errors) as ProblemItem[]), errorCount: row.error_count ?? 0 },
    counts: row.counts === null ? null : (JSON.parse(row.counts) as ReceiptCounts),
    warnings: row.warnings,
    digest: row.digest,
    payloadDigest: row.payload_digest,
    size: row.size,
    durationMs: row.duration_us / 1000,
    requestId: row.request_id,
    receipt: row.receipt,
  };
}

/**
 * The WHERE clause and parameters of a listing, with `placeholder(n)` for the n-th parameter (`?` on
 * SQLite, `$n` on PostgreSQL) and `time` for the store's form of an instant. Keyset: strictly after
 * the cursor's position in newest-first order.
 */
export function submissionLogConditions(query: SubmissionQuery, placeholder: (n: number) => string, time: (at: Date) => unknown): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: (...p: string[]) => string, ...values: unknown[]) => {
    const names = values.map((value) => {
      params.push(value);
      return placeholder(params.length);
    });
    conditions.push(sql(...names));
  };
  if (query.administration !== undefined) add((p) => `administration = ${p}`, query.administration);
  if (query.messageId !== undefined) add((p) => `message_id = ${p}`, query.messageId);
  if (query.outcome !== undefined) add((p) => `outcome = ${p}`, query.outcome);
  if (query.problem !== undefined) add((p) => `problem = ${p}`, query.problem);
  if (query.from !== undefined) add((p) => `received_at >= ${p}`, time(query.from));
  if (query.to !== undefined) add((p) => `received_at < ${p}`, time(query.to));
  if (query.before !== undefined) add((t, i) => `(received_at, id) < (${t}, ${i})`, time(query.before.receivedAt), query.before.id);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
