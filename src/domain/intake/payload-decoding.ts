import { GatewayError } from '../gateway-error.js';
import { parseStrictJson, StrictJsonError } from './strict-json.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decodes a verified payload: strict UTF-8 (no replacement characters), then strict JSON (no duplicate
 * keys, no `__proto__` key, at most 32 levels deep), so that what the gateway validates and stores is
 * the one reading of the signed bytes.
 */
export function decodePayload(payload: Uint8Array): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(payload);
  } catch {
    throw new GatewayError('malformed-payload', 'The payload is not valid UTF-8.');
  }
  try {
    return parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof StrictJsonError) || error.problem === 'syntax') throw new GatewayError('malformed-payload', 'The payload is not JSON.');
    throw new GatewayError('malformed-payload', `The payload is not acceptable JSON: ${error.message}.`, { errors: [{ pointer: error.pointer, detail: error.message }] });
  }
}
