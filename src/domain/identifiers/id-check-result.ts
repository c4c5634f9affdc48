/**
 * The outcome of checking one partner identifier against its scheme.
 *
 * The split between `invalid` and `malformed` is the gateway's contract with partners: a wrong check
 * digit is a typing slip or a registry quirk (about 1.5% of real Mexican RFCs fail theirs), so it only
 * warns; a value of the wrong shape cannot be the member's identifier at all, so it rejects the message.
 */
export type IdCheckResult =
  /** Format right and check digit right. */
  | { outcome: 'valid' }
  /** Format right; the scheme has no check digit (EORI, PAN, OTHER). */
  | { outcome: 'unchecked' }
  /** Format right but check digit wrong: a warning on the receipt, never a rejection. */
  | { outcome: 'invalid'; reason: string }
  /** Cannot be a real identifier of that scheme: the gateway rejects the message with 422. */
  | { outcome: 'malformed'; reason: string };

/** Builds the result for a well-formed value whose check digit is right. */
export function valid(): IdCheckResult {
  return { outcome: 'valid' };
}

/** Builds the result for a well-formed value of a scheme that has no check digit. */
export function unchecked(): IdCheckResult {
  return { outcome: 'unchecked' };
}

/** Builds the result for a well-formed value whose check digit is wrong; `reason` goes on the receipt. */
export function invalid(reason: string): IdCheckResult {
  return { outcome: 'invalid', reason };
}

/** Builds the result for a value that cannot be an identifier of the scheme; `reason` goes in the 422. */
export function malformed(reason: string): IdCheckResult {
  return { outcome: 'malformed', reason };
}
