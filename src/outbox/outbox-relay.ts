import type { Logger } from 'winston';
import type { OutboxStore, PendingRecord, RecordPublisher } from './outbox-ports.js';

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
};

/**
 * Moves records from the outbox to the broker (ICD 4, durability). A window of publishes is kept in
 * flight instead of waiting for each confirm, and a record is marked published only once confirmed.
 *
 * Order per member is kept by never having two records of the same member in flight: after any
 * failure (nack, unroutable return, lost connection) the relay waits for everything in flight to
 * settle and starts again from the oldest unconfirmed record, so a member's later record can never
 * overtake its earlier one. Delivery is at least once; consumers de-duplicate on messageId.
 */
export class OutboxRelay {
  private readonly options: RelayOptions;
  private cursor = 0;
  private readonly inFlight = new Map<number, string>();
  private readonly membersInFlight = new Set<string>();
  private confirmed: number[] = [];
  private failures = 0;
  private failedSinceRestart = false;
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
  ) {
    this.options = { ...defaultRelayOptions, ...options };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const event of ['connected', 'drain'] as const) this.publisher.on(event, this.notify);
    this.loop = this.run().catch((error: unknown) => {
      this.logger.error('outbox relay stopped on an unexpected error', { error });
    });
  }

  /** Wakes the relay now (new records were committed, or the broker came back). */
  readonly notify = (): void => {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const event of ['connected', 'drain'] as const) this.publisher.off(event, this.notify);
    this.notify();
    await this.loop;
    await this.flushConfirmed();
  }

  /** Records dispatched and not yet confirmed. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /**
   * Refills the window in large batches: the loop sleeps while more than half the window is in flight
   * and wakes when confirms bring it below that, so a large backlog costs one outbox read and one
   * published-mark write per batch rather than per record.
   */
  private async run(): Promise<void> {
    const lowWater = Math.floor(this.options.window / 2);
    while (this.running) {
      if (this.failedSinceRestart) {
        await this.flushConfirmed();
        if (this.inFlight.size > 0) await this.sleep(this.options.pollIntervalMs);
        else await this.restartAfterFailure();
        continue;
      }
      if (!this.publisher.connected || this.publisher.blocked || this.inFlight.size > lowWater) {
        await this.flushConfirmed();
        await this.sleep(this.options.pollIntervalMs);
        continue;
      }
      if (this.confirmed.length >= this.options.batchSize) await this.flushConfirmed();
      const limit = Math.min(this.options.batchSize, this.options.window - this.inFlight.size);
      const records = await this.store.pending(this.cursor, limit);
      const dispatched = this.dispatch(records);
      if (dispatched === 0) {
        await this.flushConfirmed();
        await this.pruneNowAndThen();
        await this.sleep(this.options.pollIntervalMs);
      }
    }
  }

  private dispatch(records: PendingRecord[]): number {
    const lowWater = Math.floor(this.options.window / 2);
    let dispatched = 0;
    for (const record of records) {
      // A member's next record waits until its previous one is confirmed (see class comment).
      if (this.membersInFlight.has(record.memberKey) || !this.publisher.connected) break;
      this.inFlight.set(record.seq, record.memberKey);
      this.membersInFlight.add(record.memberKey);
      this.cursor = record.seq;
      dispatched++;
      const publishedAt = performance.now();
      this.publisher.publish(record).then(
        () => {
          this.confirmed.push(record.seq);
          this.failures = 0;
          this.onConfirmed(record, (performance.now() - publishedAt) / 1000);
          this.settled(record, lowWater);
        },
        (error: unknown) => {
          if (!this.failedSinceRestart) this.logger.warn('publish failed; will retry from the oldest unconfirmed record', { eventId: record.eventId, error: String(error) });
          this.failedSinceRestart = true;
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

  private async restartAfterFailure(): Promise<void> {
    this.failures++;
    const delay = Math.min(this.options.retryDelayMs * 2 ** (this.failures - 1), this.options.maxRetryDelayMs);
    await this.sleep(delay);
    this.cursor = 0;
    this.failedSinceRestart = false;
  }

  private async flushConfirmed(): Promise<void> {
    if (this.confirmed.length === 0) return;
    const seqs = this.confirmed;
    this.confirmed = [];
    await this.store.markPublished(seqs, new Date());
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
