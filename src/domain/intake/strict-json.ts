/**
 * JSON parsing for text an attacker controls: `JSON.parse` plus the checks it cannot make.
 *
 * - Duplicate keys: `JSON.parse` keeps the last of `{"alg":"ES256","alg":"none"}` silently, while
 *   another parser (a partner's, an auditor's, jose's in a later version) may keep the first. Two readers
 *   of one signed document must never see two different documents, so a duplicate is refused.
 * - Nesting depth: a 200 MiB `[[[[...` would make `JSON.parse` build a hundred million nested arrays
 *   before any schema could refuse it. The depth is checked before anything is built.
 * - `__proto__` keys: harmless to `JSON.parse`, which makes them own properties, but a prototype setter
 *   for any later `Object.assign` or `obj[key] = value` copy. No member list or JWS needs one.
 *
 * The checks are one linear scan of the text that skips string contents with `indexOf` and tracks only
 * the keys of the open objects; `JSON.parse` then builds the value (and reports syntax errors). The scan
 * never recurses and stops at the first problem. On a 50,000-member list it adds about 30% (compact) to
 * 50% (indented) to the time of `JSON.parse` alone: `npx tsx bench/strict-json-cost.ts`.
 */

/** The deepest nesting accepted by default: a member list needs 5 levels, a JWS JSON serialization 4. */
export const MAX_JSON_DEPTH = 32;

export type StrictJsonProblem = 'syntax' | 'duplicate-key' | 'too-deep' | 'forbidden-key';

/** Why a text was refused, and where (a JSON Pointer, RFC 6901, to the offending member). */
export class StrictJsonError extends Error {
  constructor(
    readonly problem: StrictJsonProblem,
    readonly pointer: string,
    message: string,
  ) {
    super(message);
    this.name = 'StrictJsonError';
  }
}

export interface StrictJsonOptions {
  /** Deepest nesting of objects and arrays; the top-level value is depth 1. */
  maxDepth?: number;
}

/** Where a value lies in the JSON: `bytes.subarray(start, end)` (or `text.slice` of an ASCII text) is its exact source. */
export interface JsonSpan {
  start: number;
  end: number;
}

/**
 * The span of an array together with where its elements are separated: the positions of the commas
 * between its elements, in order. Element i is what lies between the opening bracket or comma i - 1
 * and comma i or the closing bracket (see arrayElements).
 */
export interface JsonArraySpan extends JsonSpan {
  /** In order; at most `maxCommas` of them (see checkJsonStructure), while `commaCount` counts them all. */
  commas: number[];
  commaCount: number;
}

/**
 * Parses `text` as JSON, refusing duplicate keys (compared after unescaping, so `"a"` and `"\u0061"`
 * collide), nesting deeper than `maxDepth`, and `__proto__` keys. Throws a StrictJsonError.
 */
export function parseStrictJson(text: string, options: StrictJsonOptions = {}): unknown {
  checkJsonStructure(Buffer.from(text, 'utf8'), options);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new StrictJsonError('syntax', '', error instanceof Error ? error.message : 'not JSON');
  }
}

/**
 * The checks of parseStrictJson without building the value: throws a StrictJsonError for a duplicate
 * key, excess depth or a `__proto__` key. The scan reads UTF-8 bytes (a string is encoded first), so
 * that a list's payload is checked where it lies, never copied into a string; every position it
 * reports is a byte offset. Syntax is left to JSON.parse; on text that is not JSON this
 * may report nothing.
 *
 * With `spanOf`, it also returns where the array or object under that key of the top-level object
 * lies (the key written without escapes), found in the same pass; undefined when there is none. For
 * an array, the span also has the positions of the commas between its elements, so that each element
 * can be parsed on its own (a list's members, one at a time). `maxCommas` bounds how many positions are
 * kept (a list over its size limit is refused on its count: 40 million one-character members must not
 * cost an array of 40 million positions).
 */
