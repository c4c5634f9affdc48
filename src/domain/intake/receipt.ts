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

/** Signs receipt claims with the gateway's current receipt key. */
export interface ReceiptSigner {
  sign(claims: Record<string, unknown>): Promise<string>;
}

/** `typ` of receipt JWSs, so a receipt can never be mistaken for another kind of token. */
export const RECEIPT_TYP = 'mra-receipt+jwt';
