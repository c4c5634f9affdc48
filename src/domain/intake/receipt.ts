import { createHash } from 'node:crypto';
import type { Warning } from '../member/member-cross-checks.js';

export interface ReceiptCounts {
  members: number;
  added: number;
  updated: number;
  statusChanged: number;
  removed: number;
  unchanged: number;
  notRecognized: number;
}

/** The response to an accepted submission (ICD 1, Receipt); returned again, unchanged, on replay. */
export interface Receipt {
  messageId: string;
  administration: string;
  receivedAt: string;
  outcome: 'accepted';
  counts: ReceiptCounts;
  warnings: Warning[];
  /** Compact JWS by the gateway's receipt key over the claims below; verify with /.well-known/jwks.json. */
  receipt: string;
}

/**
 * What a receipt JWS says about the message it answers, besides messageId, administration, receivedAt
 * and outcome: the two digests let a partner match the receipt to what it sent.
 */
export interface ReceiptDigests {
  /** SHA-256 of the request body as received, after any Content-Encoding is removed. */
  digest: string;
  /**
   * SHA-256 of the signed payload bytes (the JWS payload, base64url-decoded). The same for every body
   * that carries this payload: re-signed, in another serialization, or with unsigned parts changed.
   * Rule 7 judges replays by it.
   */
  payloadDigest: string;
}

/** SHA-256, base64url: how both receipt digests are written. */
export function sha256Base64url(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url');
}

/** Signs receipt claims with the gateway's current receipt key. */
export interface ReceiptSigner {
  sign(claims: Record<string, unknown>): Promise<string>;
}

/** `typ` of receipt JWSs, so a receipt can never be mistaken for another kind of token. */
export const RECEIPT_TYP = 'mra-receipt+jwt';
