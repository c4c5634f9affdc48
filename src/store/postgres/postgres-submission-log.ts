import type { DailySubmissionCount, LoggedSubmission, SubmissionLogStore, SubmissionQuery } from '../../admin/submission-log.js';
import type { SubmissionOutcomeKind } from '../../domain/intake/submission-record.js';
import { SUBMISSION_LOG_COLUMNS, submissionLogConditions, submissionLogValues, toLoggedSubmission, type SubmissionLogRow } from '../submission-log-row.js';
import type { PostgresDatabase } from './postgres-database.js';

/** Entries deleted per statement when pruning. */
const PRUNE_BATCH = 5000;

const instant = (at: Date): Date => at;

/**
 * The submission log on PostgreSQL (received_at timestamptz). Every instance appends its own
 * submissions and reads everyone's; any may prune (deleting twice deletes nothing).
 */
export class PostgresSubmissionLog implements SubmissionLogStore {
  constructor(private readonly database: PostgresDatabase) {}

  async append(entry: LoggedSubmission): Promise<void> {
    await this.database.query(
      `INSERT INTO submission_log (${SUBMISSION_LOG_COLUMNS.join(', ')}) VALUES (${SUBMISSION_LOG_COLUMNS.map((_c, i) => `$${i + 1}`).join(', ')})`,
      submissionLogValues(entry, instant),
    );
  }

  async find(id: string): Promise<LoggedSubmission | undefined> {
    const { rows } = await this.database.query<SubmissionLogRow>('SELECT * FROM submission_log WHERE id = $1', [id]);
    return rows[0] ? toLoggedSubmission(rows[0]) : undefined;
  }

  async page(query: SubmissionQuery): Promise<LoggedSubmission[]> {
    const { where, params } = submissionLogConditions(query, (n) => `$${n}`, instant);
    const { rows } = await this.database.query<SubmissionLogRow>(`SELECT * FROM submission_log ${where} ORDER BY received_at DESC, id DESC LIMIT $${params.length + 1}`, [
      ...params,
      query.limit,
    ]);
    return rows.map(toLoggedSubmission);
  }

  /** One statement: for each code, its newest entry with the outcome, through the (administration, received_at, id) index. */
  async lastPerAdministration(outcome: SubmissionOutcomeKind, administrations: readonly string[]): Promise<LoggedSubmission[]> {
    if (administrations.length === 0) return [];
    const { rows } = await this.database.query<SubmissionLogRow>(
      `SELECT last.* FROM unnest($1::text[]) AS wanted(code)
       CROSS JOIN LATERAL (SELECT * FROM submission_log WHERE administration = wanted.code AND outcome = $2 ORDER BY received_at DESC, id DESC LIMIT 1) AS last`,
      [[...administrations], outcome],
    );
    return rows.map(toLoggedSubmission);
  }

  async dailyCounts(from: Date, to: Date): Promise<DailySubmissionCount[]> {
    const { rows } = await this.database.query<DailySubmissionCount>(
      `SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, administration,
              (count(*) FILTER (WHERE outcome = 'accepted'))::int AS accepted,
              (count(*) FILTER (WHERE outcome = 'replayed'))::int AS replayed,
              (count(*) FILTER (WHERE outcome = 'rejected'))::int AS rejected
       FROM submission_log WHERE received_at >= $1 AND received_at < $2
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [from, to],
    );
    return rows;
  }

  async prune(before: Date): Promise<number> {
    let pruned = 0;
    for (;;) {
      const { rowCount } = await this.database.query('DELETE FROM submission_log WHERE id IN (SELECT id FROM submission_log WHERE received_at < $1 LIMIT $2)', [before, PRUNE_BATCH]);
      pruned += rowCount ?? 0;
      if ((rowCount ?? 0) < PRUNE_BATCH) return pruned;
    }
  }
}
