import type { AdminTokenLedger } from '../../admin/admin-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * Used admin token ids, in the store so that a restart does not reopen a replay window. An id is kept
 * until its token would have expired; after that the token is refused for its age anyway.
 */
export class SqliteAdminTokenLedger implements AdminTokenLedger {
  constructor(private readonly database: SqliteDatabase) {}

  useOnce(kid: string, jti: string, keepUntil: Date, now: Date): Promise<boolean> {
    const db = this.database.db;
    return this.database.transaction(async () => {
      db.prepare('DELETE FROM admin_token_uses WHERE expires_at <= ?').run(now.getTime());
      const { changes } = db.prepare('INSERT OR IGNORE INTO admin_token_uses (kid, jti, expires_at) VALUES (?, ?, ?)').run(kid, jti, keepUntil.getTime());
      return changes === 1;
    });
  }
}
