import { invalid, malformed, valid } from './id-check-result.js';
import type { IdCheckResult } from './id-check-result.js';

/**
 * Canadian Business Number (BN), issued by the Canada Revenue Agency: 9 digits whose last digit is a Luhn
 * check digit, optionally followed by a program account of 2 letters and 4 digits (`123026635RC0001`).
 *
 * Decisions:
 * - The program identifier is any two upper-case letters. The CRA's list (RC, RM, RP, RT, ...) is the
 *   CRA's to extend, and an unknown program must not make the gateway reject a whole member list.
 * - A 9-digit number of all zeros passes Luhn but is never issued, so it is `malformed`.
 * - The check covers the 9-digit BN only; the program account has no check digit.
 *
 * Source: Luhn on the 9 digits as in python-stdnum `stdnum/ca/bn.py`, whose tests list real program
 * accounts such as `123026635RC0001` and `000089987RC1818`.
 */

const BN_SHAPE = /^(\d{9})(?:[A-Z]{2}\d{4})?$/;

/**
 * Checks a Canadian BN or BN with program account.
 *
 * @returns `valid` when the Luhn check holds, `invalid` when it does not, `malformed` for any other shape.
 */
export function checkCanadaBn(value: string): IdCheckResult {
  const bn = BN_SHAPE.exec(value)?.[1];
  if (bn === undefined) {
    return malformed('a Canadian BN is 9 digits, optionally followed by a program account of 2 upper-case letters and 4 digits (123026635RC0001)');
  }
  if (/^0+$/.test(bn)) {
    return malformed('a Canadian BN of all zeros is a placeholder, never issued');
  }
  return passesLuhn(bn) ? valid() : invalid(`the Luhn check digit of BN ${bn} is wrong`);
}

function passesLuhn(digits: string): boolean {
  let sum = 0;
  [...digits].reverse().forEach((char, indexFromRight) => {
    const digit = Number(char);
    const doubled = indexFromRight % 2 === 1 ? digit * 2 : digit;
    sum += doubled > 9 ? doubled - 9 : doubled;
  });
  return sum % 10 === 0;
}
