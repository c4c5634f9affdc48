/**
 * What `mra consumer sync` keeps: per member key, the highest version seen, from the register's export
 * or from a record. Pure logic, no I/O.
 */

/**
 * One line of the sync file: a member's latest version as the register shows it (GET /v1/members/{key}),
 * without the arrangement's status, which is the arrangement's and not the member's. A removed member
 * stays, with change "removed" (a tombstone), so that a late record of an older version is recognised
 * as old.
 */
export interface MemberLine {
  key: string;
  version: number;
  change: string;
  acceptedAt: string | null;
  member: Record<string, unknown>;
  previous?: Record<string, unknown>;
  source: Record<string, unknown> | null;
}

export type ParsedRecord =
  | { kind: 'line'; line: MemberLine; administration: string }
  /** specVersion 1.0 (a gateway before 0.3.0): no version to order it by. */
  | { kind: 'unversioned'; key: string | undefined }
  | { kind: 'malformed'; reason: string };

export type Applied =
  | { outcome: 'applied'; held: number; line: MemberLine; gap?: { missing: number } }
  | { outcome: 'ignored'; held: number; line: MemberLine };

const CHANGES = new Set(['added', 'updated', 'status-changed', 'removed']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** The administration of a key `<ADMINISTRATION>:<memberId>`. */
export function administrationOf(key: string): string {
  return key.slice(0, Math.max(0, key.indexOf(':')));
}

/** A listing item (the GET /v1/members/{key} body) as a line; throws with what is wrong. */
export function lineFromView(item: unknown): MemberLine {
  if (!isObject(item)) throw new Error('an item is not a JSON object');
  const { key, version, change, acceptedAt, member, previous, source } = item;
  if (typeof key !== 'string' || !key.includes(':')) throw new Error('an item has no "key"');
  if (!isVersion(version)) throw new Error(`item ${key} has no "version"`);
  if (typeof change !== 'string' || !CHANGES.has(change)) throw new Error(`item ${key} has no known "change"`);
  if (!isObject(member)) throw new Error(`item ${key} has no "member"`);
  return {
    key,
    version,
    change,
    acceptedAt: typeof acceptedAt === 'string' ? acceptedAt : null,
    member,
    ...(isObject(previous) ? { previous } : {}),
    source: isObject(source) ? source : null,
  };
}

/**
 * A record from the queue (member-record.v1.json) as a line: the key is member.key, the version
 * member.version, and acceptedAt the record's occurredAt (both are when the gateway accepted the
 * message), which is how the register shows the same version.
 */
export function lineFromRecord(record: unknown): ParsedRecord {
  if (!isObject(record)) return { kind: 'malformed', reason: 'the body is not a JSON object' };
  const { member, change, occurredAt, previous, source, administration } = record;
  if (!isObject(member) || typeof member.key !== 'string' || !member.key.includes(':')) return { kind: 'malformed', reason: 'the record has no member.key' };
  const key = member.key;
  if (member.version === undefined && record.specVersion === '1.0') return { kind: 'unversioned', key };
  if (!isVersion(member.version)) return { kind: 'malformed', reason: `the record of ${key} has no member.version` };
  if (typeof change !== 'string' || !CHANGES.has(change)) return { kind: 'malformed', reason: `the record of ${key} has no known change` };
  const code = isObject(administration) && typeof administration.code === 'string' ? administration.code : administrationOf(key);
  return {
    kind: 'line',
    administration: code,
    line: {
      key,
      version: member.version,
      change,
      acceptedAt: typeof occurredAt === 'string' ? occurredAt : null,
      member,
      ...(isObject(previous) ? { previous } : {}),
      source: isObject(source) ? source : null,
    },
  };
}

/**
 * Members by key, each at the highest version seen. A line at or below the version held is ignored
 * (a duplicate, a redelivery, an export item older than a record already applied); one more than one
 * above it is applied (it carries the member's whole state) and reported as a gap: the versions in
 * between were never seen.
 */
export class MemberState {
  private readonly members = new Map<string, MemberLine>();

  get size(): number {
    return this.members.size;
  }

  get removed(): number {
    let count = 0;
    for (const line of this.members.values()) if (line.change === 'removed') count++;
    return count;
  }

  version(key: string): number {
    return this.members.get(key)?.version ?? 0;
  }

  get(key: string): MemberLine | undefined {
    return this.members.get(key);
  }

  /**
   * `expectFirst`: whether a member not held yet should arrive at version 1 (a record after the
   * export; a member not in the export was added since). An export item starts a member at any version.
   */
  apply(line: MemberLine, expectFirst: boolean): Applied {
    const held = this.version(line.key);
    if (line.version <= held) return { outcome: 'ignored', held, line };
    this.members.set(line.key, line);
    const missing = line.version - held - 1;
    return missing > 0 && (held > 0 || expectFirst) ? { outcome: 'applied', held, line, gap: { missing } } : { outcome: 'applied', held, line };
  }

  /** Every member as a JSON line (with its newline), in key order: code point order, as the register lists them. */
  *jsonLines(): Generator<string> {
    for (const key of sortedByCodePoints([...this.members.keys()])) yield `${JSON.stringify(this.members.get(key))}\n`;
  }

  /** Reads the lines jsonLines gave (for tests and tools). */
  static parse(text: string): MemberLine[] {
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => lineFromView(JSON.parse(line) as unknown));
  }
}

/**
 * Texts in code point order (a UTF-16 comparison puts characters beyond U+FFFF before U+E000-U+FFFF):
 * their UTF-8 bytes compare in that order.
 */
export function sortedByCodePoints(texts: readonly string[]): string[] {
  return texts
    .map((text) => ({ text, bytes: Buffer.from(text, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map(({ text }) => text);
}
