import { createSign, KeyObject } from 'node:crypto';
import { MEMBER_LIST_TYP } from './jws.js';
import type { PartnerSigningKey } from './partner-keys.js';

const encode = (value: Uint8Array | string) => Buffer.from(value).toString('base64url');

/**
 * Signs a protected header and a payload given as exact text (so they may carry duplicate keys,
 * `__proto__` or any nesting, which JSON.stringify cannot produce) with a partner's ES256 key, as a
 * careless or hostile partner could. Returns the three segments.
 */
export function signRawSegments(headerText: string, payload: string | Uint8Array, key: PartnerSigningKey): { protected: string; payload: string; signature: string } {
  if (key.alg !== 'ES256') throw new Error('signRawSegments signs with ES256 keys only');
  const protectedHeader = encode(headerText);
  const encodedPayload = encode(payload);
  const signer = createSign('sha256');
  signer.update(`${protectedHeader}.${encodedPayload}`);
  const signature = signer.sign({ key: KeyObject.from(key.privateKey), dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return { protected: protectedHeader, payload: encodedPayload, signature };
}

export function signRawCompact(headerText: string, payload: string | Uint8Array, key: PartnerSigningKey): string {
  const parts = signRawSegments(headerText, payload, key);
  return `${parts.protected}.${parts.payload}.${parts.signature}`;
}

/** The header a well-behaved partner sends, as text, with `extra` spliced in verbatim before the closing brace. */
export function headerText(key: PartnerSigningKey, extra = ''): string {
  return `{"alg":"${key.alg}","kid":${JSON.stringify(key.kid)},"typ":"${MEMBER_LIST_TYP}"${extra}}`;
}
