import { isUtf8 } from 'node:buffer';
import { GatewayError } from '../gateway-error.js';
import { MemberEntries } from './member-entries.js';
import { checkJsonStructure, StrictJsonError, type JsonArraySpan, type JsonSpan } from './strict-json.js';

const BYTE_ORDER_MARK = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * A payload that passed the strict checks, not yet parsed: its UTF-8 bytes, kept as bytes (outside the
 * JavaScript heap, and never a second time as a string), with where its members lie.
 */
export interface CheckedPayload {
  bytes: Buffer;
  /** Where the top-level `members` array (with its commas) or object lies in `bytes`, when there is one. */
  members: JsonSpan | JsonArraySpan | undefined;
}

/**
 * Checks a verified payload: strict UTF-8 (no replacement characters; a leading byte order mark is
 * skipped, as a UTF-8 decoder does), then the strict JSON checks (no duplicate keys, no `__proto__`
 * key, at most 32 levels deep), so that what the gateway validates and stores is the one reading of
 * the signed bytes. Finds the members array on the way, keeping the places of at most `maxMembers + 1`
 * members.
 */
export function checkPayload(payload: Uint8Array, maxMembers = Number.MAX_SAFE_INTEGER): CheckedPayload {
  let bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  if (!isUtf8(bytes)) throw new GatewayError('malformed-payload', 'The payload is not valid UTF-8.');
  if (bytes.subarray(0, 3).equals(BYTE_ORDER_MARK)) bytes = bytes.subarray(3);
  try {
    // Positions for one member more than allowed: enough to see that a list is over the limit.
    return { bytes, members: checkJsonStructure(bytes, { spanOf: 'members', maxCommas: maxMembers }) };
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    throw new GatewayError('malformed-payload', `The payload is not acceptable JSON: ${error.message}.`, { errors: [{ pointer: error.pointer, detail: error.message }] });
  }
}

/** A checked payload read as a list: the list with an empty `members` array, and its members to parse one by one. */
export interface DecodedList {
  /** The payload's value, with `members` empty when it is an array (an object stays one, emptied, for the schema to refuse). */
  envelope: unknown;
  /** Its members when `members` is an array; none otherwise (absent, or not an array: a schema error). */
  entries: MemberEntries | undefined;
}

export function decodeList(checked: CheckedPayload): DecodedList {
  const { bytes, members } = checked;
  if (members && isArraySpan(members)) return { envelope: parseEnvelope({ bytes, members }), entries: new MemberEntries(bytes, members) };
  if (members) return { envelope: parseJson(replaced(bytes, members, '{}')), entries: undefined };
  return { envelope: parseJson(bytes.toString('utf8')), entries: undefined };
}

export function isArraySpan(span: JsonSpan): span is JsonArraySpan {
  return 'commas' in span;
}

/** The checked payload with its members array replaced by an empty one, built without parsing the members. */
export function parseEnvelope(checked: { bytes: Buffer; members: JsonSpan }): unknown {
  return parseJson(replaced(checked.bytes, checked.members, '[]'));
}

/** The payload's text with the value at `span` written as `value`. */
function replaced(bytes: Buffer, span: JsonSpan, value: string): string {
  return `${bytes.toString('utf8', 0, span.start)}${value}${bytes.toString('utf8', span.end)}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError('malformed-payload', 'The payload is not JSON.');
  }
}
