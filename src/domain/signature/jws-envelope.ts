import { GatewayError } from '../gateway-error.js';
import { parseStrictJson, StrictJsonError } from '../intake/strict-json.js';

/** One signature of a JWS in flattened form, as jose verifies it. */
export interface FlattenedSignature {
  protected: string;
  header?: Record<string, unknown>;
  /**
   * The payload's base64url text as the body holds it: ASCII bytes, a view into the body, not a copy
   * (a list at the size limit is over 100 MB of it).
   */
  payload: Buffer;
  signature: string;
  /** The signing input `protected.payload` where the body holds it in one piece (the compact form): a view. */
  signingInput?: Buffer;
}

export type JwsSerialization = 'compact' | 'json';

/**
 * How many bytes of a JWS may lie outside its payload: the protected headers, the signatures, an
 * unprotected header, whitespace, and members RFC 7515 says to ignore. Eight signatures with large RSA
 * headers need a few kilobytes; everything beyond this is refused before anything is parsed.
 */
export const MAX_ENVELOPE_BYTES = 64 * 1024;

/**
 * Counts what reading an envelope cost, for tests that show a hostile body is refused without being
 * parsed: bytes looked at outside the payload, and characters handed to a JSON parser.
 */
export interface EnvelopeWork {
  scannedBytes: number;
  parsedChars: number;
}

const base64url = /^[A-Za-z0-9_-]+$/;
const DOT = 0x2e;

/**
 * Splits a request body into its signatures. The compact form has exactly one; the JSON form is either
 * flattened (one) or general (one or more, all over the same payload). Structure is checked here so
 * that later steps can trust it: every part present, every part strict base64url.
 *
 * The body is unauthenticated, and may be as large as the body limit: only the payload may be large
 * (MAX_ENVELOPE_BYTES for everything else), and the payload itself is only located and checked to be
 * base64url, never parsed. So the work done here is one pass over the body and a JSON parse of at most
 * MAX_ENVELOPE_BYTES, whatever the body holds.
 */
export function parseJwsEnvelope(body: Buffer, serialization: JwsSerialization, work?: EnvelopeWork): FlattenedSignature[] {
  return serialization === 'compact' ? [parseCompact(body)] : parseJson(body, work ?? { scannedBytes: 0, parsedChars: 0 });
}

/**
 * The compact form, read in place: the body is never copied into a string (at the size limit that
 * would be another 100 MB and more); only the header and signature, at most MAX_ENVELOPE_BYTES, are.
 */
function parseCompact(body: Buffer): FlattenedSignature {
  let start = 0;
  let end = body.length;
  // What String#trim would remove from the body read as latin1 (which maps bytes 1:1).
  while (start < end && isTrimmed(body[start]!)) start++;
  while (end > start && isTrimmed(body[end - 1]!)) end--;
  const first = body.indexOf(DOT, start);
  const second = first < 0 || first >= end ? -1 : body.indexOf(DOT, first + 1);
  const third = second < 0 || second >= end ? -1 : body.indexOf(DOT, second + 1);
  const threeParts = first > start && second > first + 1 && second < end - 1 && (third < 0 || third >= end);
  const form = 'the compact form is three non-empty base64url parts separated by dots';
  if (!threeParts) throw malformed(form);
  if (first - start + (end - second - 1) > MAX_ENVELOPE_BYTES) throw malformed(`the protected header and signature exceed ${MAX_ENVELOPE_BYTES} bytes`);
  const protectedHeader = body.toString('latin1', start, first);
  const payload = body.subarray(first + 1, second);
  const signature = body.toString('latin1', second + 1, end);
  if (!base64url.test(protectedHeader) || !base64url.test(signature) || !isBase64urlText(payload)) throw malformed(form);
  for (const [name, part] of [['protected header', protectedHeader], ['payload', payload], ['signature', signature]] as const) {
    if (!isCanonicalBase64url(part)) throw malformed(`the ${name} is not canonical base64url`);
  }
  return { protected: protectedHeader, payload, signature, signingInput: body.subarray(start, second) };
}

/** Tab, line feed, vertical tab, form feed, carriage return, space and no-break space: JavaScript white space in latin1. */
function isTrimmed(byte: number): boolean {
  return (byte >= 0x09 && byte <= 0x0d) || byte === 0x20 || byte === 0xa0;
}

/** Characters checked at a time: each slice is read as a string of its own, never the whole text. */
const CHECK_SLICE = 256 * 1024;

