import type { Logger } from 'winston';
import type { AppConfig } from '../config/app-config.js';
import type { GatewayStore } from './gateway-store.js';
import { SqliteGatewayStore } from './sqlite/sqlite-gateway-store.js';

/**
 * The composition root's choice of store: PostgreSQL when DATABASE_URL is set (any number of gateway
 * instances share it), otherwise the embedded SQLite store in DATA_DIR (one process, nothing to set up).
 */
export async function openStore(config: AppConfig, logger: Logger): Promise<GatewayStore> {
  if (config.database === undefined) {
    const store = SqliteGatewayStore.open(config.dataDir);
    logger.info('store opened', { store: 'sqlite', dataDir: config.dataDir });
    return store;
  }
  const { PostgresGatewayStore } = await import('./postgres/postgres-gateway-store.js');
  const { relayLeaseMs } = config.database;
  return PostgresGatewayStore.open(config.database, logger, { ttlMs: relayLeaseMs, intervalMs: Math.max(200, relayLeaseMs / 5) });
}
