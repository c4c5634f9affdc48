import { invalid, malformed, valid } from './id-check-result.js';
import type { IdCheckResult } from './id-check-result.js';

/**
 * Singapore UEN (Unique Entity Number), in its three current forms, each ending in a check letter computed
 * with its own weights, mod 11, and letter table:
 *
 * | form | shape | weights | letter for sum mod 11 = 0..10 |
 * |---|---|---|---|
 * | business registered with ACRA before 2009 (ROB) | 8 digits + letter, `00192200M` | 10 4 9 3 8 2 7 1 | `XMKECAWLJDB` |
 * | local company (ROC) | year YYYY + 5 digits + letter, `197401143C` | 10 8 6 4 9 7 5 3 1 | `ZKCMDNERGWH` |
 * | other entities | R/S/T (18xx/19xx/20xx) + YY + 2-letter entity type + 4 digits + letter, `S16FC0121D` | 4 3 5 3 10 2 2 5 7 | see below |
 *
 * For other entities each of the first 9 characters counts as its index in
 * `ABCDEFGHJKLMNPQRSTUVWX0123456789` (no I, no O; digits count 22-31), and the check letter is the character
 * at index (sum − 5) mod 11 of that same string.
 *
 * Source: python-stdnum `stdnum/sg/uen.py` (Leandro Regueiro, Arthur de Jong, 2020), whose tests pass on
 * about 200 UENs found in public registers; verified here on `00192200M`, `197401143C` and `S16FC0121D`.
 *
 * Decisions:
 * - The entity type is any two letters of the check alphabet rather than ACRA's current list of ~40 types,
 *   so a new type does not make the gateway reject a list. `I` and `O` are not in that alphabet, so an entity
 *   type containing them is `malformed`: the check letter cannot even be computed.
 * - The year of a ROC or R/S/T UEN is not compared with today: the domain has no clock, and a slip there
 *   usually breaks the check letter anyway.
 * - The old foreign-company form (`F` + 000 + 5 digits + letter) is `malformed`: no check algorithm and no
 *   current example of it could be found.
 */

const OTHER_ENTITY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWX0123456789';

interface UenForm {
  name: string;
  shape: RegExp;
  checkLetter: (withoutCheck: string) => string;
}

const FORMS: readonly UenForm[] = [
  {
    name: 'business (ROB)',
    shape: /^\d{8}[A-Z]$/,
    checkLetter: (digits) => 'XMKECAWLJDB'.charAt(weightedSum(digits, [10, 4, 9, 3, 8, 2, 7, 1], Number) % 11),
  },
  {
    name: 'local company (ROC)',
    shape: /^\d{9}[A-Z]$/,
    checkLetter: (digits) => 'ZKCMDNERGWH'.charAt(weightedSum(digits, [10, 8, 6, 4, 9, 7, 5, 3, 1], Number) % 11),
  },
  {
    name: 'other entity',
    shape: /^[RST]\d{2}[A-HJ-NP-Z]{2}\d{4}[A-Z]$/,
    checkLetter: (chars) => {
      const sum = weightedSum(chars, [4, 3, 5, 3, 10, 2, 2, 5, 7], (char) => OTHER_ENTITY_ALPHABET.indexOf(char));
      return OTHER_ENTITY_ALPHABET.charAt((((sum - 5) % 11) + 11) % 11);
    },
  },
];

/**
 * Checks a Singapore UEN in any of its three forms.
 *
 * @returns `valid` when the check letter is right, `invalid` when it is wrong, `malformed` when the value
 *   has none of the three shapes.
 */
export function checkSingaporeUen(value: string): IdCheckResult {
  const form = FORMS.find((candidate) => candidate.shape.test(value));
  if (form === undefined) {
    return malformed('a UEN is 8 digits + letter (ROB), 9 digits + letter (ROC), or R/S/T + 2 digits + 2-letter entity type + 4 digits + letter, in upper case');
  }
  const expected = form.checkLetter(value.slice(0, -1));
  const actual = value.slice(-1);
  return actual === expected ? valid() : invalid(`the check letter of this ${form.name} UEN is ${actual}, expected ${expected}`);
}

function weightedSum(chars: string, weights: readonly number[], valueOf: (char: string) => number): number {
  return weights.reduce((sum, weight, index) => sum + weight * valueOf(chars.charAt(index)), 0);
}
