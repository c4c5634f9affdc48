import type { ReceiptCounts } from '../domain/intake/receipt.js';

/** How one submission ended, as metrics count it. */
export type SubmissionOutcome =
  | { outcome: 'accepted'; administration: string; counts: Partial<ReceiptCounts> }
  | { outcome: 'replayed'; administration: string }
  | { outcome: 'rejected'; administration: string; problem: string };

/** Administration label when the sender is not (yet) authenticated. */
export const UNKNOWN_ADMINISTRATION = 'unknown';

const ADMINISTRATION_CODE = /^[A-Z]{2}$/;
const PROBLEM_CODE = /^[a-z-]{1,64}$/;

/**
 * Reads a submission's outcome from what the gateway answered: the status, the problem code the
 * problem handler noted, and the response body (a receipt, or a problem carrying a signed rejection
 * receipt once the sender was authenticated). The administration is taken only from the gateway's own
 * answers, which name the signing key's owner, so a client cannot invent label values.
 */
export function submissionOutcome(status: number, body: unknown, problem: string | undefined): SubmissionOutcome {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (status === 200 || status === 202) {
    const administration = code(fields.administration);
    if (status === 200) return { outcome: 'replayed', administration };
    const counts = typeof fields.counts === 'object' && fields.counts !== null ? (fields.counts as Partial<ReceiptCounts>) : {};
    return { outcome: 'accepted', administration, counts };
  }
  return {
    outcome: 'rejected',
    administration: code(typeof fields.receipt === 'string' ? receiptAdministration(fields.receipt) : undefined),
    problem: problem !== undefined && PROBLEM_CODE.test(problem) ? problem : 'unknown',
  };
}

/** The administration claim of a receipt the gateway just signed (no need to verify its own signature). */
function receiptAdministration(receipt: string): unknown {
  const payload = receipt.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>).administration;
  } catch {
    return undefined;
  }
}

function code(value: unknown): string {
  return typeof value === 'string' && ADMINISTRATION_CODE.test(value) ? value : UNKNOWN_ADMINISTRATION;
}
