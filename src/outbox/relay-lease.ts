/** Told when this instance may start publishing (with the epoch its writes are fenced by) and when it must stop. */
export interface RelayLeaseHolder {
  acquired(epoch: number): void;
  lost(): void;
}

/**
 * The right to publish the outbox. On a store shared by several instances exactly one holds it at a
 * time; `held` turns false as soon as the holder can no longer be sure it still holds it.
 */
export interface RelayLease {
  readonly held: boolean;
  start(holder: RelayLeaseHolder): void;
  stop(): Promise<void>;
}

/** The embedded store has one process, whose relay always holds the lease. */
export class SoleRelayLease implements RelayLease {
  private holding = false;

  get held(): boolean {
    return this.holding;
  }

  start(holder: RelayLeaseHolder): void {
    this.holding = true;
    holder.acquired(1);
  }

  async stop(): Promise<void> {
    this.holding = false;
  }
}
