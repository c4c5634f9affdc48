import type { Statement } from 'better-sqlite3';
import type { DailySubmissionCount, LoggedSubmission, SubmissionLogStore, SubmissionQuery } from '../../admin/submission-log.js';
import type { SubmissionOutcomeKind } from '../../domain/intake/submission-record.js';
import { SUBMISSION_LOG_COLUMNS, submissionLogConditions, submissionLogValues, toLoggedSubmission, type SubmissionLogRow } from '../submission-log-row.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** Entries deleted per transaction when pruning, so that intake never waits long for the write lock. */
const PRUNE_BATCH = 5000;

const ms = (at: Date): number => at.getTime();

/** The submission log on SQLite (received_at in ms since the epoch). */
export class SqliteSubmissionLog implements SubmissionLogStore {
  private readonly insert: Statement;
  private readonly byId: Statement;
  private readonly pruneBatch: Statement;
  private readonly lastOf: Statement;
  private readonly perDay: Statement;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.insert = db.prepare(`INSERT INTO submission_log (${SUBMISSION_LOG_COLUMNS.join(', ')}) VALUES (${SUBMISSION_LOG_COLUMNS.map(() => '?').join(', ')})`);
    this.byId = db.prepare('SELECT * FROM submission_log WHERE id = ?');
    this.pruneBatch = db.prepare('DELETE FROM submission_log WHERE rowid IN (SELECT rowid FROM submission_log WHERE received_at < ? ORDER BY received_at LIMIT ?)');
    // One administration's newest entry with an outcome: the (administration, received_at, id) index, walked backwards.
    this.lastOf = db.prepare('SELECT * FROM submission_log WHERE administration = ? AND outcome = ? ORDER BY received_at DESC, id DESC LIMIT 1');
    // received_at is whole ms: integer division gives the Unix second, strftime its UTC day.
    this.perDay = db.prepare(
      `SELECT strftime('%Y-%m-%d', received_at / 1000, 'unixepoch') AS day, administration,
              SUM(outcome = 'accepted') AS accepted, SUM(outcome = 'replayed') AS replayed, SUM(outcome = 'rejected') AS rejected
       FROM submission_log WHERE received_at >= ? AND received_at < ?
       GROUP BY day, administration ORDER BY day, administration`,
    );
  }

  /**
   * Committed when it resolves (the admin API sees it), but not waited on for the disk: the entry is a
   * record of an answer, not the answer, and waiting for a second fsync per submission (after the
   * intake's own) cost a third of the small submissions' rate. It reaches the disk with the next
   * fsync of the WAL, a moment later; a crash in that moment can lose the last entries, never a
   * member, a record or a receipt.
   */
  append(entry: LoggedSubmission): Promise<void> {
    return this.database.write(() => {
      this.insert.run(...submissionLogValues(entry, ms));
    });
  }

  find(id: string): Promise<LoggedSubmission | undefined> {
    return this.database.exclusive(() => {
      const row = this.byId.get(id) as SubmissionLogRow | undefined;
      return row ? toLoggedSubmission(row) : undefined;
    });
  }

  page(query: SubmissionQuery): Promise<LoggedSubmission[]> {
    const { where, params } = submissionLogConditions(query, () => '?', ms);
    return this.database.exclusive(() =>
      (this.database.db.prepare(`SELECT * FROM submission_log ${where} ORDER BY received_at DESC, id DESC LIMIT ?`).all(...params, query.limit) as SubmissionLogRow[]).map(toLoggedSubmission),
    );
  }

  lastPerAdministration(outcome: SubmissionOutcomeKind, administrations: readonly string[]): Promise<LoggedSubmission[]> {
    return this.database.exclusive(() =>
      administrations.flatMap((code) => {
        const row = this.lastOf.get(code, outcome) as SubmissionLogRow | undefined;
        return row ? [toLoggedSubmission(row)] : [];
      }),
    );
  }

  dailyCounts(from: Date, to: Date): Promise<DailySubmissionCount[]> {
    return this.database.exclusive(() => this.perDay.all(ms(from), ms(to)) as DailySubmissionCount[]);
  }

  async prune(before: Date): Promise<number> {
    let pruned = 0;
    for (;;) {
      const deleted = await this.database.transaction(async () => Number(this.pruneBatch.run(before.getTime(), PRUNE_BATCH).changes));
      pruned += deleted;
      if (deleted < PRUNE_BATCH) return pruned;
    }
  }
}
