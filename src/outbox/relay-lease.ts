/** Told when this instance may start publishing (with the epoch its writes are fenced by) and when it must stop. */
export interface RelayLeaseHolder {
  acquired(epoch: number): void;
  lost(): void;
  /**
   * Whether this instance should take the lease now (asked before every attempt): an instance that
   * could not publish (no broker) leaves it to one that can.
   */
  eligible(): boolean;
}

/**
 * The right to publish the outbox. On a store shared by several instances exactly one holds it at a
 * time; `held` turns false as soon as the holder can no longer be sure it still holds it.
 */
export interface RelayLease {
  /** Whether other instances may hold it (a shared store), so that giving it up can help. */
  readonly shared: boolean;
  readonly held: boolean;
  start(holder: RelayLeaseHolder): void;
  /** Gives the lease up now, for another instance to take; this one may take it again later. */
  release(): Promise<void>;
  stop(): Promise<void>;
}

/** The embedded store has one process, whose relay always holds the lease. */
export class SoleRelayLease implements RelayLease {
  readonly shared = false;
  private holding = false;

  get held(): boolean {
    return this.holding;
  }

  start(holder: RelayLeaseHolder): void {
    this.holding = true;
    holder.acquired(1);
  }

  /** There is no other instance to give it to: the relay waits for the broker instead. */
  async release(): Promise<void> {
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.holding = false;
  }
}
