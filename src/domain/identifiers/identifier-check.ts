import { checkBrazilCnpj } from './brazil-cnpj.js';
import { checkCanadaBn } from './canada-bn.js';
import { checkEori } from './eori.js';
import { malformed } from './id-check-result.js';
import type { IdCheckResult } from './id-check-result.js';
import { checkIndiaPan } from './india-pan.js';
import { checkJapanCorporateNumber } from './japan-corporate-number.js';
import { checkMexicoRfc } from './mexico-rfc.js';
import { checkOpaqueIdentifier } from './opaque-identifier.js';
import { checkSingaporeUen } from './singapore-uen.js';

export type { IdCheckResult } from './id-check-result.js';

/**
 * The identifier schemes partners use for their members' `memberId` (see the member-list schema's
 * `idScheme`). `JCN` is the Japanese Corporate Number; `OTHER` is any scheme the gateway does not model.
 */
export type IdScheme = 'EORI' | 'BN' | 'RFC' | 'UEN' | 'CNPJ' | 'PAN' | 'JCN' | 'OTHER';

/**
 * Checks a member identifier against the rules of its scheme: one file per scheme beside this one holds
 * the rules and the sources they come from.
 *
 * Decisions that hold for every scheme:
 * - Values are checked exactly as sent, never normalized: no trimming, no case folding, no removal of
 *   spaces or punctuation. The memberId is the member's key (`<ADMINISTRATION>:<memberId>`), so two
 *   spellings of one identifier would become two members; a value in a non-canonical spelling is therefore
 *   `malformed`, with a reason that says how the canonical form looks.
 * - Only the shape and the check digit are judged, not whether the registry ever issued the number; the
 *   one exception is an all-zero base number (BN, CNPJ, Japanese Corporate Number), which passes or can
 *   pass its arithmetic but is only ever a placeholder, and is `malformed`.
 * - `context.administration` matters only to EORI, whose prefix must be one the administration issues.
 *   Which schemes an administration may use is not judged here.
 *
 * @param scheme - the `idScheme` the partner declared for the member.
 * @param value - the `memberId` as sent.
 * @param context - `administration` is the sending administration's registry code (`EU`, `GB`, `MX`, ...).
 * @returns `valid` or `unchecked` when the identifier is acceptable, `invalid` for a wrong check digit (a
 *   warning), `malformed` when it cannot be an identifier of that scheme (the message is rejected).
 */
export function checkIdentifier(scheme: IdScheme, value: string, context: { administration: string }): IdCheckResult {
  switch (scheme) {
    case 'EORI':
      return checkEori(value, context.administration);
    case 'BN':
      return checkCanadaBn(value);
    case 'RFC':
      return checkMexicoRfc(value);
    case 'UEN':
      return checkSingaporeUen(value);
    case 'CNPJ':
      return checkBrazilCnpj(value);
    case 'PAN':
      return checkIndiaPan(value);
    case 'JCN':
      return checkJapanCorporateNumber(value);
    case 'OTHER':
      return checkOpaqueIdentifier(value);
    default:
      return unknownScheme(scheme);
  }
}

// The payload schema already limits idScheme; this guards callers that skip it.
function unknownScheme(scheme: never): IdCheckResult {
  return malformed(`unknown identifier scheme ${JSON.stringify(scheme)}`);
}
