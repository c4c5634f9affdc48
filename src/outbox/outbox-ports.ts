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
 * The outbox as the relay sees it: one stream of records in publishing order, each at a position
 * (`seq`), so what the broker confirmed is kept as one number: every record up to it is confirmed.
 * Records of one member appear in the order their messages were accepted, and a record never appears
 * before a record that precedes it in the stream (a store whose transactions can commit out of
 * position order numbers the stream itself; see the PostgreSQL adapter).
 */
export interface OutboxStore {
  /**
   * Starts a relay's session (at start-up, or on taking over from another instance's relay) and
   * returns where it starts: every record up to this position was confirmed before.
   */
  begin(): Promise<number>;
  /** Durable records after `afterSeq`, in order. */
  pending(afterSeq: number, limit: number): Promise<PendingRecord[]>;
  /**
   * Every record up to and including `seq` is confirmed. Rejects with RelayFencedError when this relay
   * is no longer the one allowed to publish (another took over).
   */
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

/** This relay lost its right to publish: another instance's relay has taken over. */
export class RelayFencedError extends Error {
  constructor(message = 'another relay holds the outbox lease') {
    super(message);
    this.name = 'RelayFencedError';
  }
}
