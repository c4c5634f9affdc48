import { invalid, malformed, valid } from './id-check-result.js';
import type { IdCheckResult } from './id-check-result.js';

/**
 * Mexican RFC (Registro Federal de Contribuyentes), issued by the SAT:
 * - company (persona moral): 12 characters, 3 letters from the name + YYMMDD of incorporation + 3-character
 *   homoclave;
 * - person (persona física): 13 characters, 4 letters + YYMMDD of birth + homoclave.
 * The letters are A-Z, `&` and `Ñ`; the homoclave is A-Z or 0-9, and its last character is a check character
 * computed over the 12 characters before it.
 *
 * Check character (SAT, "Algoritmo para generar el RFC con homoclave para personas físicas y morales",
 * released through INFOMEX request 0610100135506, 2006, Annex 3; reproduced at
 * https://solucionfactible.com/sfic/capitulos/timbrado/rfc-digito-verificador.jsp and implemented in
 * python-stdnum `stdnum/mx/rfc.py`):
 * 1. give each character its Annex 3 value: `0`-`9` = 0-9, `A`-`N` = 10-23, `&` = 24, `O`-`Z` = 25-36,
 *    space = 37, `Ñ` = 38; a company RFC is padded with one leading space to 12 characters;
 * 2. sum value × weight, the weights running 13 down to 2 from left to right;
 * 3. remainder = sum mod 11: 0 gives `0`, otherwise 11 − remainder, where 10 is written `A`.
 * SAT's worked example: `GODE561231GR` sums to 1026, remainder 3, check `8`, so `GODE561231GR8`.
 *
 * Decisions:
 * - A wrong check character is `invalid` (a warning): about 1.5% of RFCs in real use fail it (python-stdnum
 *   lists some confirmed on SAT's portal, e.g. `SIN9311169P8`). A homoclave ending in a letter other than
 *   `A` can never pass, and is `invalid` too, not `malformed`: it is still an RFC the SAT may have issued.
 * - The date must exist. The century is not in the RFC, so leap years are judged as 20YY: `000229` is
 *   accepted (2000 was a leap year), as real RFCs such as `CGB000229SW0` need.
 * - The 4-letter words the SAT replaces in personal RFCs (its "palabras inconvenientes") are not checked.
 * - A personal RFC without homoclave (10 characters) is `malformed`: it does not identify one taxpayer.
 * - `Ñ` must be the single precomposed character U+00D1 (Unicode NFC), as the SAT prints it.
 */

const RFC_SHAPE = /^[A-Z&Ñ]{3,4}\d{6}[A-Z0-9]{3}$/;

/** Annex 3 values are the indexes in this string. */
const ANNEX_3_VALUES = '0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ';

/**
 * Checks a Mexican RFC of a company (12 characters) or a person (13 characters).
 *
 * @returns `valid` when the check character is right, `invalid` when it is wrong, `malformed` when the
 *   value is not an RFC (wrong length, characters or date).
 */
export function checkMexicoRfc(value: string): IdCheckResult {
  if (!RFC_SHAPE.test(value)) {
    return malformed('an RFC is 3 (company) or 4 (person) letters of A-Z, & or Ñ, then YYMMDD, then a 3-character homoclave of A-Z or 0-9, in upper case without separators');
  }
  const date = value.slice(-9, -3);
  if (!isRealDate(date)) {
    return malformed(`the date ${date} in the RFC does not exist`);
  }
  const expected = rfcCheckCharacter(value.slice(0, -1));
  const actual = value.slice(-1);
  return actual === expected ? valid() : invalid(`the RFC check character is ${actual}, expected ${expected}`);
}

function rfcCheckCharacter(withoutCheck: string): string {
  const padded = withoutCheck.padStart(12, ' ');
  let sum = 0;
  [...padded].forEach((char, index) => {
    sum += ANNEX_3_VALUES.indexOf(char) * (13 - index);
  });
  const remainder = sum % 11;
  if (remainder === 0) return '0';
  return remainder === 1 ? 'A' : String(11 - remainder);
}

function isRealDate(yymmdd: string): boolean {
  const year = 2000 + Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
