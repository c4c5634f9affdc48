import type pg from 'pg';
import type { Logger } from 'winston';
import type { SharedStateWatch } from '../gateway-store.js';
import type { PostgresDatabase } from './postgres-database.js';

const CHANNEL = 'mra_shared_state';

/**
 * What instances cache from the shared state (arrangement statuses, receipt keys) kept current. Every
 * change to those tables bumps shared_state.version and notifies (triggers, migration 1):
 * - the notification makes every instance refresh within milliseconds, in the background;
 * - `ensureCurrent` reads the version (one indexed row) and refreshes first if it moved, so a request
 *   that relies on a cache never runs on a stale one, even before the notification arrives or while
 *   the LISTEN connection is being re-established.
 */
export class PostgresSharedState implements SharedStateWatch {
  private seen: number | undefined;
  private readonly listeners: (() => Promise<void>)[] = [];
  private refreshing: Promise<void> | undefined;
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: PostgresDatabase,
    private readonly logger: Logger,
  ) {}

  onChange(listener: () => Promise<void>): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    this.seen = await this.version();
    await this.listen().catch(() => this.listenLater());
  }

  async ensureCurrent(): Promise<void> {
    const version = await this.version();
    if (version !== this.seen) await this.refresh(version);
  }

  async ensureAnnounced(): Promise<void> {
    // Listening: every change elsewhere arrives as a notification and is being (or has been) applied.
    if (this.client !== undefined) return this.refreshing;
    return this.ensureCurrent();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.refreshing;
  }

  private async version(): Promise<number> {
    const { rows } = await this.database.query<{ version: number }>('SELECT version FROM shared_state WHERE id = 1');
    return rows[0]!.version;
  }

  /** One refresh at a time; a change noticed during one is picked up by the next. */
  private refresh(version: number): Promise<void> {
    const run = async (): Promise<void> => {
      await this.refreshing;
      if (version === this.seen) return;
      for (const listener of this.listeners) await listener();
      this.seen = version;
    };
    const next = run().finally(() => {
      if (this.refreshing === next) this.refreshing = undefined;
    });
    this.refreshing = next;
    return next;
  }

  private async listen(): Promise<void> {
    const client = this.database.newClient();
    const lost = (): void => {
      if (this.client !== client) return;
      this.client = undefined;
      this.listenLater();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => {
      this.ensureCurrent().catch((error: unknown) => this.logger.warn('could not refresh shared state after a notification', { error: String(error) }));
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
    // Whatever changed while no one listened.
    await this.ensureCurrent();
  }

  private listenLater(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.listen().catch(() => this.listenLater());
    }, 1_000);
    this.retry.unref();
  }
}
