import { prefixEnd } from '../domain/member/member-search-keys.js';
import type { ListedVersion, MemberListQuery } from '../register/member-register-store.js';
import { toLegacyVersion, toRegisterVersion } from './member-version-row.js';

/** A listing row: the member's key and latest version, and the record of that version (or, before versions, the member). */
export interface ListedRow {
  administration: string;
  member_id: string;
  version: number;
  removed_at: string | null;
  /** Only for a member with no record behind its version (stored before versions existed). */
  member: string | null;
  change: ListedVersion['change'] | null;
  received_at: string | null;
  record: string | null;
}

/**
 * The listing as one statement, the same SQL on both stores (`param` writes a store's placeholder for
 * a value). Members are walked in primary-key order from the cursor; a lookup (MID, name prefix) is a
 * range of member_lookups' value index, an identifier the members_by_member_id index. The version's
 * record comes from member_versions by its primary key, for the page's rows only.
 */
export function memberListSql(query: MemberListQuery, param: (value: unknown) => string): string {
  const where: string[] = [];
  const { administration, after } = query;
  if (administration !== undefined) {
    where.push(`m.administration = ${param(administration)}`);
    // Within one administration the cursor is a member_id range: beside administration = ?, a row value
    // comparison would leave SQLite walking the administration from its start on every page.
    if (after !== undefined && after.administration === administration) where.push(`m.member_id > ${param(after.memberId)}`);
    else if (after !== undefined && after.administration > administration) where.push('1 = 0');
  } else if (after !== undefined) {
    where.push(`(m.administration, m.member_id) > (${param(after.administration)}, ${param(after.memberId)})`);
  }
  if (!query.includeRemoved) where.push('m.removed_at IS NULL');
  if (query.recognized !== undefined) where.push(`m.recognized = ${param(query.recognized ? 1 : 0)}`);
  if (query.status !== undefined) where.push(`m.status = ${param(query.status)}`);
  if (query.country !== undefined) where.push(`m.country = ${param(query.country)}`);
  // Roles are stored as |role|role|; role names hold no LIKE wildcard.
  if (query.role !== undefined) where.push(`m.roles LIKE ${param(`%|${query.role}|%`)}`);
  if (query.changedSince !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM member_versions c WHERE c.administration = m.administration AND c.member_id = m.member_id AND c.version = m.version AND c.received_at >= ${param(query.changedSince)})`);
  }
  if (query.identifier !== undefined) where.push(`m.member_id = ${param(query.identifier.memberId)} AND m.id_scheme = ${param(query.identifier.scheme)}`);
  if (query.mid !== undefined) where.push(`(m.administration, m.member_id) IN (SELECT l.administration, l.member_id FROM member_lookups l WHERE l.kind = 'mid' AND l.value = ${param(query.mid)})`);
  if (query.namePrefix !== undefined) {
    where.push(
      `(m.administration, m.member_id) IN (SELECT l.administration, l.member_id FROM member_lookups l WHERE l.kind = 'name' AND l.value >= ${param(query.namePrefix)} AND l.value < ${param(prefixEnd(query.namePrefix))})`,
    );
  }
  // The page is chosen first, on members alone (its primary key in order, stopping at the limit), and
  // only its rows are joined to their versions: joined before the limit, PostgreSQL may merge-join
  // member_versions from its start on every page.
  return `SELECT m.administration, m.member_id, m.version, m.removed_at, CASE WHEN v.record IS NULL THEN m.member END AS member, v.change, v.received_at, v.record
    FROM (SELECT m.administration, m.member_id, m.version, m.removed_at, m.member FROM members m
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY m.administration, m.member_id
      LIMIT ${param(query.limit)}) m
    LEFT JOIN member_versions v ON v.administration = m.administration AND v.member_id = m.member_id AND v.version = m.version
    ORDER BY m.administration, m.member_id`;
}

export function toListedVersion(row: ListedRow): ListedVersion {
  const version =
    row.record !== null && row.change !== null && row.received_at !== null
      ? toRegisterVersion({ version: Number(row.version), change: row.change, received_at: row.received_at, record: row.record })
      : toLegacyVersion({ version: Number(row.version), removed_at: row.removed_at, member: row.member ?? '{}' });
  return { administration: row.administration, memberId: row.member_id, ...version };
}
