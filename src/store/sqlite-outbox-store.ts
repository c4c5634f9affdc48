import type { Statement } from 'better-sqlite3';
import type { OutboxBacklog, OutboxStore, PendingRecord } from '../outbox/outbox-ports.js';
import { OutboxWatermark } from './outbox-watermark.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface OutboxRow {
  seq: number;
  event_id: string;
  administration: string;
  member_key: string;
  change: PendingRecord['change'];
  routing_key: string;
  occurred_at: string;
  body: Buffer;
}

export class SqliteOutboxStore implements OutboxStore {
  private readonly pendingStatement: Statement;
  private readonly markStatement: Statement;
  private readonly backlogStatement: Statement;
  private readonly pruneStatement: Statement;

  /** Shared with the intake store, which advances it once its commits are durable. */
  readonly watermark: OutboxWatermark;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    // Whatever is in the outbox at start-up was read back from disk, so it is durable.
    this.watermark = new OutboxWatermark((db.prepare("SELECT COALESCE(MAX(seq), 0) FROM outbox").pluck().get() as number));
    this.pendingStatement = db.prepare(
      `SELECT seq, event_id, administration, member_key, change, routing_key, occurred_at, body
       FROM outbox WHERE published_at IS NULL AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
    );
    this.markStatement = db.prepare('UPDATE outbox SET published_at = ? WHERE seq IN (SELECT value FROM json_each(?)) AND published_at IS NULL');
    this.backlogStatement = db.prepare('SELECT COUNT(*) AS count, MIN(created_at) AS oldest FROM outbox WHERE published_at IS NULL');
    this.pruneStatement = db.prepare('DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ?');
  }

  pending(afterSeq: number, limit: number): Promise<PendingRecord[]> {
    return this.database.exclusive(() =>
      (this.pendingStatement.all(afterSeq, this.watermark.durableSeq, limit) as OutboxRow[]).map((row) => ({
        seq: row.seq,
        eventId: row.event_id,
        administration: row.administration,
        memberKey: row.member_key,
        change: row.change,
        routingKey: row.routing_key,
        occurredAt: row.occurred_at,
        body: row.body,
      })),
    );
  }

  /**
   * One statement for the whole batch, and no wait for the disk: a mark lost to a power cut only makes
   * the relay publish the record again, which consumers de-duplicate by messageId.
   */
  markPublished(seqs: readonly number[], at: Date): Promise<void> {
    return this.database.exclusive(() => {
      this.markStatement.run(at.getTime(), JSON.stringify(seqs));
    });
  }

  backlog(): Promise<OutboxBacklog> {
    return this.database.exclusive(() => {
      const row = this.backlogStatement.get() as { count: number; oldest: number | null };
      return { count: row.count, oldestCreatedAt: row.oldest === null ? null : new Date(row.oldest) };
    });
  }

  prunePublished(before: Date): Promise<number> {
    return this.database.exclusive(() => this.pruneStatement.run(before.getTime()).changes);
  }
}
