import pg from 'pg';
import type { Logger } from 'winston';
import { redactedDatabaseUrl, type DatabaseConfig } from '../../config/app-config.js';
import { GatewayError } from '../../domain/gateway-error.js';
import { ConditionLog } from '../../logging/condition-log.js';
import { migrate } from './postgres-migrations.js';

/** Seconds a client is told to wait before retrying when the store does not answer. */
export const STORE_RETRY_AFTER_SECONDS = 5;

const INT8_OID = 20;
const parseInt8 = (value: string): number => Number(value);

/** int8 (bigint) as a JavaScript number: positions and counts stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => (oid === INT8_OID ? parseInt8 : (pg.types.getTypeParser(oid, format) as unknown))) as typeof pg.types.getTypeParser,
};

/** SQLSTATE classes and codes that say the server or the connection went away, not that the query was wrong. */
const UNAVAILABLE_SQLSTATES = /^(08|57P0[1-3]|53300|53400|58)/;
const UNAVAILABLE_MESSAGES = /Connection terminated|connection timeout|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|Client has encountered a connection error|Client was closed|terminating connection/i;

/** Whether `error` means the database could not be reached or the connection was lost. */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_SQLSTATES.test(code)) return true;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && UNAVAILABLE_MESSAGES.test(code)) return true;
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** What a request hears when the store is down: 503 store-unavailable, nothing stored, retry later. */
export function storeUnavailable(): GatewayError {
  return new GatewayError('store-unavailable', `The gateway's store did not answer; nothing was stored. Retry in ${STORE_RETRY_AFTER_SECONDS} s.`, {
    extensions: { retryAfter: STORE_RETRY_AFTER_SECONDS },
  });
}

/** A client inside one transaction: the queries an adapter runs there. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * The shared store's connections: a small pool (DATABASE_POOL_SIZE) for transactions and reads, plus
 * dedicated connections for the relay lease and LISTEN (see their classes). Every failure to reach the
 * database becomes 503 `store-unavailable` for the request, and is logged as a condition (once, then
 * once a minute, then its end); the pool reconnects by itself when the database returns.
 */
export class PostgresDatabase {
  readonly pool: pg.Pool;
  private readonly availability: ConditionLog;

  private constructor(
    readonly config: DatabaseConfig,
    logger: Logger,
  ) {
    this.pool = new pg.Pool({
      connectionString: config.url,
      max: config.poolSize,
      // An outage answers in seconds, never hangs a request.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      types,
      application_name: 'mra-gateway',
      // The gateway's statements are short index lookups and batched writes, for which compiling a
      // plan costs more than running it (seen: 90 ms of JIT for a 30 ms read of the outbox).
      options: '-c jit=off',
    });
    // An idle connection that the server closed: the pool drops it; the next use gets a fresh one.
    this.pool.on('error', (error) => this.availability.failed(reasonOf(error), { error: error.message }));
    // And every connection listens for its errors for as long as it lives: pg-pool listens only while a
    // connection is idle, and a server ending a connection can report it twice (the FATAL message, then
    // the socket), so an 'error' with no listener would otherwise end the process. Whoever was using
    // the connection hears of it through its query.
    this.pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    this.availability = new ConditionLog(logger, 'store');
  }

  /** Connects, migrates (once across instances starting together) and returns the open store. */
  static async open(config: DatabaseConfig, logger: Logger): Promise<PostgresDatabase> {
    const database = new PostgresDatabase(config, logger);
    try {
      await database.withClient((client) => migrate(client, logger));
    } catch (error) {
      await database.pool.end();
      throw error;
    }
    logger.info('store opened', { store: 'postgres', database: redactedDatabaseUrl(config.url), poolSize: config.poolSize });
    return database;
  }

  /** A dedicated connection outside the pool (relay lease, LISTEN); the caller ends it. */
  newClient(): pg.Client {
    return new pg.Client({ connectionString: this.config.url, keepAlive: true, types, application_name: 'mra-gateway', connectionTimeoutMillis: 5_000, options: '-c jit=off' });
  }

  /** Runs a query on any pooled connection, outside a transaction. */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.withClient((client) => client.query<R>(text, values));
  }

  /**
   * Runs `work` in one transaction on one pooled connection: BEGIN, `work`, COMMIT (durable when it
   * returns: synchronous_commit stays on), or ROLLBACK when it throws. `lockKey`, when given, is taken
   * as a transaction advisory lock first, which serializes every transaction with the same key across
   * all instances and is released by the commit or rollback.
   */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>, lockKey?: string): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        if (lockKey !== undefined) await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey]);
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** Whether the store answers and can write (for readiness): a write to a temporary table. */
  async isWritable(): Promise<boolean> {
    try {
      await this.transaction(async (client) => {
        await client.query('CREATE TEMP TABLE IF NOT EXISTS write_probe (x int) ON COMMIT DELETE ROWS');
        await client.query('INSERT INTO write_probe VALUES (1)');
      });
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Borrows a connection. A connection failure becomes `storeUnavailable()` (and the connection is
   * destroyed rather than returned); any other error is the query's own and passes unchanged.
   */
  private async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.availability.failed(reasonOf(error), { error: error instanceof Error ? error.message : String(error) });
      throw storeUnavailable();
    }
    let broken: Error | undefined;
    // pg-pool listens for errors only on idle connections: one cut while borrowed (the server
    // terminating it mid-transaction) would otherwise be an unhandled 'error' event, ending the process.
    // The query in progress fails with the same error, which is what the request hears.
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      const result = await work(client);
      this.availability.recovered();
      return result;
    } catch (error) {
      if (isConnectionFailure(error)) {
        broken = error as Error;
        this.availability.failed(reasonOf(error), { error: broken.message });
        throw storeUnavailable();
      }
      throw error;
    } finally {
      // A broken connection keeps the listener: it is being destroyed and may still report its end.
      if (!broken) client.removeListener('error', onError);
      client.release(broken);
    }
  }
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'connection-refused';
  if (code === '57P01' || code === '57P02' || code === '57P03') return 'server-shutting-down';
  if (code === '53300') return 'too-many-connections';
  if (error instanceof Error && /timeout/i.test(error.message)) return 'connection-timeout';
  return 'connection-lost';
}
