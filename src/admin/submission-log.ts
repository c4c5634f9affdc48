import { randomBytes } from 'node:crypto';
import type { Logger } from 'winston';
import { GatewayError, type ProblemItem } from '../domain/gateway-error.js';
import type { SubmissionOutcomeKind, SubmissionRecord, SubmissionRecorder } from '../domain/intake/submission-record.js';
import type { ReceiptCounts } from '../domain/intake/receipt.js';
import { problemTypeUri, type ProblemCode } from '../domain/problem-types.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { DailySubmissionQuery } from './admin-requests.js';

/** A submission as the log keeps it: what the intake reported, under an id of its own. */
export interface LoggedSubmission extends SubmissionRecord {
  /** A UUIDv7 (time-ordered) made from receivedAt. */
  id: string;
}

/** Where a page of the log resumes: entries strictly older, by (receivedAt, id). */
export interface SubmissionPosition {
  receivedAt: Date;
  id: string;
}

/** Which entries a listing wants; every condition given must hold. */
export interface SubmissionFilter {
  administration?: string;
  messageId?: string;
  outcome?: SubmissionOutcomeKind;
  problem?: ProblemCode;
  /** Received at or after. */
  from?: Date;
  /** Received before. */
  to?: Date;
}

export interface SubmissionQuery extends SubmissionFilter {
  limit: number;
  before?: SubmissionPosition;
}

/**
 * The submission log's port (SQLite and PostgreSQL adapters beside the other stores). Entries are only
 * ever appended, read and, past their retention, pruned.
 */
export interface SubmissionLogStore {
  append(entry: LoggedSubmission): Promise<void>;
  find(id: string): Promise<LoggedSubmission | undefined>;
  /** Up to `limit` entries that match, newest first (receivedAt, then id, descending), older than `before`. */
  page(query: SubmissionQuery): Promise<LoggedSubmission[]>;
  /** Deletes the entries received before `before`; returns how many went. */
  prune(before: Date): Promise<number>;
  /**
   * For each of `administrations`, its newest entry (by receivedAt, then id) with `outcome`; an
   * administration without one has none in the answer. Any order.
   */
  lastPerAdministration(outcome: SubmissionOutcomeKind, administrations: readonly string[]): Promise<LoggedSubmission[]>;
  /**
   * The entries received at or after `from` and before `to`, counted per UTC day, administration and
   * outcome (by the store, GROUP BY day): a row only where there is at least one, by day, then administration.
   */
  dailyCounts(from: Date, to: Date): Promise<DailySubmissionCount[]>;
}

/** How many submissions of one administration one UTC day held, by outcome. */
export interface DailySubmissionCount {
  /** The UTC day, YYYY-MM-DD. */
  day: string;
  administration: string;
  accepted: number;
  replayed: number;
  rejected: number;
}

/** A logged submission as the admin API shows it. */
export interface SubmissionView {
  id: string;
  administration: string;
  messageId: string | null;
  kid: string;
  kind: 'snapshot' | 'delta' | null;
  sequence: number | null;
  issuedAt: string | null;
  receivedAt: string;
  outcome: SubmissionOutcomeKind;
  status: number;
  problem: { type: string; status: number; detail: string; errors: ProblemItem[]; errorCount: number } | null;
  counts: ReceiptCounts | null;
  warnings: number;
  digest: string;
  payloadDigest: string;
  size: number;
  durationMs: number;
  requestId: string | null;
  receipt: string | null;
}

/** A page of the log; `next` is the cursor of the following page, null on the last one. */
export interface SubmissionPage {
  submissions: SubmissionView[];
  next: string | null;
}

/** Submissions per day, as GET /admin/v1/submissions/daily answers: the days asked for (both included) and the counts. */
export interface DailySubmissions {
  from: string;
  to: string;
  days: DailySubmissionCount[];
}

/** The days GET /admin/v1/submissions/daily covers unless told: today (UTC) and the 29 before it. */
export const DEFAULT_DAILY_DAYS = 30;
/** The most days one request may cover: the log's default retention. */
export const MAX_DAILY_DAYS = 400;
const DAY_MS = 86_400_000;

const SUBMISSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * The log of submissions whose signature verified (ICD 3): the intake reports each once its answer is
 * decided (`record`), and the admin API reads them. Writing it never changes a partner's answer: a
 * failure is logged at warn and the submission goes on as decided; what was refused before its sender
 * was known, or by the rate limit, is never reported, so nobody can fill the store.
 */
