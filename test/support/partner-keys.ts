import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { generatePartnerKey, readSigningKey } from '../../src/cli/partner/partner-key-files.js';

/** A partner administration's signing key pair, as a partner would hold it. */
export interface PartnerSigningKey {
  administration: string;
  kid: string;
  alg: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK & { kid: string };
}

let counter = 0;

export async function createPartnerKey(administration: string, options: { alg?: string; kid?: string; crv?: string } = {}): Promise<PartnerSigningKey> {
  const alg = options.alg ?? 'ES256';
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(options.crv ? { crv: options.crv } : {}) });
  const kid = options.kid ?? `${administration.toLowerCase()}-key-${++counter}-${Date.now()}`;
  return { administration, kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

/** The JWK Set file for CONFIG_DIR/partner-keys/<CODE>.json. */
export function keySetFile(keys: readonly PartnerSigningKey[], windows: Record<string, { notBefore?: string; notAfter?: string }> = {}): string {
  return JSON.stringify({ keys: keys.map((key) => ({ ...key.publicJwk, ...(windows[key.kid] ?? {}) })) }, null, 2);
}

/**
 * A key pair made by the partner tool's keygen into `privateKeyFile`, as the partner holds it, with the
 * public half as CBP registers it (for CONFIG_DIR/partner-keys/<CODE>.json).
 */
export async function partnerToolKey(privateKeyFile: string, administration = 'EU'): Promise<PartnerSigningKey> {
  const generated = await generatePartnerKey({ administration, alg: 'ES256', privateKeyFile });
  const signing = await readSigningKey(privateKeyFile);
  return { administration, kid: generated.kid, alg: 'ES256', privateKey: signing.key as PartnerSigningKey['privateKey'], publicJwk: { ...generated.publicJwk, kid: generated.kid } };
}

/** A partner's register read token: signed with one of its keys, typ JWT, for the register's audience (ICD 5). */
export async function partnerReadToken(key: PartnerSigningKey, audience = 'mra-gateway-members'): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ aud: audience, iat, exp: iat + 120 }).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}
