/**
 * The highest outbox position known to be on disk. The relay publishes only up to it: a record that
 * reached consumers must never belong to a message that a power cut could still take back (the
 * partner, without a receipt, would send it again and consumers would get the changes twice under new
 * eventIds).
 */
export class OutboxWatermark {
  constructor(private seq: number) {}

  get durableSeq(): number {
    return this.seq;
  }

  /** Called once a commit that wrote records up to `seq` is durable. */
  advance(seq: number): void {
    if (seq > this.seq) this.seq = seq;
  }
}
