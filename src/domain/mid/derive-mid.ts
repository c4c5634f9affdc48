/**
 * CBP Manufacturer Identification Codes (MID): building a candidate from a member's name and address, and
 * judging the shape of a MID a partner sends.
 *
 * The rules are CBP's (19 CFR Part 102, Appendix, "Rules for Constructing the Manufacturer Identification
 * Code"; the same text is in the CBP Form 7501 instructions). A MID is at most 15 upper-case letters and
 * digits, no spaces, in four parts:
 * 1. country: the ISO 3166-1 alpha-2 code, except that Canada is never `CA` but a province code (XA, XC, ...);
 * 2. name: the first three characters of each of the first two words of the name (of one word, its first
 *    three); the English words a, an, and, of, the are ignored, and so is punctuation; initials written
 *    together are one word (`A.B.C. Company` and `A B C Company` give `ABCCOM`); a hyphenated name is one
 *    word (`Rawles-Aden Corp.` and `Rawles - Aden Corp.` give `RAWCOR`); digits count (`20th Century Fox`
 *    gives `20TCEN`);
 * 3. street number: the first four digits of the largest number on the street address line, where commas
 *    and hyphens inside a number are ignored (`12-34 56 Akasaka Road` gives `1234`); no number, no part;
 * 4. city: its first three letters (`St. Michael` gives `STM`).
 *
 * Decisions on the corners the rules leave open (each is tested):
 * - Letters outside A-Z are transliterated: Unicode NFKD, then the combining marks are dropped (`Müller` ->
 *   `MULLER`, `Société` -> `SOCIETE`, full-width digits -> ASCII digits), and the few Latin letters that do
 *   not decompose are spelled out (ß -> SS, Æ -> AE, Œ -> OE, Ø -> O, Ł -> L, Đ/Ð -> D, Þ -> TH). Anything
 *   still not A-Z or 0-9 (other scripts, symbols) is dropped.
 * - Words are separated by white space only; punctuation inside a word is removed, so `O'Neil` is one word,
 *   as is `AT&T`. Only the ASCII hyphen joins words; a lone `&` is dropped.
 * - Initials are single letters: a run of two or more one-letter words is one word. One-letter digits are
 *   ordinary words. A lone `A` is the article and is ignored, unless written as an initial with a period
 *   (`A. Smith Trading` gives `ASMI`, `A Smith Trading` gives `SMITRA`).
 * - Company-form words (Co., Corp., Ltd, Inc.) are not ignored: CBP's own examples keep them (`RAWCOR`).
 * - The street address line is the first line that contains a digit, else the first line: partners put the
 *   street first, and a later line with a number (suite, building) would only be chosen when the street has
 *   none.
 * - Numbers in that line: runs of digits, joined across a single comma or hyphen between two digits
 *   (`12,34,56` -> `123456`; in `2-6, 8-Chome` the comma is followed by a space, so the numbers are 26 and
 *   8, giving `26`). A period or slash separates numbers. An ordinal (`12th`, `1st`) names the street and is
 *   skipped (`7 12th Street` gives `7`), following the trade guides (e.g. FedEx's MID guide). The largest
 *   is chosen by value, leading zeros dropped.
 * - City: the first three letters A-Z after transliteration; digits, spaces and punctuation are skipped. A
 *   city with fewer letters gives fewer.
 * - Canada: `address.region` holds the two-letter postal abbreviation (AB, BC, ..., YT), as the member-list
 *   schema requires for Canadian addresses; it is trimmed and upper-cased.
 */

/** What a MID is built from: the member's legal name and address, as the partner sent them. */
export interface MidSource {
  legalName: string;
  address: { lines: readonly string[]; city: string; country: string; region?: string };
}

/**
 * Builds the MID candidate CBP's rules give for a manufacturer's name and address. It is a candidate only:
 * the manufacturer's MID on file with CBP may have been built from another spelling.
 *
 * @returns the MID, or `undefined` when none can be built: the country is not an ISO 3166-1 alpha-2 code;
 *   the country is Canada and the region is missing or not a province or territory code; the name has no
 *   word left after dropping the ignored words and characters outside A-Z 0-9 (e.g. a name written only in
 *   another script); or the city has no letter A-Z.
 */
export function deriveMid(source: MidSource): string | undefined {
  const country = countryPart(source.address.country, source.address.region);
  const name = namePart(source.legalName);
  const city = cityPart(source.address.city);
  if (country === undefined || name === '' || city === '') return undefined;
  return `${country}${name}${streetNumberPart(source.address.lines)}${city}`;
}

/**
 * Judges whether a partner-supplied MID has a possible shape: 3 to 15 upper-case letters A-Z or digits, no
 * spaces, starting with an ISO 3166-1 alpha-2 country code other than `CA`, or with a Canadian province code.
 * The rest is not parsed: names may hold digits (`CON200`) and the street number is optional, so the name,
 * number and city parts cannot be told apart reliably, and a MID that CBP's systems accepted must not make
 * the gateway reject a whole list.
 */
