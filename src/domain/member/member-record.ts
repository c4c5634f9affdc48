import { randomUUID } from 'node:crypto';
import type { Arrangement } from '../arrangement.js';
import type { MemberRecord } from '../generated/member-record.js';
import type { ChangeKind, MemberChange } from './member-changes.js';

export type { MemberRecord };

/** Where a record came from: the accepted message, cited on every record it produced. */
export interface RecordSource {
  messageId: string;
  receivedAt: string;
  kid: string;
  digest: string;
  sequence: number | null;
}

/** ICD 2: `member.<change>.<administration in lower case>`. */
export function routingKeyFor(change: ChangeKind, administration: string): string {
  return `member.${change}.${administration.toLowerCase()}`;
}

/** Builds the outbound record for one change. The eventId is minted here, once, and kept for every retry. */
export function buildMemberRecord(change: MemberChange, arrangement: Arrangement, source: RecordSource): MemberRecord {
  const record: MemberRecord = {
    specVersion: '1.0',
    eventId: randomUUID(),
    change: change.change,
    occurredAt: source.receivedAt,
    administration: {
      code: arrangement.code,
      name: arrangement.administration,
      program: arrangement.program,
      mraSignedOn: arrangement.signedOn,
    },
    member: change.member,
    ...(change.previous ? { previous: change.previous } : {}),
    source,
  };
  return record;
}
