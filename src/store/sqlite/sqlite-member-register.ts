import type { Statement } from 'better-sqlite3';
import type { MemberRegisterStore, RegisterVersion } from '../../register/member-register-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

interface VersionRow {
  version: number;
  change: RegisterVersion['change'];
  received_at: string;
  record: string;
}

/** The register's reads on SQLite. */
export class SqliteMemberRegister implements MemberRegisterStore {
  private readonly statements: Record<'latest' | 'asOf' | 'history' | 'legacy', Statement>;

  constructor(private readonly database: SqliteDatabase) {
    const db = database.db;
    const columns = 'SELECT version, change, received_at, record FROM member_versions WHERE administration = ? AND member_id = ?';
    this.statements = {
      latest: db.prepare(`${columns} ORDER BY version DESC LIMIT 1`),
      // received_at is toISOString text: it sorts as the instants do.
      asOf: db.prepare(`${columns} AND received_at <= ? ORDER BY version DESC LIMIT 1`),
      history: db.prepare(`${columns} AND version > ? ORDER BY version LIMIT ?`),
      legacy: db.prepare('SELECT version, removed_at, member FROM members WHERE administration = ? AND member_id = ?'),
    };
  }

  latest(administration: string, memberId: string): Promise<RegisterVersion | undefined> {
    return this.database.exclusive(() => {
      const row = this.statements.latest.get(administration, memberId) as VersionRow | undefined;
      return row ? toVersion(row) : this.legacy(administration, memberId);
    });
  }

  asOf(administration: string, memberId: string, at: string): Promise<RegisterVersion | undefined> {
    return this.database.exclusive(() => {
      const row = this.statements.asOf.get(administration, memberId, at) as VersionRow | undefined;
      if (row) return toVersion(row);
      // A member with no history at all was stored before versions: when it was accepted is not known.
      return this.statements.latest.get(administration, memberId) ? undefined : this.legacy(administration, memberId);
    });
  }

  history(administration: string, memberId: string, afterVersion: number, limit: number): Promise<RegisterVersion[]> {
    return this.database.exclusive(() => {
      const rows = this.statements.history.all(administration, memberId, afterVersion, limit) as VersionRow[];
      if (rows.length > 0 || afterVersion > 0 || this.statements.latest.get(administration, memberId)) return rows.map(toVersion);
      const legacy = this.legacy(administration, memberId);
      return legacy ? [legacy] : [];
    });
  }

  private legacy(administration: string, memberId: string): RegisterVersion | undefined {
    const row = this.statements.legacy.get(administration, memberId) as { version: number; removed_at: string | null; member: string } | undefined;
    if (!row) return undefined;
    return { version: row.version, change: row.removed_at === null ? 'added' : 'removed', acceptedAt: row.removed_at, record: null, member: row.member };
  }
}

function toVersion(row: VersionRow): RegisterVersion {
  return { version: row.version, change: row.change, acceptedAt: row.received_at, record: row.record, member: null };
}
