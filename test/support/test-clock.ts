import type { Clock } from '../../src/domain/clock.js';

/** Real time plus an offset a test can move forward, e.g. past a key's notAfter. */
export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
