import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isConnectionFailure } from '../../../src/store/postgres/postgres-database.js';
import { freePort } from '../../support/gateway-process.js';
import { createTestDatabase, SHARED_POSTGRES_URL } from '../../support/postgres-database.js';

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: SHARED_POSTGRES_URL });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('createTestDatabase', () => {
  it('creates a database of its own on the shared server and drops it, open connections and all', async () => {
    const database = await createTestDatabase();
    const other = await createTestDatabase('mra_other');
    try {
      expect(database.name).toMatch(/^mra_test_[a-z0-9]+_[0-9a-f]{8}$/);
      expect(other.name).toMatch(/^mra_other_/);
      expect(database.url).toBe(`postgres://postgres@127.0.0.1:5432/${database.name}`);

      const client = new pg.Client({ connectionString: database.url });
      client.on('error', () => undefined);
      await client.connect();
      await client.query('CREATE TABLE t (v text)');
      await client.query("INSERT INTO t VALUES ('x')");
      expect((await client.query('SELECT current_database() AS db, v FROM t')).rows).toEqual([{ db: database.name, v: 'x' }]);
      expect(await databaseExists(database.name)).toBe(true);

      await database.drop();
      await database.drop();
      expect(await databaseExists(database.name)).toBe(false);
      await expect(client.query('SELECT 1')).rejects.toSatisfy(isConnectionFailure);
      await client.end().catch(() => undefined);
      const late = new pg.Client({ connectionString: database.url });
      await expect(late.connect()).rejects.toMatchObject({ code: '3D000' });
      expect(await databaseExists(other.name)).toBe(true);
    } finally {
      await Promise.all([database.drop(), other.drop()]);
    }
    expect(await databaseExists(other.name)).toBe(false);
  });

  it('says what to run when the shared server does not answer', async () => {
    vi.stubEnv('TEST_POSTGRES_URL', `postgres://postgres@127.0.0.1:${await freePort()}/postgres`);
    vi.resetModules();
    const { createTestDatabase: createOnClosedPort } = await import('../../support/postgres-database.js');
    await expect(createOnClosedPort()).rejects.toThrow(
      'start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  });
});
