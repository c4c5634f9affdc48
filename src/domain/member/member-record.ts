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

/** The record format the gateway writes: 1.1 carries member.version (schemas/member-record.v1.json accepts 1.0 too). */
export const RECORD_SPEC_VERSION = '1.1';

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
 * stringify every member a second time (its version, which is not part of what is fingerprinted, is
 * appended as the member's last field). The output is exactly `JSON.stringify` of a MemberRecord
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
    const member = `${change.json.slice(0, -1)},"version":${change.version}}`;
    return { eventId, body: `{"specVersion":"${RECORD_SPEC_VERSION}","eventId":"${eventId}","change":"${change.change}"${shared}${member}${previous}${sourceJson}` };
  };
}
