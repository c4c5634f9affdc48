import type { OutboxRecord } from '../domain/intake/intake-store.js';

/** A record in the outbox that the broker has not confirmed yet: what the intake wrote, and where. */
export interface PendingRecord extends OutboxRecord {
  /** Outbox position: records are published in this order. */
  seq: number;
}

export interface OutboxBacklog {
  count: number;
  oldestCreatedAt: Date | null;
}

/**
 * The outbox as the relay sees it. Records are published in seq order, so what the broker confirmed
 * is kept as one position: every record up to `publishedThrough` is confirmed.
 */
export interface OutboxStore {
  /** Where the relay starts: every record up to here was confirmed before. */
  readonly publishedThrough: number;
  /** Durable records after `afterSeq`, in order. */
  pending(afterSeq: number, limit: number): Promise<PendingRecord[]>;
  /** Every record up to and including `seq` is confirmed. */
  markPublishedThrough(seq: number): Promise<void>;
  backlog(): Promise<OutboxBacklog>;
  /** Deletes confirmed records taken in before `before`; returns how many. */
  prunePublished(before: Date): Promise<number>;
}

/**
 * Publishes one record and resolves only when the broker has confirmed it; rejects when it was
 * nacked, returned as unroutable, or the connection went away first.
 */
export interface RecordPublisher {
  readonly connected: boolean;
  /** True while the connection's write buffer is full; 'drain' follows. */
  readonly blocked: boolean;
  publish(record: PendingRecord): Promise<void>;
  on(event: 'connected' | 'disconnected' | 'drain', listener: () => void): unknown;
  off(event: 'connected' | 'disconnected' | 'drain', listener: () => void): unknown;
}
