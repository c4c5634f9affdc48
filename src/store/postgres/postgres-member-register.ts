import type { MemberRegisterStore, RegisterVersion } from '../../register/member-register-store.js';
import type { PostgresDatabase } from './postgres-database.js';

interface VersionRow {
  version: number;
  change: RegisterVersion['change'];
  received_at: string;
  record: string;
}

const COLUMNS = 'SELECT version, change, received_at, record FROM member_versions WHERE administration = $1 AND member_id = $2';

/** The register's reads on PostgreSQL (on the pool, outside any transaction). */
export class PostgresMemberRegister implements MemberRegisterStore {
  constructor(private readonly database: PostgresDatabase) {}

  async latest(administration: string, memberId: string): Promise<RegisterVersion | undefined> {
    const { rows } = await this.database.query<VersionRow>(`${COLUMNS} ORDER BY version DESC LIMIT 1`, [administration, memberId]);
    return rows[0] ? toVersion(rows[0]) : this.legacy(administration, memberId);
  }

  async asOf(administration: string, memberId: string, at: string): Promise<RegisterVersion | undefined> {
    // received_at is toISOString text: it sorts as the instants do.
    const { rows } = await this.database.query<VersionRow>(`${COLUMNS} AND received_at <= $3 ORDER BY version DESC LIMIT 1`, [administration, memberId, at]);
    if (rows[0]) return toVersion(rows[0]);
    // A member with no history at all was stored before versions: when it was accepted is not known.
    const { rowCount } = await this.database.query(`${COLUMNS} LIMIT 1`, [administration, memberId]);
    return rowCount === 0 ? this.legacy(administration, memberId) : undefined;
  }

  async history(administration: string, memberId: string, afterVersion: number, limit: number): Promise<RegisterVersion[]> {
    const { rows } = await this.database.query<VersionRow>(`${COLUMNS} AND version > $3 ORDER BY version LIMIT $4`, [administration, memberId, afterVersion, limit]);
    if (rows.length > 0 || afterVersion > 0) return rows.map(toVersion);
    const { rowCount } = await this.database.query(`${COLUMNS} LIMIT 1`, [administration, memberId]);
    if (rowCount !== 0) return [];
    const legacy = await this.legacy(administration, memberId);
    return legacy ? [legacy] : [];
  }

  private async legacy(administration: string, memberId: string): Promise<RegisterVersion | undefined> {
    const { rows } = await this.database.query<{ version: number; removed_at: string | null; member: string }>(
      'SELECT version, removed_at, member FROM members WHERE administration = $1 AND member_id = $2',
      [administration, memberId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { version: row.version, change: row.removed_at === null ? 'added' : 'removed', acceptedAt: row.removed_at, record: null, member: row.member };
  }
}

function toVersion(row: VersionRow): RegisterVersion {
  return { version: row.version, change: row.change, acceptedAt: row.received_at, record: row.record, member: null };
}
