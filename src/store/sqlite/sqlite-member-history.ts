import type { MemberHistoryStore } from '../gateway-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** The member history's retention on SQLite. */
export class SqliteMemberHistory implements MemberHistoryStore {
  constructor(private readonly database: SqliteDatabase) {}

  async prune(before: Date): Promise<number> {
    // received_at is the receipt's RFC 3339 text (toISOString), which sorts as the instants do.
    return this.database.transaction(async () =>
      Number(
        this.database.db
          .prepare(
            `DELETE FROM member_versions WHERE received_at < ? AND version < (
               SELECT m.version FROM members m WHERE m.administration = member_versions.administration AND m.member_id = member_versions.member_id)`,
          )
          .run(before.toISOString()).changes,
      ),
    );
  }
}
