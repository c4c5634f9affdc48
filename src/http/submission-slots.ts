/**
 * How many large member lists are verified and processed at once (MAX_CONCURRENT_LARGE_SUBMISSIONS).
 * A 250,000-member list takes seconds of CPU and a few hundred megabytes while it is parsed and
 * prepared; several at once would starve the event loop and the heap. A slot is taken only once a body
 * has fully arrived, so a slow upload never holds one; a list that finds none free is refused at once
 * (503 `server-busy`, with Retry-After) rather than queued with its body in memory.
 */
/** A body this large (about 1,200 members) needs a processing slot. */
export const LARGE_SUBMISSION_BYTES = 1024 * 1024;

/** What a client refused for capacity is told to wait: about what a large list takes to process. */
export const BUSY_RETRY_AFTER_SECONDS = 10;

export class SubmissionSlots {
  private busy = 0;

  constructor(
    readonly slots: number,
    /** Bodies at least this large need a slot; smaller ones cost little and never wait. */
    readonly largeBodyBytes: number,
    readonly retryAfterSeconds: number,
  ) {}

  get inUse(): number {
    return this.busy;
  }

  /** Takes a slot for a body of `bytes`: a release function, or undefined when every slot is taken. */
  tryAcquire(bytes: number): (() => void) | undefined {
    if (bytes < this.largeBodyBytes) return () => undefined;
    if (this.busy >= this.slots) return undefined;
    this.busy++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.busy--;
    };
  }
}
