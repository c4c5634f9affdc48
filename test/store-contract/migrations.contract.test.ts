import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.js';
import { migrate, postgresMigrations } from '../../src/store/postgres/postgres-migrations.js';
import { PostgresGatewayStore } from '../../src/store/postgres/postgres-gateway-store.js';
import { SqliteGatewayStore } from '../../src/store/sqlite/sqlite-gateway-store.js';
import { createTestDatabase } from '../support/postgres-database.js';

const quiet = createLogger('error');
const config = (url: string) => ({ url, poolSize: 3, relayLeaseMs: 2000 });

describe('store migrations', () => {
  it('PostgreSQL: instances starting at once migrate exactly once', async () => {
    const database = await createTestDatabase('mra_migrate');
    try {
      const stores = await Promise.all([1, 2, 3].map(() => PostgresGatewayStore.open(config(database.url), quiet)));
      const { rows } = await stores[0]!.database.pool.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r: { version: number }) => r.version)).toEqual(postgresMigrations.map((_, i) => i + 1));
      for (const store of stores) await store.close();
    } finally {
      await database.drop();
    }
  });

  it('PostgreSQL: an older gateway runs on a store a newer one expanded, not on one it contracted', async () => {
    const database = await createTestDatabase('mra_migrate');
    const client = new pg.Client(database.url);
    await client.connect();
    try {
      const expand = [...postgresMigrations, { sql: 'ALTER TABLE members ADD COLUMN added_later text' }];
      await migrate(client, quiet, expand);
      // The gateway before that step starts and works.
      const older = await PostgresGatewayStore.open(config(database.url), quiet);
      await older.partnerKeys.hasKeys('EU');
      await older.close();
      const contract = [...expand, { sql: 'ALTER TABLE members DROP COLUMN added_later', oldestCompatible: expand.length + 1 }];
      await migrate(client, quiet, contract);
      await expect(PostgresGatewayStore.open(config(database.url), quiet)).rejects.toThrow(/needs a gateway that knows at least/);
    } finally {
      await client.end();
      await database.drop();
    }
  });

  it('SQLite: an older gateway runs on a store a newer one expanded, not on one it contracted', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    try {
      await SqliteGatewayStore.open(dir).close();
      const db = new Database(path.join(dir, 'gateway.db'));
      const known = (db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck().get() as number);
      db.prepare("INSERT INTO schema_migrations (version, applied_at, oldest_compatible) VALUES (?, ?, ?)").run(known + 1, new Date().toISOString(), known);
      db.close();
      const older = SqliteGatewayStore.open(dir);
      expect(await older.partnerKeys.hasKeys('EU')).toBe(false);
      await older.close();
      const again = new Database(path.join(dir, 'gateway.db'));
      again.prepare('INSERT INTO schema_migrations (version, applied_at, oldest_compatible) VALUES (?, ?, ?)').run(known + 2, new Date().toISOString(), known + 2);
      again.close();
      expect(() => SqliteGatewayStore.open(dir)).toThrow(/needs a gateway that knows at least/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
