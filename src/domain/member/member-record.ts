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

/**
 * A record ready for the outbox: its eventId (minted here, once, kept for every retry) and its JSON.
 * The text is kept as a string: it is stored as is, and turned into bytes only when it is published,
 * which keeps 50,000 buffer allocations out of the time a partner waits for the receipt.
 */
export interface SerializedRecord {
  eventId: string;
  body: string;
}

/**
 * Serializes the records of one message. The parts every record shares are serialized once, and each
 * member's JSON is the text already made for its fingerprint, so a 50,000-member snapshot does not
 * stringify every member a second time. The output is exactly `JSON.stringify` of a MemberRecord
 * (same keys, same order); the component tests validate it against schemas/member-record.v1.json.
 */
export function recordSerializer(arrangement: Arrangement, source: RecordSource): (change: MemberChange) => SerializedRecord {
  const administration: MemberRecord['administration'] = {
    code: arrangement.code,
    name: arrangement.administration,
    program: arrangement.program,
    mraSignedOn: arrangement.signedOn,
  };
  const shared = `,"occurredAt":${JSON.stringify(source.receivedAt)},"administration":${JSON.stringify(administration)},"member":`;
  const sourceJson = `,"source":${JSON.stringify(source)}}`;
  return (change) => {
    const eventId = randomUUID();
    const previous = change.previous ? `,"previous":${JSON.stringify(change.previous)}` : '';
    return { eventId, body: `{"specVersion":"1.0","eventId":"${eventId}","change":"${change.change}"${shared}${change.json}${previous}${sourceJson}` };
  };
}
