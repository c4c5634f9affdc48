import { invalid, malformed, valid } from './id-check-result.js';
import type { IdCheckResult } from './id-check-result.js';

/**
 * Japanese Corporate Number (法人番号, hōjin bangō), assigned by the National Tax Agency (NTA): 13 digits,
 * a check digit followed by the 12-digit base number (for registered companies, the Ministry of Justice's
 * company number).
 *
 * Check digit (NTA, "チェックデジットの計算",
 * https://www.houjin-bangou.nta.go.jp/documents/checkdigit.pdf, as implemented in python-stdnum
 * `stdnum/jp/cn.py`): 9 − (Σ digit × weight mod 9), over the 12 base digits with weights 1, 2, 1, 2, ...
 * counted from the rightmost digit. Verified on the NTA's own corporate number `7000012050002`, which the
 * NTA publishes with its name (e.g. https://itc.jipdec.or.jp/event/1_ono.html).
 *
 * Decisions:
 * - The check digit is 1-9 by construction; a leading 0 is a wrong check digit, so `invalid`.
 * - A base number of 12 zeros is never assigned, so it is `malformed`.
 * - Only the 13 bare digits are accepted; the hyphenated display form `7-0000-1205-0002` is `malformed`.
 */

const CORPORATE_NUMBER_SHAPE = /^\d{13}$/;

/**
 * Checks a Japanese Corporate Number.
 *
 * @returns `valid` when the check digit is right, `invalid` when it is wrong, `malformed` for any other
 *   shape.
 */
export function checkJapanCorporateNumber(value: string): IdCheckResult {
  if (!CORPORATE_NUMBER_SHAPE.test(value)) {
    return malformed('a Japanese Corporate Number is 13 digits without separators');
  }
  const base = value.slice(1);
  if (/^0+$/.test(base)) {
    return malformed('a Japanese Corporate Number with a base number of all zeros is never assigned');
  }
  const expected = String(checkDigit(base));
  const actual = value.charAt(0);
  return actual === expected ? valid() : invalid(`the corporate number check digit is ${actual}, expected ${expected}`);
}

function checkDigit(base: string): number {
  const sum = [...base].reverse().reduce((total, digit, indexFromRight) => total + Number(digit) * (indexFromRight % 2 === 0 ? 1 : 2), 0);
  return 9 - (sum % 9);
}
