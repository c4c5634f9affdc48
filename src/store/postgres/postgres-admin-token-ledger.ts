import type { AdminTokenLedger } from '../../admin/admin-store.js';
import type { PostgresDatabase } from './postgres-database.js';

/**
 * Used admin token ids, shared by every instance: the primary key decides, in one statement, which
 * of two instances receiving the same token at once accepts it.
 */
export class PostgresAdminTokenLedger implements AdminTokenLedger {
  constructor(private readonly database: PostgresDatabase) {}

  async useOnce(kid: string, jti: string, keepUntil: Date, now: Date): Promise<boolean> {
    return this.database.transaction(async (client) => {
      await client.query('DELETE FROM admin_token_uses WHERE expires_at <= $1', [now]);
      const { rowCount } = await client.query('INSERT INTO admin_token_uses (kid, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [kid, jti, keepUntil]);
      return rowCount === 1;
    });
  }
}
