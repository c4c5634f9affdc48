import pg from 'pg';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/logging/logger.js';
import { PostgresAdministrationLimiter, RATE_LIMIT_TABLE } from '../../../../src/store/postgres/postgres-administration-limiter.js';
import { PostgresGatewayStore } from '../../../../src/store/postgres/postgres-gateway-store.js';
import { freePort } from '../../../support/gateway-process.js';
import { createTestDatabase, type TestDatabase } from '../../../support/postgres-database.js';

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter((l) => l !== '')) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines };
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function twoStoresOnOneDatabase(): Promise<{ database: TestDatabase; stores: PostgresGatewayStore[] }> {
  const database = await createTestDatabase('mra_ratelimit');
  cleanup.push(() => database.drop());
  const quiet = createLogger('error');
  const stores = await Promise.all([1, 2].map(() => PostgresGatewayStore.open({ url: database.url, poolSize: 2, relayLeaseMs: 2000 }, quiet)));
  for (const store of stores) cleanup.push(() => store.close());
  return { database, stores };
}

describe('PostgresAdministrationLimiter', () => {
  it('shares one allowance per administration between instances on the same database', async () => {
    const { stores } = await twoStoresOnOneDatabase();
    const [a, b] = stores.map((store) => store.administrationLimiter(3));
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await (i % 2 === 0 ? a! : b!).take('EU'));
    expect(answers.slice(0, 3)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(answers[3]).toMatchObject({ allowed: false });
    const retryAfterMs = (answers[3] as { retryAfterMs: number }).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    // Another administration has its own allowance.
    expect(await b!.take('JP')).toEqual({ allowed: true });
    // The counters are in the table migration 2 created, keyed by administration.
    const { rows } = await stores[0]!.database.pool.query<{ key: string; points: number }>(`SELECT key, points FROM ${RATE_LIMIT_TABLE} ORDER BY key`);
    expect(rows).toEqual([
      { key: 'administration:EU', points: 4 },
      { key: 'administration:JP', points: 1 },
    ]);
  });

  it('lets a submission through, and warns once, when the store does not answer', async () => {
    const port = await freePort();
    const pool = new pg.Pool({ connectionString: `postgres://gateway:s3cret-password@127.0.0.1:${port}/nowhere`, connectionTimeoutMillis: 1000 });
    pool.on('error', () => undefined);
    cleanup.push(() => pool.end());
    const { logger, lines } = capturedLogger();
    const limiter = new PostgresAdministrationLimiter(pool, 1, logger);
    // Over the allowance were the store there: every one is let through all the same.
    for (let i = 0; i < 3; i++) expect(await limiter.take('EU')).toEqual({ allowed: true });
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ message: 'administration rate limit store unavailable', reason: 'unreachable' });
    expect(JSON.stringify(lines)).not.toContain('s3cret-password');
  });
});
