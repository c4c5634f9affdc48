import type { MemberHistoryStore } from '../gateway-store.js';
import type { PostgresDatabase } from './postgres-database.js';

/** The member history's retention on PostgreSQL (any instance may run it: deleting twice deletes nothing). */
export class PostgresMemberHistory implements MemberHistoryStore {
  constructor(private readonly database: PostgresDatabase) {}

  async prune(before: Date): Promise<number> {
    // received_at is the receipt's RFC 3339 text (toISOString), which sorts as the instants do.
    const { rowCount } = await this.database.query(
      `DELETE FROM member_versions v USING members m
       WHERE m.administration = v.administration AND m.member_id = v.member_id AND v.received_at < $1 AND v.version < m.version`,
      [before.toISOString()],
    );
    return rowCount ?? 0;
  }
}
