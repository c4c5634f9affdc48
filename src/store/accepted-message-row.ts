import type { AcceptedMessage } from '../domain/intake/intake-store.js';

/** An accepted_messages row, the same on both stores (every column is text or an integer). */
export interface AcceptedMessageRow {
  administration: string;
  message_id: string;
  digest: string;
  /** Null for messages stored before the payload digest was kept (or by a gateway version that does not write it). */
  payload_digest: string | null;
  kind: 'snapshot' | 'delta';
  sequence: number | null;
  issued_at: string;
  received_at: string;
  kid: string;
  /** The receipt as JSON text, exactly as it was sent. */
  receipt: string;
}

export function toAcceptedMessage(row: AcceptedMessageRow): AcceptedMessage {
  return {
    administration: row.administration,
    messageId: row.message_id,
    digest: row.digest,
    payloadDigest: row.payload_digest,
    kind: row.kind,
    sequence: row.sequence,
    issuedAt: row.issued_at,
    receivedAt: row.received_at,
    kid: row.kid,
    receipt: JSON.parse(row.receipt) as AcceptedMessage['receipt'],
  };
}
