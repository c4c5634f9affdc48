import { malformed, unchecked } from './id-check-result.js';
import type { IdCheckResult } from './id-check-result.js';

/**
 * EORI (Economic Operators Registration and Identification number): an ISO 3166-1 alpha-2 prefix of the
 * issuing state followed by 1 to 15 upper-case letters or digits, 17 characters at most. EORI has no check
 * digit, so a well-formed EORI is `unchecked`.
 *
 * The prefix must be one the sending administration can issue, because a partner only vouches for its own
 * operators:
 * - `EU`: one of the 27 member states; Greece as `EL` (the EU's own code for it) or `GR` (ISO).
 * - `GB`: `GB`, or `XI` for Northern Ireland (issued by HMRC under the Windsor Framework). `XI` is not
 *   accepted from `EU`: Northern Ireland operators reach CBP through the UK's arrangement.
 * - any other administration that sends EORIs: only its own code.
 *
 * A prefix outside that set is `malformed`, not `invalid`: it is not a check-digit slip but an identifier
 * the administration cannot have issued.
 */

const EU_MEMBER_STATE_PREFIXES: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'EL', 'GR', 'ES', 'FI', 'FR', 'HR',
  'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
]);

const UK_PREFIXES: ReadonlySet<string> = new Set(['GB', 'XI']);

const EORI_SHAPE = /^[A-Z]{2}[A-Z0-9]{1,15}$/;

/**
 * Checks an EORI sent by `administration` (its registry code, e.g. `EU`, `GB`).
 *
 * @returns `unchecked` when the shape and prefix are right, `malformed` otherwise.
 */
export function checkEori(value: string, administration: string): IdCheckResult {
  if (!EORI_SHAPE.test(value)) {
    return malformed('an EORI is a two-letter country prefix followed by 1 to 15 upper-case letters or digits');
  }
  const prefix = value.slice(0, 2);
  const allowed = prefixesIssuedBy(administration);
  if (!allowed.has(prefix)) {
    return malformed(`an EORI sent by ${administration} must start with ${[...allowed].join(' or ')}, not ${prefix}`);
  }
  return unchecked();
}

function prefixesIssuedBy(administration: string): ReadonlySet<string> {
  if (administration === 'EU') return EU_MEMBER_STATE_PREFIXES;
  if (administration === 'GB') return UK_PREFIXES;
  return new Set([administration]);
}
