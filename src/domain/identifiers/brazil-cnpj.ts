import { invalid, malformed, valid } from './id-check-result.js';
import type { IdCheckResult } from './id-check-result.js';

/**
 * Brazilian CNPJ (Cadastro Nacional da Pessoa Jurídica), issued by the Receita Federal: 14 characters,
 * 8 for the company, 4 for the establishment (branch), 2 check digits. From July 2026 the first 12 may be
 * letters as well as digits (Instrução Normativa RFB nº 2.229 of 15 October 2024, Art. 3º-A); the check
 * digits stay digits.
 *
 * Check digits, mod 11 (same instrução, Art. 3º-B): each of the first 12 characters counts as its ASCII code
 * − 48 (so `0`-`9` are 0-9 and `A`-`Z` are 17-42); weights 5 4 3 2 9 8 7 6 5 4 3 2 give the first digit, and weights
 * 6 5 4 3 2 9 8 7 6 5 4 3 2 over those 12 plus the first digit give the second. Each digit is 0 when the
 * sum mod 11 is below 2, else 11 − (sum mod 11). `16727230000197` and `12ABC34501DE35` pass.
 *
 * Decisions:
 * - Only the bare 14 characters are accepted, in upper case. The memberId is the member's key, so it must
 *   be the canonical form; the printed form `16.727.230/0001-97` is `malformed`, with a reason that says how
 *   to write it.
 * - A CNPJ of 14 zeros passes the arithmetic but is never issued, so it is `malformed`. Other leading zeros
 *   are real (`00000000000191`).
 */

const CNPJ_SHAPE = /^[0-9A-Z]{12}\d{2}$/;
const PRINTED_CNPJ_SHAPE = /^[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}\/[0-9A-Z]{4}-\d{2}$/;
const FIRST_DIGIT_WEIGHTS = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const SECOND_DIGIT_WEIGHTS = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

/**
 * Checks a Brazilian CNPJ, numeric or alphanumeric.
 *
 * @returns `valid` when both check digits are right, `invalid` when either is wrong, `malformed` for any
 *   other shape, punctuated forms included.
 */
export function checkBrazilCnpj(value: string): IdCheckResult {
  if (PRINTED_CNPJ_SHAPE.test(value)) {
    return malformed(`write the CNPJ as its 14 bare characters (${value.replace(/[./-]/g, '')}), without the . / - punctuation`);
  }
  if (!CNPJ_SHAPE.test(value)) {
    return malformed('a CNPJ is 12 upper-case letters or digits followed by 2 check digits, 14 characters without punctuation');
  }
  if (/^0+$/.test(value)) {
    return malformed('a CNPJ of all zeros is a placeholder, never issued');
  }
  const base = value.slice(0, 12);
  const first = checkDigit(base, FIRST_DIGIT_WEIGHTS);
  const expected = `${first}${checkDigit(`${base}${first}`, SECOND_DIGIT_WEIGHTS)}`;
  const actual = value.slice(12);
  return actual === expected ? valid() : invalid(`the CNPJ check digits are ${actual}, expected ${expected}`);
}

function checkDigit(chars: string, weights: readonly number[]): number {
  const sum = weights.reduce((total, weight, index) => total + weight * (chars.charCodeAt(index) - 48), 0);
  const remainder = sum % 11;
  return remainder < 2 ? 0 : 11 - remainder;
}
