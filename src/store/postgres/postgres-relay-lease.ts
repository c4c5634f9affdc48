import type pg from 'pg';
import type { Logger } from 'winston';
import type { RelayLease, RelayLeaseHolder } from '../../outbox/relay-lease.js';
import type { PostgresDatabase } from './postgres-database.js';

/** The session advisory lock whose holder publishes the outbox. */
const RELAY_LOCK = 'mra-gateway:outbox-relay';

export interface RelayLeaseTiming {
  /** How long a lease lasts without renewal (and so how long a takeover waits at most). */
  ttlMs: number;
  /** How often the holder renews, and how often the others try to take over. */
  intervalMs: number;
}

export const defaultRelayLeaseTiming: RelayLeaseTiming = { ttlMs: 5_000, intervalMs: 1_000 };

/**
 * Exactly one relay publishes at a time: the instance whose dedicated connection holds a session
 * advisory lock. The lock alone is not enough to fence: a holder whose connection was cut has lost the
 * lock at the server before it can know, and a paused process keeps its connection (and the lock)
 * while doing nothing. So the holder also renews a lease row every `intervalMs`, and:
 * - the holder may publish only while its last renewal was sent less than `ttlMs - intervalMs` ago
 *   (a cut or paused holder stops by itself, measured on its own monotonic clock);
 * - a new holder starts publishing only once the previous holder's lease (its last renewal, by the
 *   database's clock, plus `ttlMs`) has run out, so the two never publish at the same time;
 * - a holder that stopped renewing for longer than `ttlMs` (paused) has its connection terminated by
 *   a standby, which frees the lock;
 * - the epoch, raised by every new holder, fences the cursor writes (PostgresOutboxStore).
 */
export class PostgresRelayLease implements RelayLease {
  readonly shared = true;
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private holder: RelayLeaseHolder | undefined;
  private epoch: number | undefined;
  /** performance.now() when the last successful renewal was sent. */
  private renewedAt = -Infinity;
  private ticking = false;
  private stopped = false;

  constructor(
    private readonly database: PostgresDatabase,
    private readonly instanceId: string,
    private readonly logger: Logger,
    private readonly timing: RelayLeaseTiming = defaultRelayLeaseTiming,
  ) {}

  /** The epoch of the lease this instance holds (undefined: none): what fences its cursor writes. */
  get currentEpoch(): number | undefined {
    return this.epoch;
  }

  get held(): boolean {
    return this.epoch !== undefined && performance.now() - this.renewedAt < this.timing.ttlMs - this.timing.intervalMs;
  }

  start(holder: RelayLeaseHolder): void {
    this.holder = holder;
    this.stopped = false;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.timing.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.lose('stopping');
  }

  /** Ends the lease's session: the lock is free at once for a standby to take. */
  async release(): Promise<void> {
    await this.lose('released');
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      if (this.epoch === undefined) {
        if (this.holder?.eligible() ?? true) await this.tryAcquire();
        else if (this.client) await this.lose('not eligible');
      } else await this.renew();
    } catch (error) {
      await this.lose(error instanceof Error ? error.message : String(error));
    } finally {
      this.ticking = false;
    }
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = this.database.newClient();
    // A cut connection has lost the lock at the server: stop publishing now rather than at the next renewal.
    client.on('error', () => void this.lose('lease connection lost'));
    client.on('end', () => void this.lose('lease connection closed'));
    await client.connect();
    this.client = client;
    return client;
  }

  private async tryAcquire(): Promise<void> {
    const client = await this.connection();
    const sentAt = performance.now();
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [RELAY_LOCK]);
    if (!rows[0]?.locked) {
      await this.evictStalledHolder(client);
      return;
    }
    // The previous holder's row is read in a FROM subquery (locked before the update): a CTE or a
    // subquery in RETURNING would see the row only after this UPDATE had locked it, and find nothing.
    const { rows: granted } = await client.query<{ epoch: number; wait_ms: number; previous: string | null }>(
      `UPDATE relay_lease l SET epoch = l.epoch + 1, holder = $1, holder_pid = pg_backend_pid(), renewed_at = now()
       FROM (SELECT holder, renewed_at FROM relay_lease WHERE id = 1 FOR UPDATE) AS previous
       WHERE l.id = 1
       RETURNING l.epoch, previous.holder AS previous,
         GREATEST(0, EXTRACT(EPOCH FROM (previous.renewed_at + make_interval(secs => $2::double precision / 1000) - now())) * 1000)::float8 AS wait_ms`,
      [this.instanceId, this.timing.ttlMs],
    );
    const grant = granted[0]!;
    // The previous holder may still be publishing until its lease runs out; renew meanwhile.
    const waitMs = grant.previous !== null && grant.previous !== this.instanceId ? (grant.wait_ms ?? 0) : 0;
    this.renewedAt = sentAt;
    this.epoch = grant.epoch;
    if (waitMs > 0) {
      this.logger.info('outbox relay lease acquired; waiting for the previous holder\'s lease to run out', { epoch: grant.epoch, previous: grant.previous, waitMs: Math.ceil(waitMs) });
      await this.renewFor(waitMs);
      if (this.epoch !== grant.epoch) return;
    }
    this.logger.info('outbox relay lease acquired: this instance publishes', { epoch: grant.epoch, previous: grant.previous });
    this.holder?.acquired(grant.epoch);
  }

  /** Keeps renewing while a takeover waits for the previous lease to run out. */
  private async renewFor(ms: number): Promise<void> {
    const until = performance.now() + ms;
    while (performance.now() < until && this.epoch !== undefined && !this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.timing.intervalMs, until - performance.now())));
      await this.renew();
    }
  }

  private async renew(): Promise<void> {
    const client = await this.connection();
    const sentAt = performance.now();
    const { rowCount } = await client.query('UPDATE relay_lease SET renewed_at = now() WHERE id = 1 AND epoch = $1 AND holder_pid = pg_backend_pid()', [this.epoch]);
    if (rowCount !== 1) throw new Error('the relay lease was taken over');
    this.renewedAt = sentAt;
  }

  /** A holder that stopped renewing (a paused process keeps its lock): end its session to free the lock. */
  private async evictStalledHolder(client: pg.Client): Promise<void> {
    const { rows } = await client.query<{ terminated: boolean | null; holder: string | null }>(
      `SELECT holder, pg_terminate_backend(holder_pid) AS terminated FROM relay_lease
       WHERE id = 1 AND holder_pid IS NOT NULL AND holder_pid <> pg_backend_pid()
         AND renewed_at < now() - make_interval(secs => $1::double precision / 1000)`,
      [this.timing.ttlMs * 2],
    );
    if (rows[0]?.terminated) this.logger.warn('ended the session of a relay that stopped renewing its lease', { holder: rows[0].holder });
  }

  private async lose(reason: string): Promise<void> {
    const client = this.client;
    this.client = undefined;
    const hadLease = this.epoch !== undefined;
    this.epoch = undefined;
    this.renewedAt = -Infinity;
    if (hadLease) {
      if (!this.stopped) this.logger.warn('outbox relay lease lost: this instance stops publishing', { reason });
      this.holder?.lost();
    }
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
