import type { MemberRecord } from '../generated/member-record.js';
import type { SerializedMember } from './member-fingerprint.js';
import type { NormalizedMember } from './normalized-member.js';

export type ChangeKind = MemberRecord['change'];
export type PreviousValues = NonNullable<MemberRecord['previous']>;

/** A member of an incoming message, normalized, serialized and fingerprinted. */
export type IncomingMember = SerializedMember;

/** One change the message makes to the administration's current state. */
export interface MemberChange extends SerializedMember {
  change: ChangeKind;
  /** The member's version after this change. */
  version: number;
  /** `member` is the member as it is now; for `removed`, as it was last known. */
  previous?: PreviousValues;
}

/** Fields whose change makes a status-change rather than an update: consumers act on these first. */
const STATUS_FIELDS = new Set<keyof NormalizedMember>(['status', 'recognized']);

/** The fields a consumer compares; key and memberId identify the member and never change. */
const COMPARED_FIELDS = [
  'idScheme', 'idCheck', 'legalName', 'tradeNames', 'address', 'roles', 'status', 'statusSince',
  'certifiedOn', 'lastValidatedOn', 'certificateType', 'recognized', 'mids',
] as const satisfies readonly (keyof PreviousValues & keyof NormalizedMember)[];

/**
 * The change that turns `before` into `after`, or undefined when nothing a consumer sees differs.
 * `previous` lists exactly the fields that changed, with their old values.
 */
export function compareMember(before: NormalizedMember, after: IncomingMember): Omit<MemberChange, 'version'> | undefined {
  const previous: Record<string, unknown> = {};
  let statusChanged = false;
  for (const field of COMPARED_FIELDS) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after.member[field])) {
      previous[field] = before[field];
      if (STATUS_FIELDS.has(field)) statusChanged = true;
    }
  }
  if (Object.keys(previous).length === 0) return undefined;
  return { ...after, change: statusChanged ? 'status-changed' : 'updated', previous };
}
