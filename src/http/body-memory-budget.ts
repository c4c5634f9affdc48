/**
 * The memory all request bodies being received or handled may take together (MAX_BUFFERED_BODY_BYTES).
 * Each request reserves its decoded bytes as they arrive and gives them back when its response is
 * finished. Without it, a few hundred connections each uploading a large body could exhaust memory
 * before a single signature was checked; with it, the uploads beyond the budget get 503 `server-busy`
 * and the gateway stays up for everyone else.
 */
export class BodyMemoryBudget {
  private used = 0;

  constructor(
    readonly maxBytes: number,
    /** What a refused client is told to wait (Retry-After). */
    readonly retryAfterSeconds: number,
  ) {}

  /** Bytes reserved now (for tests and metrics). */
  get reservedBytes(): number {
    return this.used;
  }

  /** A reservation for one request, empty until bytes are added. */
  open(): BodyReservation {
    let held = 0;
    let released = false;
    return {
      retryAfterSeconds: this.retryAfterSeconds,
      add: (bytes) => {
        if (released || this.used + bytes > this.maxBytes) return false;
        this.used += bytes;
        held += bytes;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.used -= held;
        held = 0;
      },
    };
  }
}

/** One request's share of the budget. */
export interface BodyReservation {
  readonly retryAfterSeconds: number;
  /** Reserves more bytes; false (and nothing reserved) when the budget cannot hold them. */
  add(bytes: number): boolean;
  /** Gives everything back; further adds fail. Safe to call more than once. */
  release(): void;
}