export function isPlausibleMid(value: string): boolean {
  if (!/^[A-Z0-9]{3,15}$/.test(value)) return false;
  const country = value.slice(0, 2);
  return CANADIAN_PROVINCE_CODES.has(country) || (country !== 'CA' && ISO_COUNTRY_CODES.has(country));
}

const CANADIAN_PROVINCE_CODES: ReadonlySet<string> = new Set(['XA', 'XC', 'XM', 'XB', 'XW', 'XT', 'XN', 'XV', 'XO', 'XP', 'XQ', 'XS', 'XY']);

const PROVINCE_CODE_BY_POSTAL_ABBREVIATION: ReadonlyMap<string, string> = new Map([
  ['AB', 'XA'], ['BC', 'XC'], ['MB', 'XM'], ['NB', 'XB'], ['NL', 'XW'], ['NT', 'XT'], ['NS', 'XN'],
  ['NU', 'XV'], ['ON', 'XO'], ['PE', 'XP'], ['QC', 'XQ'], ['SK', 'XS'], ['YT', 'XY'],
]);

/** ISO 3166-1 alpha-2, officially assigned codes (249). `UK` and `EU` are reserved, not assigned. */
const ISO_COUNTRY_CODES: ReadonlySet<string> = new Set(
  `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
   CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
   GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP
   KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT
   MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
   SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
   UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`.split(/\s+/),
);

const IGNORED_WORDS: ReadonlySet<string> = new Set(['A', 'AN', 'AND', 'OF', 'THE']);

const SPELLED_OUT_LETTERS: ReadonlyMap<string, string> = new Map([
  ['ẞ', 'SS'], ['Æ', 'AE'], ['Œ', 'OE'], ['Ø', 'O'], ['Ł', 'L'], ['Đ', 'D'], ['Ð', 'D'], ['Þ', 'TH'],
]);

function countryPart(country: string, region: string | undefined): string | undefined {
  const code = country.trim().toUpperCase();
  if (code === 'CA') return PROVINCE_CODE_BY_POSTAL_ABBREVIATION.get(region?.trim().toUpperCase() ?? '');
  return ISO_COUNTRY_CODES.has(code) ? code : undefined;
}

function namePart(legalName: string): string {
  return nameWords(legalName)
    .slice(0, 2)
    .map((word) => word.slice(0, 3))
    .join('');
}

interface NameToken {
  /** As written, upper-cased: keeps the period that marks an initial. */
  written: string;
  /** Letters and digits only. */
  word: string;
}

function nameWords(legalName: string): string[] {
  const tokens: NameToken[] = toLatinUpperCase(legalName)
    .replace(/\s*-\s*/g, '-')
    .split(/\s+/)
    .map((written) => ({ written, word: written.replace(/[^A-Z0-9]/g, '') }))
    .filter(({ word }) => word !== '');

  const words: string[] = [];
  let initials: NameToken[] = [];
  const closeInitials = (): void => {
    const [only] = initials;
    if (initials.length > 1) words.push(initials.map(({ word }) => word).join(''));
    else if (only !== undefined && !isIgnoredWord(only)) words.push(only.word);
    initials = [];
  };
  for (const token of tokens) {
    if (/^[A-Z]$/.test(token.word)) {
      initials.push(token);
      continue;
    }
    closeInitials();
    if (!isIgnoredWord(token)) words.push(token.word);
  }
  closeInitials();
  return words;
}

/** "A." is an initial, not the article. */
function isIgnoredWord({ written, word }: NameToken): boolean {
  return IGNORED_WORDS.has(word) && !(word === 'A' && written.includes('.'));
}

function streetNumberPart(lines: readonly string[]): string {
  const latinLines = lines.map(toLatinUpperCase);
  const streetLine = latinLines.find((line) => /\d/.test(line)) ?? latinLines[0] ?? '';
  let largest = '';
  for (const match of streetLine.matchAll(/\d+(?:[,-]\d+)*/g)) {
    const followedBy = streetLine.slice(match.index + match[0].length);
    if (/^(?:ST|ND|RD|TH)(?![A-Z])/.test(followedBy)) continue;
    const number = match[0].replace(/[,-]/g, '').replace(/^0+(?=\d)/, '');
    if (isLarger(number, largest)) largest = number;
  }
  return largest.slice(0, 4);
}

/** Compares digit strings without leading zeros by value, which may exceed Number's precision. */
function isLarger(number: string, than: string): boolean {
  return number.length !== than.length ? number.length > than.length : number > than;
}

function cityPart(city: string): string {
  return toLatinUpperCase(city).replace(/[^A-Z]/g, '').slice(0, 3);
}

function toLatinUpperCase(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[ẞÆŒØŁĐÐÞ]/g, (letter) => SPELLED_OUT_LETTERS.get(letter) ?? letter);
}
