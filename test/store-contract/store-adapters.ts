import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logging/logger.js';
import type { GatewayStore } from '../../src/store/gateway-store.js';
import { PostgresGatewayStore } from '../../src/store/postgres/postgres-gateway-store.js';
import { SqliteGatewayStore } from '../../src/store/sqlite/sqlite-gateway-store.js';
import { createTestDatabase } from '../support/postgres-database.js';

/** A store opened for one test, with raw SQL for what the ports do not offer (setting up, checking). */
export interface OpenedStore {
  store: GatewayStore;
  /** Runs SQL with `?` placeholders on the store's own database, outside the gateway's transactions. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Another store on the same database, as a second gateway instance would open it (PostgreSQL only). */
  openAnother?(): Promise<GatewayStore>;
  dispose(): Promise<void>;
}

export interface StoreAdapter {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenedStore>;
}

const quiet = createLogger('error');

/** Every adapter of the store ports: each contract test file runs its suite once per adapter. */
export const storeAdapters: StoreAdapter[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(path.join(tmpdir(), 'store-contract-'));
      const store = SqliteGatewayStore.open(dir);
      return {
        store,
        sql: async <R>(text: string, params: unknown[] = []) => {
          const statement = store.database.db.prepare(text);
          return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as R[];
        },
        async dispose() {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const database = await createTestDatabase('mra_contract');
      const config = { url: database.url, poolSize: 5, relayLeaseMs: 2000 };
      const timing = { ttlMs: 2000, intervalMs: 400 };
      const store = await PostgresGatewayStore.open(config, quiet, timing);
      const others: GatewayStore[] = [];
      return {
        store,
        sql: async <R>(text: string, params: unknown[] = []) => {
          let n = 0;
          const { rows } = await store.database.pool.query(text.replace(/\?/g, () => `$${++n}`), params);
          return rows as R[];
        },
        async openAnother() {
          const another = await PostgresGatewayStore.open(config, quiet, timing);
          others.push(another);
          return another;
        },
        async dispose() {
          for (const other of others) await other.close();
          await store.close();
          await database.drop();
        },
      };
    },
  },
];

/** Times as the adapter returns them in raw rows: SQLite keeps ms numbers, PostgreSQL timestamptz. */
export function millis(value: unknown): number {
  return value instanceof Date ? value.getTime() : Number(value);
}

/** Takes the store's relay lease as a relay would (the outbox's writes are then fenced by its epoch). */
export function holdRelayLease(store: GatewayStore): Promise<number> {
  return new Promise((resolve) => {
    store.relayLease.start({
      acquired: resolve,
      lost: () => undefined,
      eligible: () => true,
    });
  });
}
