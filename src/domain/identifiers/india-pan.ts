import { malformed, unchecked } from './id-check-result.js';
import type { IdCheckResult } from './id-check-result.js';

/**
 * Indian PAN (Permanent Account Number), issued by the Income Tax Department: `[A-Z]{5}[0-9]{4}[A-Z]`,
 * e.g. `ABCCD1234E`. The fourth letter is the holder type: C company, P person, H Hindu undivided family,
 * F firm, A association of persons, T trust, B body of individuals, L local authority, J artificial
 * juridical person, G government. The last letter is believed to be a check character, but its algorithm is
 * not published, so a well-formed PAN is `unchecked`.
 *
 * Decision: a holder-type letter outside that list is `malformed`, since no PAN is issued with it.
 */

const PAN_SHAPE = /^[A-Z]{5}\d{4}[A-Z]$/;
const HOLDER_TYPES = 'CPHFATBLJG';

/**
 * Checks an Indian PAN.
 *
 * @returns `unchecked` when the shape and holder type are right, `malformed` otherwise.
 */
export function checkIndiaPan(value: string): IdCheckResult {
  if (!PAN_SHAPE.test(value)) {
    return malformed('a PAN is 5 upper-case letters, 4 digits and 1 upper-case letter (ABCCD1234E)');
  }
  const holderType = value.charAt(3);
  if (!HOLDER_TYPES.includes(holderType)) {
    return malformed(`the fourth letter of a PAN is the holder type (one of ${HOLDER_TYPES.split('').join(', ')}), not ${holderType}`);
  }
  return unchecked();
}