export class SubmissionLog {
  constructor(
    private readonly store: SubmissionLogStore,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The intake's recorder: never rejects. */
  readonly record: SubmissionRecorder = async (record) => {
    const entry: LoggedSubmission = { id: submissionId(record.receivedAt), ...record };
    try {
      await this.store.append(entry);
    } catch (error) {
      this.logger.warn('submission log write failed', {
        submissionId: entry.id,
        administration: entry.administration,
        ...(entry.messageId !== null ? { messageId: entry.messageId } : {}),
        outcome: entry.outcome,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  async page(query: SubmissionQuery): Promise<SubmissionPage> {
    const entries = await this.store.page({ ...query, limit: query.limit + 1 });
    const page = entries.slice(0, query.limit);
    const last = page.at(-1);
    return { submissions: page.map(submissionView), next: entries.length > query.limit && last ? submissionCursor(last) : null };
  }

  /**
   * Counts per UTC day, administration and outcome over `from` to `to`, both included: by default today
   * (the gateway's clock) and the days before it, DEFAULT_DAILY_DAYS in all; `to` alone ends that
   * many days, `from` alone runs to today. At most MAX_DAILY_DAYS; `to` before `from` is refused.
   */
  async daily(query: DailySubmissionQuery): Promise<DailySubmissions> {
    const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);
    const today = Math.floor(this.clock.now().getTime() / DAY_MS) * DAY_MS;
    const to = query.to !== undefined ? dayStart(query.to) : query.from !== undefined ? Math.max(today, dayStart(query.from)) : today;
    const from = query.from !== undefined ? dayStart(query.from) : to - (DEFAULT_DAILY_DAYS - 1) * DAY_MS;
    if (to < from) throw new GatewayError('invalid-request', 'The query parameters are not acceptable.', { errors: [{ pointer: '/to', detail: 'must not be before from' }] });
    const days = (to - from) / DAY_MS + 1;
    if (days > MAX_DAILY_DAYS) {
      throw new GatewayError('invalid-request', 'The query parameters are not acceptable.', {
        errors: [{ pointer: query.from !== undefined ? '/from' : '/to', detail: `the range covers ${days} days; at most ${MAX_DAILY_DAYS} (both days included)` }],
      });
    }
    const day = (at: number) => new Date(at).toISOString().slice(0, 10);
    return { from: day(from), to: day(to), days: await this.store.dailyCounts(new Date(from), new Date(to + DAY_MS)) };
  }

  async get(id: string): Promise<SubmissionView> {
    const entry = SUBMISSION_ID.test(id) ? await this.store.find(id) : undefined;
    if (!entry) throw new GatewayError('submission-not-found', `The submission log has no submission "${id.slice(0, 64)}".`);
    return submissionView(entry);
  }
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids of one millisecond order
 * arbitrarily among themselves, which the log's (receivedAt, id) order makes total all the same.
 */
export function submissionId(at: Date, random: Buffer = randomBytes(16)): string {
  const bytes = Buffer.from(random);
  bytes.writeUIntBE(Math.max(0, at.getTime()) % 2 ** 48, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The opaque cursor after an entry: its position. */
export function submissionCursor(entry: SubmissionPosition): string {
  return Buffer.from(JSON.stringify({ t: entry.receivedAt.getTime(), i: entry.id })).toString('base64url');
}

/** The position a cursor names, or undefined when it is not one this API gave out. */
export function submissionCursorPosition(cursor: string): SubmissionPosition | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown };
    if (Number.isSafeInteger(parsed.t) && typeof parsed.i === 'string' && SUBMISSION_ID.test(parsed.i)) return { receivedAt: new Date(parsed.t as number), id: parsed.i };
  } catch {
    // not a cursor
  }
  return undefined;
}

export function submissionView(entry: LoggedSubmission): SubmissionView {
  const { problem } = entry;
  return {
    id: entry.id,
    administration: entry.administration,
    messageId: entry.messageId,
    kid: entry.kid,
    kind: entry.kind,
    sequence: entry.sequence,
    issuedAt: entry.issuedAt,
    receivedAt: entry.receivedAt.toISOString(),
    outcome: entry.outcome,
    status: entry.status,
    problem: problem ? { type: problemTypeUri(problem.code), status: problem.status, detail: problem.detail, errors: problem.errors, errorCount: problem.errorCount } : null,
    counts: entry.counts,
    warnings: entry.warnings,
    digest: entry.digest,
    payloadDigest: entry.payloadDigest,
    size: entry.size,
    durationMs: Math.round(entry.durationMs * 1000) / 1000,
    requestId: entry.requestId,
    receipt: entry.receipt,
  };
}
