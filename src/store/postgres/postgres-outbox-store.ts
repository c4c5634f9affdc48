import type { OutboxBacklog, OutboxStore, PendingRecord } from '../../outbox/outbox-ports.js';
import { RelayFencedError } from '../../outbox/outbox-ports.js';
import type { PostgresDatabase } from './postgres-database.js';

interface OutboxRow {
  seq: number;
  event_id: string;
  administration: string;
  member_key: string;
  change: PendingRecord['change'];
  routing_key: string;
  occurred_at: string;
  body: string;
}

/** A record handed to the relay: its place in the relay's stream, and where it is in the table. */
interface Handed {
  record: PendingRecord;
  administration: string;
  seq: number;
}

/**
 * The outbox on PostgreSQL, where transactions of different administrations commit in any order: one
 * that drew position 10 may commit after one that drew 11. A single "confirmed through N" cursor would
 * then skip 10 for good once the relay had moved past 11 (the known trap of a sequence-ordered outbox).
 *
 * What holds instead: the intake draws positions under its administration's lock, so within one
 * administration, position order is commit order and what is visible is always a prefix. The relay's
 * progress is therefore kept per administration (outbox_cursors), and each read asks, per
 * administration, for what lies beyond what was handed out. A record committed late, below positions
 * already published for other administrations, is found by the next read. Records of one member
 * (members belong to one administration) keep their acceptance order.
 *
 * The relay itself works with one gap-free position; this store numbers the records it hands out 1, 2,
 * 3, ... per relay session (`begin`) and translates a confirmed position back into per-administration
 * cursors. Writes of the cursors are fenced by the relay lease's epoch: a relay that lost its lease
 * cannot move the cursors, and learns it (RelayFencedError).
 */
export class PostgresOutboxStore implements OutboxStore {
  /** Per administration: the last position handed to the relay in this session. */
  private handedThrough = new Map<string, number>();
  /** Records handed out and not yet confirmed; handed[0] is at relay position `base + 1`. */
  private handed: Handed[] = [];
  private base = 0;
  /**
   * The next batch being read while the relay publishes the last one: a relay that waited for each
   * read would leave the broker idle for the read's duration, batch after batch.
   */
  private prefetch: Promise<void> | undefined;

  constructor(
    private readonly database: PostgresDatabase,
    /** The relay lease epoch this instance holds, which fences the cursor writes; undefined: none (no writes). */
    private readonly leaseEpoch: () => number | undefined,
  ) {}

  async begin(): Promise<number> {
    await this.prefetch;
    const { rows } = await this.database.query<{ administration: string; published_through: number }>('SELECT administration, published_through FROM outbox_cursors');
    this.handedThrough = new Map(rows.map((r) => [r.administration, r.published_through]));
    this.handed = [];
    this.base = 0;
    return 0;
  }

  async pending(afterSeq: number, limit: number): Promise<PendingRecord[]> {
    if (afterSeq + limit > this.base + this.handed.length) await this.prefetch;
    // Records read ahead, or asked again from an earlier position (a publish failed): the same
    // records at the same positions.
    const from = Math.max(0, afterSeq - this.base);
    const ready = this.handed.slice(from, from + limit).map((h) => h.record);
    const records = ready.length === limit ? ready : ready.concat(await this.readMore(limit - ready.length));
    // A full batch says more may be waiting: read the next one now (one batch ahead at most).
    if (records.length === limit && this.prefetch === undefined && this.handed.length - from <= limit) {
      const next: Promise<void> = this.readMore(limit).then(
        () => {
          if (this.prefetch === next) this.prefetch = undefined;
        },
        () => {
          // The relay's own next read reports a failing store.
          if (this.prefetch === next) this.prefetch = undefined;
        },
      );
      this.prefetch = next;
    }
    return records;
  }

