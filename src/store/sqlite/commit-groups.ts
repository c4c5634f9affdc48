import type Database from 'better-sqlite3';
import type { AsyncMutex } from './async-mutex.js';

/** A write waiting for its turn: its work, and whether its caller waits for the disk. */
interface QueuedWrite {
  work: () => Promise<unknown>;
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** At most this many writes share one commit, so that one group never holds the connection for long. */
const MAX_GROUP = 64;

/**
 * Group commit on the one connection: the writes that queued while the connection was busy run one
 * after the other inside a single transaction, each in a savepoint of its own, and are committed (and
 * synced, see WalDurability) together. A write that throws is rolled back to its savepoint alone; the
 * others commit. Under many small submissions at once, one COMMIT (its WAL frames: a dozen 16 KiB pages)
 * and one fsync then serve a whole group instead of each submission paying for its own.
 *
 * Each write sees the ones before it in its group exactly as it would after their commits, and
 * nothing of it is visible to anyone else before the group commits: the same as one transaction each.
 */
export class CommitGroups {
  private queue: QueuedWrite[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Database.Database,
    private readonly mutex: AsyncMutex,
    /** Told of each COMMIT; returns its generation, for `durable`. */
    private readonly committed: () => number,
    /** Resolves once the commit of `generation` is on disk. */
    private readonly durable: (generation: number) => Promise<void>,
  ) {}

  /** Runs `work` in the next group; resolves once the group committed and, when `durable`, once it is on disk. */
  write<T>(work: () => Promise<T>, durable: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, durable, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.mutex.run(() => this.runGroup());
  }

  private async runGroup(): Promise<void> {
    this.scheduled = false;
    const group = this.queue.splice(0, MAX_GROUP);
    if (this.queue.length > 0) this.schedule();
    const outcomes: Outcome[] = [];
    let generation: number;
    try {
      generation = await this.commitGroup(group, outcomes);
    } catch (error) {
      // The write lock held elsewhere past the busy timeout, a full disk, an I/O error: nothing of the group stands.
      this.failAll(group, outcomes, error);
      return;
    }
    // The disk is waited for only when someone in the group waits for it, and every wait has its handler.
    let onDisk: Promise<void> | undefined;
    group.forEach((entry, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) entry.reject(outcome.error);
      else if (entry.durable) (onDisk ??= this.durable(generation)).then(() => entry.resolve(outcome.value), entry.reject);
      else entry.resolve(outcome.value);
    });
  }

  /** Runs the group's writes in one transaction, each in a savepoint, and commits (its generation); throws when the transaction as a whole fails. */
  private async commitGroup(group: readonly QueuedWrite[], outcomes: Outcome[]): Promise<number> {
    const db = this.db;
    db.exec('BEGIN IMMEDIATE');
    // A write alone needs no savepoint: its failure rolls back the transaction, which is all of it.
    const alone = group.length === 1;
    for (const entry of group) {
      if (!alone) db.exec('SAVEPOINT queued_write');
      try {
        const value = await entry.work();
        if (!alone) db.exec('RELEASE queued_write');
        outcomes.push({ ok: true, value });
      } catch (error) {
        outcomes.push({ ok: false, error });
        // Alone, or SQLite ended the transaction itself: the group fails with this write's error.
        if (alone || !db.inTransaction) throw error;
        db.exec('ROLLBACK TO queued_write');
        db.exec('RELEASE queued_write');
      }
    }
    db.exec('COMMIT');
    return this.committed();
  }

  /** Every write of the group fails: its own error where it had one, the group's otherwise. */
  private failAll(group: readonly QueuedWrite[], outcomes: readonly Outcome[], error: unknown): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    group.forEach((entry, i) => {
      const outcome = outcomes[i];
      entry.reject(outcome && !outcome.ok ? outcome.error : error);
    });
  }
}
