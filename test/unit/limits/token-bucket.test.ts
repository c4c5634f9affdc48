import { describe, expect, it } from 'vitest';
import { TokenBuckets } from '../../../src/domain/token-bucket.js';

describe('token buckets', () => {
  it('allows a burst of perMinute, then refuses with the time until the next token', () => {
    const buckets = new TokenBuckets({ perMinute: 3 });
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => buckets.take('a', t0).allowed)).toEqual([true, true, true]);
    expect(buckets.take('a', t0)).toEqual({ allowed: false, retryAfterMs: 20_000 });
    expect(buckets.take('a', t0 + 5_000)).toEqual({ allowed: false, retryAfterMs: 15_000 });
  });

  it('refills at perMinute per minute, never above the burst', () => {
    const buckets = new TokenBuckets({ perMinute: 60 });
    for (let i = 0; i < 60; i++) expect(buckets.take('a', 0).allowed).toBe(true);
    expect(buckets.take('a', 0).allowed).toBe(false);
    expect(buckets.take('a', 1_000).allowed).toBe(true);
    expect(buckets.take('a', 1_000).allowed).toBe(false);
    // An hour later the bucket is full again: 60, not 3,600.
    let allowed = 0;
    while (buckets.take('a', 3_601_000).allowed) allowed++;
    expect(allowed).toBe(60);
  });

  it('keeps keys apart', () => {
    const buckets = new TokenBuckets({ perMinute: 1 });
    expect(buckets.take('EU', 0).allowed).toBe(true);
    expect(buckets.take('EU', 0).allowed).toBe(false);
    expect(buckets.take('JP', 0).allowed).toBe(true);
  });

  it('does not refill when the clock goes backwards', () => {
    const buckets = new TokenBuckets({ perMinute: 1 });
    expect(buckets.take('a', 120_000).allowed).toBe(true);
    expect(buckets.take('a', 0).allowed).toBe(false);
    expect(buckets.take('a', 119_000).allowed).toBe(false);
    expect(buckets.take('a', 180_000).allowed).toBe(true);
  });

  it('bounds memory: full buckets go first, then the oldest, never refusing more than the rule', () => {
    const buckets = new TokenBuckets({ perMinute: 2, maxKeys: 100 });
    for (let i = 0; i < 100; i++) buckets.take(`quiet-${i}`, 0);
    // A minute on, the quiet keys are full again: adding a new key drops them all.
    expect(buckets.take('busy', 60_000).allowed).toBe(true);
    expect(buckets.size).toBe(1);
    for (let i = 0; i < 1_000; i++) buckets.take(`flood-${i}`, 60_000);
    expect(buckets.size).toBeLessThanOrEqual(100);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBuckets({ perMinute: 0 })).toThrow(RangeError);
  });
});
