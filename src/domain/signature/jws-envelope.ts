import { GatewayError } from '../gateway-error.js';

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
  return { protected: protectedHeader, payload, signature };
}

function parseJson(body: Buffer): FlattenedSignature[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
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
  if (typeof value !== 'string' || !base64url.test(value)) throw malformed(`"${name}" is a non-empty base64url string`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(detail: string): GatewayError {
  return new GatewayError('malformed-jws', `Malformed JWS: ${detail}.`);
}
