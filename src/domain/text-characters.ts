/**
 * The characters free text may not contain, wherever the gateway takes text that it stores and shows
 * again: names and address text in member lists (schemas/member-list.v1.json, $defs/boundedText, with
 * the same class in its pattern), the reason of an admin change, the `sub` and `jti` of an admin token, the `kid` of a key.
 *
 * - unpaired surrogates (a JSON escape such as \ud800 without its partner): not well-formed Unicode,
 *   which strict consumers (PostgreSQL jsonb, many JSON parsers) refuse;
 * - control characters, C0 (U+0000-U+001F), DEL and C1 (U+007F-U+009F), and the line and paragraph
 *   separators U+2028 and U+2029: they break lines and fields in logs and exports;
 * - bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they can make text
 *   display in another order than it is stored in.
 *
 * Text with one of them is refused, never cleaned: the sender fixes it. Under the u flag a class of
 * surrogates matches only unpaired ones; a valid pair is one code point above U+FFFF.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const REFUSED = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;

/** The first character of a text that is refused, and where it is. */
export interface RefusedCharacter {
  /** `U+202E` */
  codePoint: string;
  /** 1-based, counted in code points as JSON Schema's maxLength counts them. */
  position: number;
  kind: 'an unpaired surrogate' | 'a control character' | 'a line or paragraph separator' | 'a bidirectional formatting character';
}

export function refusedCharacter(text: string): RefusedCharacter | undefined {
  const match = REFUSED.exec(text);
  if (!match) return undefined;
  const code = match[0].codePointAt(0)!;
  return {
    codePoint: `U+${code.toString(16).toUpperCase().padStart(4, '0')}`,
    position: [...text.slice(0, match.index)].length + 1,
    kind: kindOf(code),
  };
}

/** True when `text` has none of the refused characters. */
export function isAcceptableText(text: string): boolean {
  return !REFUSED.test(text);
}

/** What a problem document says about a refused character, e.g. for the detail of a JSON Pointer. */
export function describeRefusedCharacter(found: RefusedCharacter): string {
  return (
    `has ${found.codePoint}, ${found.kind}, at character ${found.position}: text must be well-formed Unicode ` +
    'without control characters, line or paragraph separators or bidirectional formatting characters'
  );
}

function kindOf(code: number): RefusedCharacter['kind'] {
  if (code >= 0xd800 && code <= 0xdfff) return 'an unpaired surrogate';
  if (code === 0x2028 || code === 0x2029) return 'a line or paragraph separator';
  if (code >= 0x2000) return 'a bidirectional formatting character';
  return 'a control character';
}
