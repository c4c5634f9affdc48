import type { ListedVersion, MemberListQuery, MemberRegisterStore, RegisterVersion } from '../../register/member-register-store.js';
import { memberListSql, toListedVersion, type ListedRow } from '../member-list-sql.js';
import { LEGACY_MEMBER_CONDITION, toLegacyVersion, toRegisterVersion, type LegacyMemberRow, type MemberVersionRow } from '../member-version-row.js';
import type { PostgresDatabase } from './postgres-database.js';

const COLUMNS = 'SELECT version, change, received_at, record FROM member_versions WHERE administration = $1 AND member_id = $2';

/** The register's reads on PostgreSQL (on the pool, outside any transaction). */
export class PostgresMemberRegister implements MemberRegisterStore {
  constructor(private readonly database: PostgresDatabase) {}

  async latest(administration: string, memberId: string): Promise<RegisterVersion | undefined> {
    const { rows } = await this.database.query<MemberVersionRow>(`${COLUMNS} ORDER BY version DESC LIMIT 1`, [administration, memberId]);
    return rows[0] ? toRegisterVersion(rows[0]) : this.legacy(administration, memberId);
  }

  async asOf(administration: string, memberId: string, at: string): Promise<RegisterVersion | undefined> {
    // received_at is toISOString text: it sorts as the instants do.
    const { rows } = await this.database.query<MemberVersionRow>(`${COLUMNS} AND received_at <= $3 ORDER BY version DESC LIMIT 1`, [administration, memberId, at]);
    // A member with no history at all was stored before versions: when it was accepted is not known.
    return rows[0] ? toRegisterVersion(rows[0]) : this.legacy(administration, memberId);
  }

  async history(administration: string, memberId: string, afterVersion: number, limit: number): Promise<RegisterVersion[]> {
    const { rows } = await this.database.query<MemberVersionRow>(`${COLUMNS} AND version > $3 ORDER BY version LIMIT $4`, [administration, memberId, afterVersion, limit]);
    if (rows.length > 0 || afterVersion > 0) return rows.map(toRegisterVersion);
    const legacy = await this.legacy(administration, memberId);
    return legacy ? [legacy] : [];
  }

  async list(query: MemberListQuery): Promise<ListedVersion[]> {
    const values: unknown[] = [];
    const sql = memberListSql(query, (value) => {
      values.push(value);
      return `$${values.length}`;
    });
    const { rows } = await this.database.query<ListedRow>(sql, values);
    return rows.map(toListedVersion);
  }

  private async legacy(administration: string, memberId: string): Promise<RegisterVersion | undefined> {
    const { rows } = await this.database.query<LegacyMemberRow>(
      `SELECT version, removed_at, member FROM members WHERE administration = $1 AND member_id = $2 AND ${LEGACY_MEMBER_CONDITION}`,
      [administration, memberId],
    );
    return rows[0] ? toLegacyVersion(rows[0]) : undefined;
  }
}