export function checkJsonStructure(
  json: string | Uint8Array,
  options: StrictJsonOptions & { spanOf?: string; maxCommas?: number } = {},
): JsonSpan | JsonArraySpan | undefined {
  const bytes = typeof json === 'string' ? Buffer.from(json, 'utf8') : Buffer.isBuffer(json) ? json : Buffer.from(json.buffer, json.byteOffset, json.length);
  const scan = new StructureScan(bytes, options.maxDepth ?? MAX_JSON_DEPTH, options.spanOf, options.maxCommas ?? Number.MAX_SAFE_INTEGER);
  scan.run();
  return scan.span;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const SPACE = 0x20;

const OTHER = 0;
const STRING = 1;
const OPEN = 2;
const CLOSE = 3;
const SEPARATOR = 4;
/** What each ASCII character means to the scan. */
const STRUCTURAL = new Uint8Array(128);
STRUCTURAL[QUOTE] = STRING;
STRUCTURAL[OPEN_OBJECT] = OPEN;
STRUCTURAL[OPEN_ARRAY] = OPEN;
STRUCTURAL[CLOSE_OBJECT] = CLOSE;
STRUCTURAL[CLOSE_ARRAY] = CLOSE;
STRUCTURAL[COMMA] = SEPARATOR;
const PROTO = '__proto__';
const PROTO_BYTES = Buffer.from(PROTO);

/** Keys of one object are tracked in a small hash table of this many slots (a power of two)... */
const SLOTS = 64;
/** ...until it has more keys than this, or a key with escapes: then in a Set of the decoded keys. */
const TABLE_KEY_LIMIT = 32;

/**
 * The structural pass. It assumes nothing about the text's validity: on malformed input it may stop
 * early or see odd structure, but anything it reports is a real reason to refuse, and JSON.parse
 * reports the rest. On well-formed JSON it reports exactly the duplicates, excess depth and
 * `__proto__` keys there are.
 *
 * Keys are not copied out of the text: each open object has a table of its keys' positions, hashed on
 * length and first and last character, so a new key is compared in place with at most a few others.
 * Member objects have a dozen keys without escapes; anything else (many keys, escapes) goes into a Set
 * of decoded keys, which stays linear for a hostile object too.
 */
class StructureScan {
  /** Per open container (index = depth): object or array, its current key's position or element index. */
  private readonly isObject: boolean[] = [false];
  private readonly currentKey: number[] = [0];
  private readonly currentIndex: number[] = [0];
  /** Per open object: a stamp that marks its slots as used, its key count, its Set once it has one. */
  private readonly stamp: number[] = [0];
  private readonly keyCount: number[] = [0];
  private readonly keySets: (Set<string> | undefined)[] = [undefined];
  /** SLOTS slots per depth: the stamp of the object using the slot, and its key's start and end quotes. */
  private readonly slotStamp: Int32Array;
  private readonly slotStart: Int32Array;
  private readonly slotEnd: Int32Array;
  private stamps = 0;
  private depth = 0;
  private nextBackslash: number;
  /** spanOf: whether the current top-level key is the one wanted, and where its container opened. */
  private atSpanKey = false;
  private spanStart = -1;
  private spanCommas: number[] | undefined;
  private spanCommaCount = 0;
  span: JsonSpan | JsonArraySpan | undefined;

  private readonly spanKey: Buffer | undefined;

  constructor(
    private readonly text: Buffer,
    private readonly maxDepth: number,
    spanOf?: string,
    private readonly maxCommas = Number.MAX_SAFE_INTEGER,
  ) {
    this.spanKey = spanOf === undefined ? undefined : Buffer.from(spanOf);
    this.nextBackslash = text.indexOf(BACKSLASH);
    if (!Number.isInteger(maxDepth) || maxDepth < 1 || maxDepth > 1024) throw new RangeError('maxDepth is a whole number in 1..1024');
    const slots = SLOTS * (maxDepth + 1);
    this.slotStamp = new Int32Array(slots);
    this.slotStart = new Int32Array(slots);
    this.slotEnd = new Int32Array(slots);
  }

  run(): void {
    const text = this.text;
    const length = text.length;
    let expectingKey = false;
    for (let i = 0; i < length; i++) {
      const c = text[i]!;
      // Most characters outside strings are indentation, colons, digits and literals.
      if (c === SPACE) continue;
      const kind = c < 128 ? STRUCTURAL[c]! : OTHER;
      if (kind === OTHER) continue;
      if (kind === STRING) {
        const end = this.closingQuote(i);
        if (end < 0) return; // unterminated string: a syntax error JSON.parse reports
        if (expectingKey) {
          expectingKey = false;
          this.addKey(i, end);
          if (this.depth === 1 && this.spanKey !== undefined) this.atSpanKey = this.rawEquals(i, end, this.spanKey);
        } else if (this.depth === 1) {
          this.atSpanKey = false; // a string value
        }
        i = end;
      } else if (kind === OPEN) {
        const depth = ++this.depth;
        if (depth > this.maxDepth) {
          throw new StrictJsonError('too-deep', this.pointer(depth - 1), `nesting deeper than ${this.maxDepth} levels`);
        }
        if (depth === 2 && this.atSpanKey && this.span === undefined) {
          this.spanStart = i;
          this.spanCommas = c === OPEN_ARRAY ? [] : undefined;
        }
        const object = c === OPEN_OBJECT;
        this.isObject[depth] = object;
        this.currentIndex[depth] = 0;
        if (object) {
          this.currentKey[depth] = -1;
          this.stamp[depth] = ++this.stamps;
          this.keyCount[depth] = 0;
          this.keySets[depth] = undefined;
        }
        expectingKey = object;
      } else if (kind === CLOSE) {
        if (this.depth === 0) return; // unbalanced: JSON.parse reports it
        if (this.depth === 2 && this.spanStart >= 0 && this.span === undefined) {
          const span = { start: this.spanStart, end: i + 1 };
          this.span = this.spanCommas ? { ...span, commas: this.spanCommas, commaCount: this.spanCommaCount } : span;
        }
        this.depth--;
        expectingKey = false;
      } else if (this.isObject[this.depth]) {
        if (this.depth === 1) this.atSpanKey = false;
        expectingKey = true; // a comma in an object: a key follows
      } else {
        this.currentIndex[this.depth]!++;
        if (this.depth === 2 && this.spanCommas && this.spanStart >= 0 && this.span === undefined && this.spanCommaCount++ < this.maxCommas) this.spanCommas.push(i);
      }
    }
  }

  /** Position of the quote that closes the string opening at `start`, or -1. */
  private closingQuote(start: number): number {
    const text = this.text;
    // Bytes of a multi-byte UTF-8 sequence are all 0x80 and above: a quote or backslash byte is one.
    let end = text.indexOf(QUOTE, start + 1);
    if (end < 0) return -1;
    if (!this.hasEscapes(start, end)) return end;
    while (text[end - 1] === BACKSLASH) {
      // The quote is escaped when an odd number of backslashes precede it.
      let backslashes = 1;
      while (text[end - 1 - backslashes] === BACKSLASH) backslashes++;
      if (backslashes % 2 === 0) break;
      end = text.indexOf(QUOTE, end + 1);
      if (end < 0) return -1;
    }
    return end;
  }

  /**
   * Whether a backslash lies between `start` and `end`. The cache holds the first backslash from some
   * point at or before `start` on, so the searches for backslashes cover the text about once overall.
   */
  private hasEscapes(start: number, end: number): boolean {
    if (this.nextBackslash >= 0 && this.nextBackslash < start) this.nextBackslash = this.text.indexOf(BACKSLASH, start);
    return this.nextBackslash >= 0 && this.nextBackslash < end;
  }

  private addKey(start: number, end: number): void {
    const depth = this.depth;
    this.currentKey[depth] = start;
    let set = this.keySets[depth];
    if (!set && (this.hasEscapes(start, end) || this.keyCount[depth]! >= TABLE_KEY_LIMIT)) set = this.moveKeysToSet(depth);
    if (set) {
      const key = this.key(start, end);
      if (set.has(key)) this.refuseDuplicate(key);
      if (key === PROTO) this.refuseProto();
      set.add(key);
      return;
    }
    const text = this.text;
    const length = end - start;
    if (this.rawEquals(start, end, PROTO_BYTES)) this.refuseProto();
    const stamp = this.stamp[depth]!;
    const base = depth * SLOTS;
    let slot = (length * 7 + text[start + 1]! * 31 + text[end - 1]!) & (SLOTS - 1);
    while (this.slotStamp[base + slot] === stamp) {
      const other = this.slotStart[base + slot]!;
      if (this.slotEnd[base + slot]! - other === length && this.sameRaw(other, start, length)) this.refuseDuplicate(this.key(start, end));
      slot = (slot + 1) & (SLOTS - 1);
    }
    this.slotStamp[base + slot] = stamp;
    this.slotStart[base + slot] = start;
    this.slotEnd[base + slot] = end;
    this.keyCount[depth]!++;
  }

  /** The keys of the object at `depth` so far, decoded, in a Set that holds its keys from now on. */
  private moveKeysToSet(depth: number): Set<string> {
    const set = new Set<string>();
    const stamp = this.stamp[depth]!;
    for (let slot = depth * SLOTS; slot < (depth + 1) * SLOTS; slot++) {
      if (this.slotStamp[slot] === stamp) set.add(this.key(this.slotStart[slot]!, this.slotEnd[slot]!));
    }
    this.keySets[depth] = set;
    return set;
  }

  private refuseDuplicate(key: string): never {
    throw new StrictJsonError('duplicate-key', this.pointer(this.depth, key), `duplicate key "${shorten(key)}"`);
  }

  private refuseProto(): never {
    throw new StrictJsonError('forbidden-key', this.pointer(this.depth, PROTO), `the key "${PROTO}" is not accepted`);
  }

  /** Whether the raw bytes after two opening quotes are equal for `length` bytes. */
  private sameRaw(a: number, b: number, length: number): boolean {
    const text = this.text;
    for (let j = 1; j < length; j++) if (text[a + j] !== text[b + j]) return false;
    return true;
  }

  /** Whether the string whose quotes are at `start` and `end` is written exactly as `raw`. */
  private rawEquals(start: number, end: number, raw: Buffer): boolean {
    return end - start - 1 === raw.length && this.text.compare(raw, 0, raw.length, start + 1, end) === 0;
  }

  /** A key as JSON.parse sees it: escapes resolved. */
  private key(start: number, end: number): string {
    const raw = this.text.toString('utf8', start + 1, end);
    if (!raw.includes('\\')) return raw;
    try {
      return JSON.parse(this.text.toString('utf8', start, end + 1)) as string;
    } catch {
      return raw; // a bad escape: JSON.parse refuses the whole text afterwards
    }
  }

  /** JSON Pointer to the current member of the container at `depth`, or to its key `last` when given. */
  private pointer(depth: number, last?: string): string {
    const tokens: string[] = [];
    for (let d = 1; d <= depth; d++) {
      if (d === depth && last !== undefined) tokens.push(last);
      else if (!this.isObject[d]) tokens.push(String(this.currentIndex[d]));
      else tokens.push(this.currentKey[d]! < 0 ? '' : this.key(this.currentKey[d]!, this.closingQuote(this.currentKey[d]!)));
    }
    return tokens.map((token) => `/${shorten(token).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  }
}

/** Keys may be megabytes long; problem documents quote at most the start of one. */
function shorten(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
}
