import type { Logger } from 'winston';
import type { OutboxStore, PendingRecord, RecordPublisher } from './outbox-ports.js';
import { OutboxRelay, type ConfirmObserver, type RelayOptions } from './outbox-relay.js';
import type { RelayLease } from './relay-lease.js';

/**
 * Runs this instance's outbox relay while it holds the relay lease: a fresh relay on every
 * acquisition (it begins where the confirmed cursor is, whoever moved it), stopped when the lease is
 * lost. While another instance publishes, records committed here are simply left in the store.
 */
export class RelayLeadership {
  private relay: OutboxRelay | undefined;
  private stopping: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly lease: RelayLease,
    private readonly deps: {
      store: OutboxStore;
      publisher: RecordPublisher;
      logger: Logger;
      options?: Partial<RelayOptions>;
      onConfirmed?: ConfirmObserver;
      /**
       * How long the holder's broker may be unreachable before it gives the lease up to an instance
       * that has one (on a shared store; the embedded store's relay just waits).
       */
      brokerGraceMs?: number;
    },
  ) {}

  /** Since when this instance's broker connection has been down (undefined: connected). */
  private brokerDownSince: number | undefined = performance.now();
  private watchdog: NodeJS.Timeout | undefined;

  start(): void {
    const { publisher } = this.deps;
    if (publisher.connected) this.brokerDownSince = undefined;
    publisher.on('connected', this.brokerUp);
    publisher.on('disconnected', this.brokerDown);
    this.lease.start({
      acquired: (epoch) => {
        void this.stopping.then(() => this.begin(epoch));
      },
      lost: () => {
        this.stopping = this.end();
      },
      // Only an instance that can reach the broker takes the lease.
      eligible: () => publisher.connected,
    });
    if (!this.lease.shared) return;
    const grace = this.deps.brokerGraceMs ?? 15_000;
    this.watchdog = setInterval(() => {
      if (this.relay && this.brokerDownSince !== undefined && performance.now() - this.brokerDownSince > grace) {
        this.deps.logger.warn('giving up the outbox relay lease: this instance cannot reach the broker', { downForSeconds: Math.round((performance.now() - this.brokerDownSince) / 1000) });
        void this.lease.release();
      }
    }, Math.min(1_000, grace));
    this.watchdog.unref();
  }

  private readonly brokerUp = (): void => {
    this.brokerDownSince = undefined;
  };

  private readonly brokerDown = (): void => {
    this.brokerDownSince ??= performance.now();
  };

  /** Records dispatched and not yet confirmed (0 when this instance does not publish). */
  get inFlightCount(): number {
    return this.relay?.inFlightCount ?? 0;
  }

  /** Records of a durable commit here: published from memory if this instance publishes. */
  offer(records: readonly PendingRecord[]): void {
    this.relay?.offer(records);
  }

  readonly notify = (): void => {
    this.relay?.notify();
  };

  /** A graceful stop: the relay settles and records its confirms under the lease, then the lease goes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    this.deps.publisher.off('connected', this.brokerUp);
    this.deps.publisher.off('disconnected', this.brokerDown);
    await this.stopping;
    const relay = this.relay;
    this.relay = undefined;
    await relay?.stop();
    await this.lease.stop();
  }

  private begin(epoch: number): void {
    if (this.stopped || !this.lease.held || this.relay) return;
    const relay = new OutboxRelay(
      this.deps.store,
      this.deps.publisher,
      this.deps.logger,
      { ...this.deps.options, mayPublish: () => this.lease.held },
      this.deps.onConfirmed,
      () => {
        // Fenced, or failed by itself: a fenced relay's lease is gone too (and a new acquisition starts
        // a new relay); after any other failure, start again while the lease is still held.
        if (this.relay !== relay) return;
        this.relay = undefined;
        setTimeout(() => this.begin(epoch), 1_000).unref();
      },
    );
    this.relay = relay;
    relay.start();
  }

  private async end(): Promise<void> {
    const relay = this.relay;
    this.relay = undefined;
    await relay?.stop();
  }
}