  /** The next committed records beyond what was handed out, numbered on from there. */
  private async readMore(limit: number): Promise<PendingRecord[]> {
    const handedEnd = this.base + this.handed.length;
    // Every administration with records has a cursor row, written in the transaction of its first
    // records, so walking the cursor rows finds every committed record; each walk is an index range.
    const administrations = [...this.handedThrough.keys()];
    // Walked through the index in position order. Right after a large intake the table's statistics
    // are stale and the planner would gather every pending row of the administration and sort them
    // (a bitmap scan, tens of MB sorted on disk) to return the first batch.
    const { rows } = await this.database.transaction(async (client) => {
      await client.query('SET LOCAL enable_bitmapscan = off');
      return client.query<OutboxRow>(
        `SELECT o.* FROM outbox_cursors c
         LEFT JOIN unnest($1::text[], $2::bigint[]) AS h(administration, through) ON h.administration = c.administration
         CROSS JOIN LATERAL (
           SELECT seq, event_id, administration, member_key, change, routing_key, occurred_at, body FROM outbox
           WHERE administration = c.administration AND seq > GREATEST(c.published_through, COALESCE(h.through, 0))
           ORDER BY administration, seq LIMIT $3
         ) o
         ORDER BY o.seq LIMIT $3`,
        [administrations, administrations.map((a) => this.handedThrough.get(a)!), limit],
      );
    });
    const records: PendingRecord[] = [];
    for (const row of rows) {
      const record: PendingRecord = {
        seq: handedEnd + records.length + 1,
        eventId: row.event_id,
        administration: row.administration,
        memberKey: row.member_key,
        change: row.change,
        routingKey: row.routing_key,
        occurredAt: row.occurred_at,
        body: row.body,
      };
      records.push(record);
      this.handed.push({ record, administration: row.administration, seq: row.seq });
      this.handedThrough.set(row.administration, row.seq);
    }
    return records;
  }

  async markPublishedThrough(position: number): Promise<void> {
    const count = Math.min(position - this.base, this.handed.length);
    if (count <= 0) return;
    const through = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const handed = this.handed[i]!;
      through.set(handed.administration, handed.seq);
    }
    const epoch = this.leaseEpoch();
    if (epoch === undefined) throw new RelayFencedError('this instance does not hold the relay lease');
    const administrations = [...through.keys()];
    const { rowCount } = await this.database.query(
      `INSERT INTO outbox_cursors (administration, published_through)
       SELECT a, t FROM unnest($1::text[], $2::bigint[]) AS u(a, t)
       WHERE EXISTS (SELECT 1 FROM relay_lease WHERE id = 1 AND epoch = $3)
       ON CONFLICT (administration) DO UPDATE SET published_through = GREATEST(outbox_cursors.published_through, excluded.published_through)`,
      [administrations, administrations.map((a) => through.get(a)!), epoch],
    );
    if (rowCount === 0) throw new RelayFencedError();
    this.handed = this.handed.slice(count);
    this.base += count;
  }

  async backlog(): Promise<OutboxBacklog> {
    // Per administration through its index: the table holds the retention period's records, the
    // backlog only the few beyond each cursor.
    const { rows } = await this.database.query<{ count: number; oldest: Date | null }>(
      `SELECT COALESCE(SUM(p.count), 0)::bigint AS count, MIN(p.oldest) AS oldest
       FROM outbox_cursors c,
       LATERAL (SELECT COUNT(*) AS count, MIN(o.created_at) AS oldest FROM outbox o WHERE o.administration = c.administration AND o.seq > c.published_through) p`,
    );
    return { count: rows[0]?.count ?? 0, oldestCreatedAt: rows[0]?.oldest ?? null };
  }

  async prunePublished(before: Date): Promise<number> {
    const { rowCount } = await this.database.query(
      `DELETE FROM outbox o USING outbox_cursors c
       WHERE o.administration = c.administration AND o.seq <= c.published_through AND o.created_at < $1`,
      [before],
    );
    return rowCount ?? 0;
  }
}
