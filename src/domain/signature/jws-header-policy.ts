import { GatewayError } from '../gateway-error.js';
import { parseStrictJson, StrictJsonError } from '../intake/strict-json.js';
import type { FlattenedSignature } from './jws-envelope.js';

/** The header members the gateway needs, once the policy has accepted them. */
export interface AcceptedHeader {
  alg: string;
  kid: string;
}

export const MEMBER_LIST_TYP = 'mra-member-list+json';

/**
 * Header members that would let a message bring its own key. Keys come only from the gateway's key
 * store, so a message carrying any of these is refused even if it would verify.
 */
const KEY_CARRYING = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/**
 * Applies ICD 1's header rules to one signature, before any key is looked up: the algorithm is on the
 * allowlist (never `none`, never HMAC), `kid` and `typ` are in the protected header, and nothing asks
 * for processing the gateway does not implement (`crit`, unencoded payloads).
 */
export function acceptHeader(signature: FlattenedSignature, allowedAlgorithms: readonly string[]): AcceptedHeader {
  const protectedHeader = decodeProtectedHeader(signature.protected);
  const unprotected = signature.header ?? {};

  const alg = protectedHeader.alg;
  if (typeof alg !== 'string' || !allowedAlgorithms.includes(alg)) {
    throw new GatewayError(
      'disallowed-algorithm',
      `The protected header's "alg" must be one of ${allowedAlgorithms.join(', ')}.`,
    );
  }
  for (const [name, header] of [['protected', protectedHeader], ['unprotected', unprotected]] as const) {
    for (const member of KEY_CARRYING) {
      if (member in header) {
        throw new GatewayError('invalid-jws-header', `The ${name} header carries "${member}": keys come only from the gateway's key store.`);
      }
    }
    if ('crit' in header) throw new GatewayError('invalid-jws-header', 'The gateway implements no "crit" extensions.');
    if ('b64' in header && header.b64 !== true) {
      throw new GatewayError('invalid-jws-header', 'Unencoded payloads ("b64": false) are not accepted.');
    }
    if (name === 'unprotected' && ('alg' in header || 'kid' in header || 'typ' in header)) {
      throw new GatewayError('invalid-jws-header', '"alg", "kid" and "typ" belong in the protected header.');
    }
  }
  const kid = protectedHeader.kid;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) {
    throw new GatewayError('invalid-jws-header', 'The protected header needs a "kid" of 1 to 256 characters.');
  }
  if (!isMemberListTyp(protectedHeader.typ)) {
    throw new GatewayError('invalid-jws-header', `The protected header's "typ" must be "${MEMBER_LIST_TYP}".`);
  }
  return { alg, kid };
}

/** RFC 7515 4.1.9: typ compares case-insensitively and may omit the "application/" prefix. */
function isMemberListTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const lower = typ.toLowerCase();
  return lower === MEMBER_LIST_TYP || lower === `application/${MEMBER_LIST_TYP}`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeProtectedHeader(encoded: string): Record<string, unknown> {
  let header: unknown;
  try {
    // Strict: with {"alg":"ES256","alg":"none"} the gateway and jose must not be left to agree by luck.
    header = parseStrictJson(strictUtf8.decode(Buffer.from(encoded, 'base64url')));
  } catch (error) {
    if (error instanceof StrictJsonError && error.problem !== 'syntax') {
      throw new GatewayError('malformed-jws', `Malformed JWS: the protected header is not acceptable JSON (${error.message}).`);
    }
    throw new GatewayError('malformed-jws', 'Malformed JWS: the protected header is not base64url-encoded UTF-8 JSON.');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new GatewayError('malformed-jws', 'Malformed JWS: the protected header is not a JSON object.');
  }
  return header as Record<string, unknown>;
}
