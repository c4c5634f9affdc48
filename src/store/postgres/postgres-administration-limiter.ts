import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from 'winston';
import type { AdministrationLimiter } from '../../domain/intake/administration-admission.js';
import type { Admission } from '../../domain/token-bucket.js';
import { ConditionLog } from '../../logging/condition-log.js';
import { isConnectionFailure } from './postgres-database.js';

/** The table the counters live in; created by migration 2 with the library's own layout. */
export const RATE_LIMIT_TABLE = 'mra_rate_limits';

/**
 * The per-administration limit counted in the shared store, so that an administration's allowance is
 * the same however many instances its submissions are spread over: rate-limiter-flexible's
 * RateLimiterPostgres on the store's pool, `perMinute` points per 60 s per administration.
 *
 * Two things differ from the embedded store's token buckets, by the library's design:
 * - it counts in fixed windows (one starts at an administration's first submission after the last
 *   ran out), so up to twice the allowance can pass around the end of one window and the start of the
 *   next, and Retry-After is the time until the current window ends (up to a minute);
 * - windows are measured with the instances' system clocks (Date.now()), not the gateway's Clock, so
 *   instances need synchronized clocks (NTP), as they do for receipts anyway.
 *
 * The table is not created by the library (it would create it from the constructor, outside the
 * migrations, with DDL rights at run time and, without a callback, an unhandled rejection when the
 * store is down at that moment): migration 2 creates it, and the library is told so (`tableCreated`).
 *
 * When the store does not answer, a submission is let through, not failed: the intake's own
 * transaction then answers 503 store-unavailable. That is logged at warn, once and then once a
 * minute while it lasts, with the error message only (no connection string).
 */
export class PostgresAdministrationLimiter implements AdministrationLimiter {
  private readonly limiter: RateLimiterPostgres;
  private readonly availability: ConditionLog;

  constructor(pool: pg.Pool, perMinute: number, logger: Logger) {
    if (!(perMinute > 0)) throw new RangeError('perMinute must be positive');
    this.limiter = new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: RATE_LIMIT_TABLE,
      tableCreated: true,
      keyPrefix: 'administration',
      points: perMinute,
      duration: 60,
      // Rows of windows that ended an hour ago are deleted every five minutes (by whichever instance).
      clearExpiredByTimeout: true,
    });
    this.availability = new ConditionLog(logger, 'administration rate limit store');
  }

  async take(administration: string): Promise<Admission> {
    try {
      await this.limiter.consume(administration, 1);
      this.availability.recovered();
      return { allowed: true };
    } catch (outcome) {
      // The library rejects with its result when the allowance is spent, with an Error when the store failed.
      if (outcome instanceof RateLimiterRes) {
        this.availability.recovered();
        return { allowed: false, retryAfterMs: Math.max(1, outcome.msBeforeNext) };
      }
      const message = outcome instanceof Error ? outcome.message : String(outcome);
      this.availability.failed(isConnectionFailure(outcome) || /timeout/i.test(message) ? 'unreachable' : 'query-failed', {
        error: message,
        effect: 'submissions are let through without the per-administration limit',
      });
      return { allowed: true };
    }
  }
}
