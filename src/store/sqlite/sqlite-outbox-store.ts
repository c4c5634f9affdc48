import type { Statement } from 'better-sqlite3';
import type { OutboxBacklog, OutboxStore, PendingRecord } from '../../outbox/outbox-ports.js';
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
  /** The record's JSON: text in rows written now, a blob in rows written by earlier versions. */
  body: string | Buffer;
}

/**
 * The outbox table and its cursor: every record with seq up to `published_through` is confirmed by
 * the broker; every record after it is not, or not known to be (the relay publishes those again).
 */
export class SqliteOutboxStore implements OutboxStore {
  private readonly pendingStatement: Statement;
  private readonly advanceStatement: Statement;
  private readonly countAfterStatement: Statement;
  private readonly oldestAfterStatement: Statement;
  private readonly firstRetainedStatement: Statement;
  private readonly pruneStatement: Statement;
  private confirmedThrough: number;

  /** Shared with the intake store, which advances it once its commits are durable. */
  readonly watermark: OutboxWatermark;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    // Whatever is in the outbox at start-up was read back from disk, so it is durable.
    this.watermark = new OutboxWatermark(db.prepare('SELECT COALESCE(MAX(seq), 0) FROM outbox').pluck().get() as number);
    this.confirmedThrough = db.prepare('SELECT published_through FROM outbox_cursor WHERE id = 1').pluck().get() as number;
    this.pendingStatement = db.prepare(
      `SELECT seq, event_id, administration, member_key, change, routing_key, occurred_at, body
       FROM outbox WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
    );
    this.advanceStatement = db.prepare('UPDATE outbox_cursor SET published_through = ? WHERE id = 1 AND published_through < ?');
    this.countAfterStatement = db.prepare('SELECT COUNT(*) FROM outbox WHERE seq > ?').pluck();
    this.oldestAfterStatement = db.prepare('SELECT created_at FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1').pluck();
    // created_at grows with seq, so the first row young enough to keep bounds what may go.
    this.firstRetainedStatement = db.prepare('SELECT seq FROM outbox WHERE created_at >= ? ORDER BY seq LIMIT 1').pluck();
    this.pruneStatement = db.prepare('DELETE FROM outbox WHERE seq <= ? AND seq < ?');
  }

  /** One process owns an embedded store, so its relay is the only one: it starts where the cursor is. */
  begin(): Promise<number> {
    return Promise.resolve(this.confirmedThrough);
  }

  pending(afterSeq: number, limit: number): Promise<PendingRecord[]> {
    // The relay asks after every commit and confirm; most often nothing durable lies beyond its cursor.
    if (afterSeq >= this.watermark.durableSeq) return Promise.resolve([]);
    return this.database.exclusive(() =>
      (this.pendingStatement.all(afterSeq, this.watermark.durableSeq, limit) as OutboxRow[]).map((row) => ({
        seq: row.seq,
        eventId: row.event_id,
        administration: row.administration,
        memberKey: row.member_key,
        change: row.change,
        routingKey: row.routing_key,
        occurredAt: row.occurred_at,
        body: typeof row.body === 'string' ? row.body : row.body.toString('utf8'),
      })),
    );
  }

  /**
   * One row written per call, and no wait for the disk: a cursor lost to a power cut only makes the
   * relay publish those records again, which consumers de-duplicate by messageId.
   */
  markPublishedThrough(seq: number): Promise<void> {
    if (seq <= this.confirmedThrough) return Promise.resolve();
    return this.database.write(() => {
      this.advanceStatement.run(seq, seq);
      this.confirmedThrough = seq;
    });
  }

  backlog(): Promise<OutboxBacklog> {
    return this.database.exclusive(() => {
      const count = this.countAfterStatement.get(this.confirmedThrough) as number;
      const oldest = this.oldestAfterStatement.get(this.confirmedThrough) as number | undefined;
      return { count, oldestCreatedAt: oldest === undefined ? null : new Date(oldest) };
    });
  }

  prunePublished(before: Date): Promise<number> {
    return this.database.exclusive(() => {
      const firstRetained = (this.firstRetainedStatement.get(before.getTime()) as number | undefined) ?? Number.MAX_SAFE_INTEGER;
      return this.pruneStatement.run(this.confirmedThrough, firstRetained).changes;
    });
  }
}
