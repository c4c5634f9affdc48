import { CompactSign, FlattenedSign } from 'jose';
import type { SigningKey } from './partner-key-files.js';

/** `typ` the gateway requires in the protected header (ICD 1). */
export const MEMBER_LIST_TYP = 'mra-member-list+json';

export type Serialization = 'compact' | 'json';

/** Media type to send each serialization with. */
export const MEDIA_TYPES: Record<Serialization, string> = { compact: 'application/jose', json: 'application/jose+json' };

/** Signs the payload bytes as they are: alg and kid of the key, typ of a member list, nothing else. */
export async function signMemberList(payload: Uint8Array, key: SigningKey, serialization: Serialization = 'compact'): Promise<string> {
  const header = { alg: key.alg, kid: key.kid, typ: MEMBER_LIST_TYP };
  if (serialization === 'compact') return new CompactSign(payload).setProtectedHeader(header).sign(key.key);
  return JSON.stringify(await new FlattenedSign(payload).setProtectedHeader(header).sign(key.key));
}

/** Which serialization a JWS text is in (the JSON form is an object). */
export function serializationOf(jws: string): Serialization {
  return jws.trimStart().startsWith('{') ? 'json' : 'compact';
}