/** Whether bytes are non-empty base64url text (without padding), checked a slice at a time. */
function isBase64urlText(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  for (let i = 0; i < bytes.length; i += CHECK_SLICE) {
    if (!base64url.test(bytes.toString('latin1', i, Math.min(i + CHECK_SLICE, bytes.length)))) return false;
  }
  return true;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON serialization: the top-level "payload" is located by a scan that skips the other members
 * without building them and gives up past MAX_ENVELOPE_BYTES; the body with the payload's value cut
 * out (an empty string in its place) is then read strictly, like every JSON the gateway reads. The cut
 * replaces one string token with another, so the text read is valid JSON exactly when the body is, and
 * the empty "payload" it yields proves the scan found the member a JSON parser sees.
 */
function parseJson(body: Buffer, work: EnvelopeWork): FlattenedSignature[] {
  const span = locatePayload(body, work);
  if (!span && work.scannedBytes > MAX_ENVELOPE_BYTES) throw malformed(`more than ${MAX_ENVELOPE_BYTES} bytes lie outside the payload`);
  if (!span) throw malformed('a JWS JSON serialization is an object with a "payload" string');
  const outside = body.length - (span.end - span.start);
  if (outside > MAX_ENVELOPE_BYTES) throw malformed(`${outside} bytes lie outside the payload; at most ${MAX_ENVELOPE_BYTES} are accepted`);
  const payload = body.subarray(span.start + 1, span.end - 1);
  if (!isBase64urlText(payload) || !isCanonicalBase64url(payload)) throw malformed('"payload" is a non-empty canonical base64url string');
  let rest: string;
  try {
    rest = strictUtf8.decode(Buffer.concat([body.subarray(0, span.start), Buffer.from('""'), body.subarray(span.end)]));
  } catch {
    throw malformed('the body is not UTF-8');
  }
  let parsed: unknown;
  try {
    work.parsedChars += rest.length;
    // Strict: a duplicate "payload" or "signature" would let two JSON readers see two messages.
    parsed = parseStrictJson(rest);
  } catch (error) {
    if (error instanceof StrictJsonError && error.problem !== 'syntax') throw malformed(`the body is not acceptable JSON (${error.message} at "${error.pointer}")`);
    throw malformed('the body is not JSON');
  }
  if (!isObject(parsed) || parsed.payload !== '') throw malformed('a JWS JSON serialization is an object with a "payload" string');
  if ('signatures' in parsed) {
    if ('signature' in parsed || 'protected' in parsed || 'header' in parsed) {
      throw malformed('a general JWS keeps its signatures in "signatures" only');
    }
    const signatures = parsed.signatures;
    if (!Array.isArray(signatures) || signatures.length === 0) throw malformed('"signatures" is a non-empty array');
    if (signatures.length > 8) throw malformed('at most 8 signatures are accepted');
    return signatures.map((entry: unknown, i) => {
      if (!isObject(entry)) throw malformed(`signatures[${i}] is an object`);
      return signatureOf(entry, payload, `signatures[${i}].`);
    });
  }
  return [signatureOf(parsed, payload, '')];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const PAYLOAD_KEY = Buffer.from('"payload"');

/**
 * Where the value of the top-level "payload" member lies (its quotes included), or undefined. Other
 * members are skipped by counting brackets outside strings. Until the payload is found nothing may
 * lie beyond MAX_ENVELOPE_BYTES, so no search looks further (a hostile body full of `{}` or one long
 * string costs that much); once found, what follows it is outside it too, and its length alone
 * decides. It assumes nothing about the body's validity: on malformed JSON it may find nothing or a
 * wrong span, and the strict parse that follows refuses the body either way.
 */
function locatePayload(body: Buffer, work: EnvelopeWork): { start: number; end: number } | undefined {
  let scan = new Scan(body.subarray(0, MAX_ENVELOPE_BYTES + 1));
  let i = scan.skipWhitespace(0);
  if (body[i] !== OPEN_OBJECT) return undefined;
  i = scan.skipWhitespace(i + 1);
  let found: { start: number; end: number } | undefined;
  let beforePayload = 0;
  try {
    while (scan.at(i) === QUOTE) {
      const keyEnd = scan.stringEnd(i);
      if (keyEnd < 0) break;
      const isPayload = keyEnd + 1 - i === PAYLOAD_KEY.length && body.compare(PAYLOAD_KEY, 0, PAYLOAD_KEY.length, i, keyEnd + 1) === 0;
      i = scan.skipWhitespace(keyEnd + 1);
      if (scan.at(i) !== COLON) break;
      i = scan.skipWhitespace(i + 1);
      if (isPayload && found === undefined && scan.at(i) === QUOTE) {
        // A base64url payload has no escapes: the next quote ends it (if not, it fails base64url).
        const end = body.indexOf(QUOTE, i + 1);
        if (end < 0) break;
        found = { start: i, end: end + 1 };
        beforePayload = i;
        if (body.length - (found.end - found.start) > MAX_ENVELOPE_BYTES) break;
        scan = new Scan(body);
        scan.furthest = found.end;
        i = found.end;
      } else {
        i = scan.skipValue(i);
        if (i < 0) break;
      }
      i = scan.skipWhitespace(i);
      if (scan.at(i) !== COMMA) break;
      i = scan.skipWhitespace(i + 1);
    }
  } finally {
    work.scannedBytes += found ? beforePayload + Math.max(0, scan.furthest - found.end) : Math.min(scan.furthest, body.length);
  }
  return found;
}

/** Byte-level JSON skipping within `text`; `furthest` is how far it has looked. */
class Scan {
  furthest = 0;

  constructor(private readonly text: Buffer) {}

  at(i: number): number | undefined {
    if (i >= this.furthest) this.furthest = i + 1;
    return this.text[i];
  }

  /** The position just after the value starting at `start`, or -1 when the text ends first. */
  skipValue(start: number): number {
    const text = this.text;
    let depth = 0;
    let i = start;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (c === QUOTE) {
        i = this.stringEnd(i);
        if (i < 0) return -1;
        if (depth === 0) return i + 1;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        depth++;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (depth === 0) break; // the enclosing object ends: a scalar or nothing was skipped
        if (--depth === 0) {
          i++;
          break;
        }
      } else if (depth === 0 && (c === COMMA || isWhitespace(c))) {
        break;
      }
    }
    this.furthest = Math.max(this.furthest, i);
    return i < text.length || depth === 0 ? i : -1;
  }

  /** The position of the quote that closes the string opening at `start`, or -1. */
  stringEnd(start: number): number {
    const text = this.text;
    let end = text.indexOf(QUOTE, start + 1);
    while (end > 0) {
      let backslashes = 0;
      while (text[end - 1 - backslashes] === BACKSLASH) backslashes++;
      if (backslashes % 2 === 0) break;
      end = text.indexOf(QUOTE, end + 1);
    }
    this.furthest = Math.max(this.furthest, end < 0 ? text.length : end + 1);
    return end;
  }

  skipWhitespace(from: number): number {
    let i = from;
    while (i < this.text.length && isWhitespace(this.text[i]!)) i++;
    this.furthest = Math.max(this.furthest, i);
    return i;
  }
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function signatureOf(entry: Record<string, unknown>, payload: Buffer, where: string): FlattenedSignature {
  const result: FlattenedSignature = {
    protected: requireBase64url(entry.protected, `${where}protected`),
    payload,
    signature: requireBase64url(entry.signature, `${where}signature`),
  };
  if (entry.header !== undefined) {
    if (!isObject(entry.header)) throw malformed(`${where}header is an object`);
    result.header = entry.header;
  }
  return result;
}

function requireBase64url(value: unknown, name: string): string {
  if (typeof value !== 'string' || !base64url.test(value) || !isCanonicalBase64url(value)) throw malformed(`"${name}" is a non-empty canonical base64url string`);
  return value;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether a base64url string is the one encoding of its bytes: a length that some byte count has, and
 * zero in the unused low bits of the last character. Decoders ignore those bits, so without this check
 * one signature has several spellings, and one signed message several bodies (and digests).
 */
function isCanonicalBase64url(value: string | Buffer): boolean {
  const spare = value.length % 4;
  if (spare === 0) return true;
  if (spare === 1) return false;
  const lastChar = typeof value === 'string' ? value[value.length - 1]! : String.fromCharCode(value[value.length - 1]!);
  const last = BASE64URL_ALPHABET.indexOf(lastChar);
  return (last & (spare === 2 ? 0x0f : 0x03)) === 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(detail: string): GatewayError {
  return new GatewayError('malformed-jws', `Malformed JWS: ${detail}.`);
}
