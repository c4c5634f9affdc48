import type { Logger } from 'winston';
import { ConditionLog } from '../logging/condition-log.js';
import { RelayFencedError, type OutboxStore, type PendingRecord, type RecordPublisher } from './outbox-ports.js';

export interface RelayOptions {
  /** Most records published and not yet confirmed at once. */
  window: number;
  /** Most records read from the outbox at once. */
  batchSize: number;
  /** How often to look at the outbox when nothing wakes the relay. */
  pollIntervalMs: number;
  /** Published records are kept this long, then deleted. */
  retentionMs: number;
  /** Delay before retrying after a failed publish, doubled up to maxRetryDelayMs. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** Most body characters of committed records held in memory for publishing (beyond it, they are read back from the store). */
  maxOfferedBytes: number;
  /**
   * Whether this relay may publish now. On a shared store only the holder of the relay lease may; it
   * is asked before every batch, so a relay that lost its lease dispatches nothing more.
   */
  mayPublish: () => boolean;
}

/** Told of every record the broker confirmed, and how long the confirm took (for metrics); must not throw. */
export type ConfirmObserver = (record: PendingRecord, confirmSeconds: number) => void;

export const defaultRelayOptions: RelayOptions = {
  window: 4000,
  batchSize: 2000,
  pollIntervalMs: 1000,
  retentionMs: 7 * 86_400_000,
  retryDelayMs: 200,
  maxRetryDelayMs: 10_000,
  maxOfferedBytes: 64 * 1024 * 1024,
  mayPublish: () => true,
};

/**
 * Moves records from the outbox to the broker (ICD 4, durability). A window of publishes is kept in
 * flight instead of waiting for each confirm. Records are dispatched in seq order, so what the broker
 * confirmed is kept as one position (every record up to it is confirmed), written once per batch.
 *
 * Order per member is kept by never having two records of the same member in flight: after any
 * failure (nack, unroutable return, lost connection) the relay waits for everything in flight to
 * settle and starts again after the last position confirmed without a gap, skipping what was
 * confirmed beyond it, so a member's later record can never overtake its earlier one. Delivery is at
 * least once; consumers de-duplicate on messageId.
 *
 * The intake hands over the records of each durable commit (`offer`), so a large snapshot is
 * published from memory instead of being read back from the store; the store remains the source
 * whenever the memory does not hold the next record (start-up, retries, more than maxOfferedBytes).
 */
export class OutboxRelay {
  private readonly options: RelayOptions;
  /** The last record dispatched (or skipped as already confirmed). */
  private cursor = 0;
  /** The position last written to the store. */
  private persistedThrough = 0;
  /** Records dispatched and not settled, in seq order (Map keeps insertion order). */
  private readonly inFlight = new Map<number, string>();
  private readonly membersInFlight = new Set<string>();
  /** Confirmed records beyond the gap-free confirmed position: not published again after a failure. */
  private readonly confirmedAhead = new Set<number>();
  /** The lowest record that failed since the last restart (Infinity when none). */
  private lowestFailed = Infinity;
  private offered: PendingRecord[] = [];
  private offeredHead = 0;
  private offeredBytes = 0;
  private failures = 0;
  /** Publishing that keeps failing (a record no queue is bound for, nacks): said once, then once a minute. */
  private readonly publishing: ConditionLog;
  /** The outbox store not answering (a shared store restarting): said once, then once a minute. */
  private readonly storeAccess: ConditionLog;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastPrune = 0;

