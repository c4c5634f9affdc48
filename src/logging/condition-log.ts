import type { Logger } from 'winston';

/** How often a condition that lasts is logged again. */
export const REPEAT_INTERVAL_MS = 60_000;

/**
 * Logs a condition that lasts, such as a dependency the gateway cannot reach, so that an operator is
 * never left guessing and never flooded: the first failure and every change of its reason at warn,
 * the same reason again at most once a minute while it lasts (with how long and how many attempts),
 * and its end, also at warn. A retry loop calls `failed` on every attempt; this decides what is said.
 */
export class ConditionLog {
  private down: { reason: string; since: number; attempts: number; lastLogged: number } | undefined;

  constructor(
    private readonly logger: Logger,
    /** What is unavailable, e.g. "broker": the log lines' `dependency` and the start of their message. */
    private readonly dependency: string,
    private readonly now: () => number = Date.now,
  ) {}

  get unavailable(): boolean {
    return this.down !== undefined;
  }

  /** An attempt failed for `reason` (a short stable code); `detail` goes on the line (never secrets). */
  failed(reason: string, detail: Record<string, unknown> = {}): void {
    const now = this.now();
    const down = this.down;
    if (!down) {
      this.down = { reason, since: now, attempts: 1, lastLogged: now };
      this.logger.warn(`${this.dependency} unavailable`, { dependency: this.dependency, reason, ...detail });
      return;
    }
    down.attempts++;
    if (down.reason !== reason) {
      this.logger.warn(`${this.dependency} unavailable`, { dependency: this.dependency, reason, previousReason: down.reason, ...this.duration(down, now), ...detail });
      down.reason = reason;
      down.lastLogged = now;
      return;
    }
    if (now - down.lastLogged >= REPEAT_INTERVAL_MS) {
      this.logger.warn(`${this.dependency} still unavailable`, { dependency: this.dependency, reason, ...this.duration(down, now), ...detail });
      down.lastLogged = now;
    }
  }

  /** The dependency works again (logged only if it had failed). */
  recovered(detail: Record<string, unknown> = {}): void {
    const down = this.down;
    if (!down) return;
    this.down = undefined;
    this.logger.warn(`${this.dependency} available again`, { dependency: this.dependency, previousReason: down.reason, ...this.duration(down, this.now()), ...detail });
  }

  private duration(down: { since: number; attempts: number }, now: number) {
    return { unavailableSince: new Date(down.since).toISOString(), unavailableForSeconds: Math.round((now - down.since) / 1000), attempts: down.attempts };
  }
}
