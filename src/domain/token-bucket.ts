/** The answer of a rate limit: go ahead, or come back in `retryAfterMs`. */
export type Admission = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface TokenBucketOptions {
  /** Requests allowed per minute, sustained; also the burst (a full bucket). */
  perMinute: number;
  /** Most keys tracked at once; beyond, buckets that are full again are dropped, then the oldest. */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, ms since the epoch. */
  updatedAt: number;
}

/**
 * Token buckets by key (a client address, an administration), in memory. Each key holds up to
 * `perMinute` tokens, refilled continuously at `perMinute` per minute; a request takes one. A key that
 * has been quiet long enough to be full again is indistinguishable from a new one, so such buckets are
 * dropped when the map grows, which bounds memory without ever being stricter than the rule.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly maxKeys: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.perMinute > 0)) throw new RangeError('perMinute must be positive');
    this.capacity = options.perMinute;
    this.refillPerMs = options.perMinute / 60_000;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Takes one token for `key` at time `nowMs`, or says how long until one is there. */
  take(key: string, nowMs: number): Admission {
    let bucket = this.buckets.get(key);
    if (bucket) {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + Math.max(0, nowMs - bucket.updatedAt) * this.refillPerMs);
      bucket.updatedAt = Math.max(bucket.updatedAt, nowMs);
    } else {
      if (this.buckets.size >= this.maxKeys) this.evict(nowMs);
      bucket = { tokens: this.capacity, updatedAt: nowMs };
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / this.refillPerMs) };
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private evict(nowMs: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (nowMs - bucket.updatedAt) * this.refillPerMs >= this.capacity) this.buckets.delete(key);
    }
    // Still full of busy keys (a flood from many addresses): forget the least recently created ones.
    // That errs on the side of letting a request through, never of refusing one the rule allows.
    const excess = this.buckets.size - Math.floor(this.maxKeys * 0.9);
    if (excess > 0) {
      let dropped = 0;
      for (const key of this.buckets.keys()) {
        if (dropped++ >= excess) break;
        this.buckets.delete(key);
      }
    }
  }
}
