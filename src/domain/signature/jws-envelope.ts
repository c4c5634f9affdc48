import { GatewayError } from '../gateway-error.js';
import { parseStrictJson, StrictJsonError } from '../intake/strict-json.js';

/** One signature of a JWS in flattened form, as jose verifies it. */
export interface FlattenedSignature {
  protected: string;
  header?: Record<string, unknown>;
  payload: string;
  signature: string;
}

export type JwsSerialization = 'compact' | 'json';

const base64url = /^[A-Za-z0-9_-]+$/;
const compactForm = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Splits a request body into its signatures. The compact form has exactly one; the JSON form is either
 * flattened (one) or general (one or more, all over the same payload). Structure is checked here so
 * that later steps can trust it: every part present, every part strict base64url.
 */
export function parseJwsEnvelope(body: Buffer, serialization: JwsSerialization): FlattenedSignature[] {
  return serialization === 'compact' ? [parseCompact(body)] : parseJson(body);
}

function parseCompact(body: Buffer): FlattenedSignature {
  // latin1 maps bytes 1:1, so a stray non-ASCII byte fails the pattern instead of being replaced.
  const text = body.toString('latin1').trim();
  if (!compactForm.test(text)) {
    throw malformed('the compact form is three non-empty base64url parts separated by dots');
  }
  const [protectedHeader = '', payload = '', signature = ''] = text.split('.');
  for (const [name, part] of [['protected header', protectedHeader], ['payload', payload], ['signature', signature]] as const) {
    if (!isCanonicalBase64url(part)) throw malformed(`the ${name} is not canonical base64url`);
  }
  return { protected: protectedHeader, payload, signature };
}

function parseJson(body: Buffer): FlattenedSignature[] {
  let parsed: unknown;
  try {
    // Strict: a duplicate "payload" or "signature" would let two JSON readers see two messages.
    parsed = parseStrictJson(body.toString('utf8'));
  } catch (error) {
    if (error instanceof StrictJsonError && error.problem !== 'syntax') throw malformed(`the body is not acceptable JSON (${error.message} at "${error.pointer}")`);
    throw malformed('the body is not JSON');
  }
  if (!isObject(parsed)) throw malformed('the JSON serialization is an object');
  const payload = requireBase64url(parsed.payload, 'payload');
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

function signatureOf(entry: Record<string, unknown>, payload: string, where: string): FlattenedSignature {
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
function isCanonicalBase64url(value: string): boolean {
  const spare = value.length % 4;
  if (spare === 0) return true;
  if (spare === 1) return false;
  const last = BASE64URL_ALPHABET.indexOf(value[value.length - 1]!);
  return (last & (spare === 2 ? 0x0f : 0x03)) === 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(detail: string): GatewayError {
  return new GatewayError('malformed-jws', `Malformed JWS: ${detail}.`);
}
