import { GatewayError } from '../gateway-error.js';
import { checkJsonStructure, StrictJsonError, type JsonSpan } from './strict-json.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** A payload that passed the strict checks, not yet parsed. */
export interface CheckedPayload {
  text: string;
  /** Where the top-level `members` array (or object) lies in `text`, when there is one. */
  members: JsonSpan | undefined;
}

/**
 * Decodes and checks a verified payload: strict UTF-8 (no replacement characters), then the strict
 * JSON checks (no duplicate keys, no `__proto__` key, at most 32 levels deep), so that what the gateway
 * validates and stores is the one reading of the signed bytes. Finds the members array on the way.
 */
export function checkPayload(payload: Uint8Array): CheckedPayload {
  let text: string;
  try {
    text = strictUtf8.decode(payload);
  } catch {
    throw new GatewayError('malformed-payload', 'The payload is not valid UTF-8.');
  }
  try {
    return { text, members: checkJsonStructure(text, { spanOf: 'members' }) };
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    throw new GatewayError('malformed-payload', `The payload is not acceptable JSON: ${error.message}.`, { errors: [{ pointer: error.pointer, detail: error.message }] });
  }
}

/** The whole checked payload as a value. */
export function parsePayload(checked: CheckedPayload): unknown {
  return parseJson(checked.text);
}

/**
 * The checked payload with its members array replaced by an empty one, built without parsing the
 * members: for a snapshot whose members text the gateway has already applied.
 */
export function parseEnvelope(checked: CheckedPayload & { members: JsonSpan }): unknown {
  const { text, members } = checked;
  return parseJson(`${text.slice(0, members.start)}[]${text.slice(members.end)}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError('malformed-payload', 'The payload is not JSON.');
  }
}
