import type { Logger } from 'winston';
import type { DatabaseConfig } from '../../config/app-config.js';
import type { GatewayStore } from '../gateway-store.js';

/** The shared store on PostgreSQL (being built). */
export const PostgresGatewayStore = {
  async open(_config: DatabaseConfig, _logger: Logger): Promise<GatewayStore> {
    throw new Error('DATABASE_URL: the PostgreSQL store is not built yet');
  },
};
