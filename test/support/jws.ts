import { CompactSign, FlattenedSign, GeneralSign } from 'jose';
import type { PartnerSigningKey } from './partner-keys.js';

export const MEMBER_LIST_TYP = 'mra-member-list+json';

function bytes(payload: unknown): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  return Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
}

/** Signs like a well-behaved partner; `header` adds or overrides protected header members. */
export async function signCompact(payload: unknown, key: PartnerSigningKey, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(bytes(payload)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: MEMBER_LIST_TYP, ...header }).sign(key.privateKey);
}

export async function signFlattened(payload: unknown, key: PartnerSigningKey, header: Record<string, unknown> = {}): Promise<string> {
  const jws = await new FlattenedSign(bytes(payload)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: MEMBER_LIST_TYP, ...header }).sign(key.privateKey);
  return JSON.stringify(jws);
}

export async function signGeneral(payload: unknown, keys: readonly PartnerSigningKey[]): Promise<string> {
  const signer = new GeneralSign(bytes(payload));
  for (const key of keys) signer.addSignature(key.privateKey).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: MEMBER_LIST_TYP });
  return JSON.stringify(await signer.sign());
}

/** Builds a compact JWS by hand, for attacks the jose signer refuses to produce. */
export function handmadeCompact(header: Record<string, unknown>, payload: unknown, signature: Uint8Array | string): string {
  const encode = (value: Uint8Array | string) => Buffer.from(value).toString('base64url');
  return `${encode(JSON.stringify(header))}.${encode(bytes(payload))}.${typeof signature === 'string' ? signature : encode(signature)}`;
}