  constructor(
    private readonly store: OutboxStore,
    private readonly publisher: RecordPublisher,
    private readonly logger: Logger,
    options: Partial<RelayOptions> = {},
    private readonly onConfirmed: ConfirmObserver = () => undefined,
    /** Told when the relay stopped by itself (fenced, or an unexpected error), not when stop() was called. */
    private readonly onStopped?: (error: unknown) => void,
  ) {
    this.options = { ...defaultRelayOptions, ...options };
    this.publishing = new ConditionLog(logger, 'outbox publishing');
    this.storeAccess = new ConditionLog(logger, 'outbox store');
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const event of ['connected', 'drain'] as const) this.publisher.on(event, this.notify);
    this.loop = this.store
      .begin()
      .then((through) => {
        this.cursor = this.persistedThrough = through;
        return this.run();
      })
      .catch((error: unknown) => {
        if (error instanceof RelayFencedError) this.logger.warn('outbox relay stopped: another instance took over publishing', { error: error.message });
        else this.logger.error('outbox relay stopped on an unexpected error', { error: String(error) });
        this.running = false;
        for (const event of ['connected', 'drain'] as const) this.publisher.off(event, this.notify);
        this.dropOffered();
        this.onStopped?.(error);
      });
  }

  /** Wakes the relay now (new records were committed, or the broker came back). */
  readonly notify = (): void => {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  /**
   * Records of a commit that is durable, in seq order. Kept for publishing if they continue what is
   * already held and fit in maxOfferedBytes; otherwise dropped, and read from the store when due.
   */
  offer(records: readonly PendingRecord[]): void {
    if (!this.running || records.length === 0) return;
    const tail = this.offered.length > this.offeredHead ? this.offered[this.offered.length - 1]!.seq : undefined;
    if (tail !== undefined && records[0]!.seq !== tail + 1) this.dropOffered();
    if (records[0]!.seq <= this.cursor) return;
    let bytes = 0;
    for (const record of records) bytes += record.body.length;
    if (this.offeredBytes + bytes > this.options.maxOfferedBytes) return;
    for (const record of records) this.offered.push(record);
    this.offeredBytes += bytes;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const event of ['connected', 'drain'] as const) this.publisher.off(event, this.notify);
    this.notify();
    await this.loop;
    try {
      await this.flushConfirmed();
    } catch (error) {
      // Fenced or the store unreachable: the next relay publishes those records again (at least once).
      this.logger.warn('outbox relay could not record its last confirms', { error: String(error) });
    }
    this.dropOffered();
  }

  /** Records dispatched and not yet confirmed. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Refills the window in large batches: the loop sleeps while more than half the window is in flight
   * and wakes when confirms bring it below that, so a large backlog costs one read (when not offered)
   * and one position write per batch rather than per record.
   */
  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.step();
        this.storeAccess.recovered();
      } catch (error) {
        if (error instanceof RelayFencedError) throw error;
        // The store did not answer (PostgreSQL restarting, a connection cut): try again shortly.
        this.storeAccess.failed('store-unavailable', { error: String(error) });
        await this.sleep(this.options.pollIntervalMs);
      }
    }
  }

  /** One turn of the loop: settle, refill the window, or wait. */
  private async step(): Promise<void> {
    const lowWater = Math.floor(this.options.window / 2);
    if (this.lowestFailed !== Infinity) {
      await this.flushConfirmed();
      if (this.inFlight.size > 0) await this.sleep(this.options.pollIntervalMs);
      else await this.restartAfterFailure();
      return;
    }
    if (!this.options.mayPublish() || !this.publisher.connected || this.publisher.blocked || this.inFlight.size > lowWater) {
      await this.flushConfirmed();
      await this.sleep(this.options.pollIntervalMs);
      return;
    }
    if (this.confirmedThrough() - this.persistedThrough >= this.options.batchSize) await this.flushConfirmed();
    const limit = Math.min(this.options.batchSize, this.options.window - this.inFlight.size);
    const records = this.takeOffered(limit) ?? (await this.store.pending(this.cursor, limit));
    const dispatched = this.dispatch(records);
    if (dispatched === 0) {
      await this.flushConfirmed();
      await this.pruneNowAndThen();
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  /** The next offered records, if memory holds the record right after the cursor. */
  private takeOffered(limit: number): PendingRecord[] | undefined {
    while (this.offeredHead < this.offered.length && this.offered[this.offeredHead]!.seq <= this.cursor) {
      this.offeredBytes -= this.offered[this.offeredHead]!.body.length;
      this.offered[this.offeredHead++] = undefined as unknown as PendingRecord;
    }
    if (this.offeredHead === this.offered.length) {
      this.dropOffered();
      return undefined;
    }
    if (this.offeredHead > 4096 && this.offeredHead * 2 > this.offered.length) {
      this.offered = this.offered.slice(this.offeredHead);
      this.offeredHead = 0;
    }
    if (this.offered[this.offeredHead]!.seq !== this.cursor + 1) return undefined;
    return this.offered.slice(this.offeredHead, this.offeredHead + limit);
  }

  private dropOffered(): void {
    this.offered = [];
    this.offeredHead = 0;
    this.offeredBytes = 0;
  }

  private dispatch(records: PendingRecord[]): number {
    const lowWater = Math.floor(this.options.window / 2);
    let dispatched = 0;
    for (const record of records) {
      if (this.confirmedAhead.has(record.seq)) {
        // Confirmed before the failure that made the relay start again: not published twice.
        this.cursor = record.seq;
        dispatched++;
        continue;
      }
      // A member's next record waits until its previous one is confirmed (see class comment).
      if (this.membersInFlight.has(record.memberKey) || !this.publisher.connected) break;
      this.inFlight.set(record.seq, record.memberKey);
      this.membersInFlight.add(record.memberKey);
      this.cursor = record.seq;
      dispatched++;
      const publishedAt = performance.now();
      this.publisher.publish(record).then(
        () => {
          this.confirmedAhead.add(record.seq);
          this.failures = 0;
          this.publishing.recovered();
          this.onConfirmed(record, (performance.now() - publishedAt) / 1000);
          this.settled(record, lowWater);
        },
        (error: unknown) => {
          if (this.lowestFailed === Infinity) {
            // Retried from the oldest unconfirmed record, with a growing delay, until the broker takes it.
            this.publishing.failed(publishFailureReason(error), { eventId: record.eventId, error: String(error) });
          }
          this.lowestFailed = Math.min(this.lowestFailed, record.seq);
          this.settled(record, Infinity);
        },
      );
    }
    return dispatched;
  }

  /** A publish settled: free its member, and wake the loop once the window has room for a batch. */
  private settled(record: PendingRecord, wakeAtOrBelow: number): void {
    this.inFlight.delete(record.seq);
    this.membersInFlight.delete(record.memberKey);
    if (this.inFlight.size <= wakeAtOrBelow) this.notify();
  }

  /** The highest position with every record up to it confirmed. */
  private confirmedThrough(): number {
    let through = this.cursor;
    for (const seq of this.inFlight.keys()) {
      through = Math.min(through, seq - 1);
      break;
    }
    return Math.min(through, this.lowestFailed - 1);
  }

  private async restartAfterFailure(): Promise<void> {
    this.failures++;
    const delay = Math.min(this.options.retryDelayMs * 2 ** (this.failures - 1), this.options.maxRetryDelayMs);
    await this.sleep(delay);
    this.cursor = this.confirmedThrough();
    this.lowestFailed = Infinity;
  }

  private async flushConfirmed(): Promise<void> {
    const through = this.confirmedThrough();
    if (through <= this.persistedThrough) return;
    for (let seq = this.persistedThrough + 1; seq <= through; seq++) this.confirmedAhead.delete(seq);
    this.persistedThrough = through;
    await this.store.markPublishedThrough(through);
  }

  private async pruneNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    const pruned = await this.store.prunePublished(new Date(now - this.options.retentionMs));
    if (pruned > 0) this.logger.info('pruned published outbox records', { pruned });
  }

  /** Waits until notified or until `ms` passes, whichever is first. */
  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.wake === done) this.wake = undefined;
        resolve();
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.wake = done;
    });
  }
}

/** A short stable reason for a failed publish, for the log (the publisher's errors, by name and wording). */
function publishFailureReason(error: unknown): string {
  if (!(error instanceof Error)) return 'error';
  if (error.name === 'UnroutableRecordError') return 'unroutable';
  if (/not connected|closed/i.test(error.message)) return 'broker-disconnected';
  if (/nack|refused/i.test(error.message)) return 'broker-refused';
  return 'error';
}
