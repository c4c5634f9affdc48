import type { Statement } from 'better-sqlite3';
import type { LoggedSubmission, SubmissionLogStore, SubmissionQuery } from '../../admin/submission-log.js';
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

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    this.insert = db.prepare(`INSERT INTO submission_log (${SUBMISSION_LOG_COLUMNS.join(', ')}) VALUES (${SUBMISSION_LOG_COLUMNS.map(() => '?').join(', ')})`);
    this.byId = db.prepare('SELECT * FROM submission_log WHERE id = ?');
    this.pruneBatch = db.prepare('DELETE FROM submission_log WHERE rowid IN (SELECT rowid FROM submission_log WHERE received_at < ? ORDER BY received_at LIMIT ?)');
  }

  /** Committed and durable when it resolves, like every write of the embedded store. */
  append(entry: LoggedSubmission): Promise<void> {
    return this.database.transaction(async () => {
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

  async prune(before: Date): Promise<number> {
    let pruned = 0;
    for (;;) {
      const deleted = await this.database.transaction(async () => Number(this.pruneBatch.run(before.getTime(), PRUNE_BATCH).changes));
      pruned += deleted;
      if (deleted < PRUNE_BATCH) return pruned;
    }
  }
}
