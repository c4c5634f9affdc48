import type { Statement } from 'better-sqlite3';
import type { ListedVersion, MemberListQuery, MemberRegisterStore, RegisterVersion } from '../../register/member-register-store.js';
import { memberListSql, toListedVersion, type ListedRow } from '../member-list-sql.js';
import { LEGACY_MEMBER_CONDITION, toLegacyVersion, toRegisterVersion, type LegacyMemberRow, type MemberVersionRow } from '../member-version-row.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** The register's reads on SQLite: one statement for the versions, one for a member stored before them. */
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
      legacy: db.prepare(`SELECT version, removed_at, member FROM members WHERE administration = ? AND member_id = ? AND ${LEGACY_MEMBER_CONDITION}`),
    };
  }

  latest(administration: string, memberId: string): Promise<RegisterVersion | undefined> {
    return this.database.exclusive(() => {
      const row = this.statements.latest.get(administration, memberId) as MemberVersionRow | undefined;
      return row ? toRegisterVersion(row) : this.legacy(administration, memberId);
    });
  }

  asOf(administration: string, memberId: string, at: string): Promise<RegisterVersion | undefined> {
    return this.database.exclusive(() => {
      const row = this.statements.asOf.get(administration, memberId, at) as MemberVersionRow | undefined;
      // A member with no history at all was stored before versions: when it was accepted is not known.
      return row ? toRegisterVersion(row) : this.legacy(administration, memberId);
    });
  }

  history(administration: string, memberId: string, afterVersion: number, limit: number): Promise<RegisterVersion[]> {
    return this.database.exclusive(() => {
      const rows = this.statements.history.all(administration, memberId, afterVersion, limit) as MemberVersionRow[];
      if (rows.length > 0 || afterVersion > 0) return rows.map(toRegisterVersion);
      const legacy = this.legacy(administration, memberId);
      return legacy ? [legacy] : [];
    });
  }

  list(query: MemberListQuery): Promise<ListedVersion[]> {
    const values: unknown[] = [];
    const sql = memberListSql(query, (value) => {
      values.push(value);
      return '?';
    });
    return this.database.exclusive(() => {
      // Prepared once per shape of query: better-sqlite3 caches nothing itself, and there are few shapes.
      const rows = this.listStatement(sql).all(...values) as ListedRow[];
      return rows.map(toListedVersion);
    });
  }

  private readonly listStatements = new Map<string, Statement>();

  private listStatement(sql: string): Statement {
    let statement = this.listStatements.get(sql);
    if (statement === undefined) {
      statement = this.database.db.prepare(sql);
      this.listStatements.set(sql, statement);
    }
    return statement;
  }

  private legacy(administration: string, memberId: string): RegisterVersion | undefined {
    const row = this.statements.legacy.get(administration, memberId) as LegacyMemberRow | undefined;
    return row ? toLegacyVersion(row) : undefined;
  }
}
