import type { ProblemItem } from '../gateway-error.js';
import type { ProblemCode } from '../problem-types.js';
import type { ReceiptCounts } from './receipt.js';

/** How a submission whose signature verified ended: a new message, a replay of one, or a refusal. */
export type SubmissionOutcomeKind = 'accepted' | 'replayed' | 'rejected';

/** The first errors of a rejection a submission record keeps, and how long each text of one may be. */
export const MAX_RECORDED_ERRORS = 20;
export const MAX_RECORDED_ERROR_TEXT = 500;

/** Why a submission was rejected, as its record keeps it. */
export interface SubmissionProblem {
  code: ProblemCode;
  status: number;
  detail: string;
  /** The first MAX_RECORDED_ERRORS of the problem's errors[], each text cut at MAX_RECORDED_ERROR_TEXT. */
  errors: ProblemItem[];
  /** How many errors the problem listed (itself at most 100). */
  errorCount: number;
}

/**
 * What the intake reports about a submission once its signature verified and the answer is decided
 * (the submission log keeps it; see src/admin/submission-log.ts). What the gateway could not read is
 * null: a payload refused before its envelope was validated has no messageId, kind, sequence or
 * issuedAt of its own.
 */
export interface SubmissionRecord {
  /** The signing key's administration (the sender, whatever the payload claims). */
  administration: string;
  messageId: string | null;
  /** kid of the first signature. */
  kid: string;
  kind: 'snapshot' | 'delta' | null;
  sequence: number | null;
  /** As the partner wrote it. */
  issuedAt: string | null;
  /** When the gateway received the body (the receipt's receivedAt). */
  receivedAt: Date;
  outcome: SubmissionOutcomeKind;
  /** The HTTP status answered: 202, 200, or the rejection's. */
  status: number;
  problem: SubmissionProblem | null;
  /** The counts of the receipt answered (for a replay: the original receipt's); null for a rejection. */
  counts: ReceiptCounts | null;
  /** Warnings on the receipt answered. */
  warnings: number;
  /** SHA-256 (base64url) of the body as received, after any Content-Encoding is removed. */
  digest: string;
  /** SHA-256 (base64url) of the signed payload. */
  payloadDigest: string;
  /** Bytes of the body as received, after any Content-Encoding is removed. */
  size: number;
  /** From the whole body received to the answer decided. */
  durationMs: number;
  requestId: string | null;
  /** The signed receipt answered (compact JWS); null for a rejection that carries none (a key found unusable in the transaction). */
  receipt: string | null;
}

/** Where the intake reports each decided submission; it never rejects (a failure is the recorder's to log). */
export type SubmissionRecorder = (record: SubmissionRecord) => Promise<void>;

/** The problem of a rejection as a record keeps it: the first errors, each text bounded. */
export function recordedProblem(code: ProblemCode, status: number, detail: string, errors: readonly ProblemItem[] | undefined): SubmissionProblem {
  // Cut between code points, never inside a surrogate pair.
  const cut = (text: string) => (text.length > MAX_RECORDED_ERROR_TEXT ? `${text.slice(0, MAX_RECORDED_ERROR_TEXT - 1).replace(/[\ud800-\udbff]$/, '')}…` : text);
  return {
    code,
    status,
    detail: cut(detail),
    errors: (errors ?? []).slice(0, MAX_RECORDED_ERRORS).map((e) => ({ pointer: cut(e.pointer), detail: cut(e.detail) })),
    errorCount: errors?.length ?? 0,
  };
}
