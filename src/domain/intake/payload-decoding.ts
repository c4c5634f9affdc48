import { GatewayError } from '../gateway-error.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes a verified payload: strict UTF-8 (no replacement characters), then JSON. */
export function decodePayload(payload: Uint8Array): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(payload);
  } catch {
    throw new GatewayError('malformed-payload', 'The payload is not valid UTF-8.');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError('malformed-payload', 'The payload is not JSON.');
  }
}
