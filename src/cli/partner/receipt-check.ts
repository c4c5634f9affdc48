import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { createHash } from 'node:crypto';
import { PartnerToolError } from './partner-tool-error.js';

/** `typ` of the gateway's receipts. */
const RECEIPT_TYP = 'mra-receipt+jwt';

export interface VerifiedReceipt {
  /** The receipt key that signed. */
  kid: string;
  claims: Record<string, unknown>;
}

/** SHA-256, base64url, of the exact bytes sent: what the receipt's `digest` must be. */
export function bodyDigest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

/**
 * Verifies a receipt JWS against the gateway's key set and checks that it is about what was sent: its
 * digest is that of the body, and (where given) its claims agree with the receipt the gateway returned
 * in the clear. A receipt that passes is proof of what the gateway received and said.
 */
export async function verifyReceipt(receipt: string, jwks: JSONWebKeySet, expected: { digest: string; claims?: Record<string, unknown> }): Promise<VerifiedReceipt> {
  let verified;
  try {
    verified = await compactVerify(receipt, createLocalJWKSet(jwks), { algorithms: ['ES256', 'ES384', 'PS256', 'EdDSA'] });
  } catch (error) {
    throw new PartnerToolError('receipt-unverified', `the receipt's signature does not verify against the gateway's keys: ${(error as Error).message}`);
  }
  if (verified.protectedHeader.typ !== RECEIPT_TYP) throw new PartnerToolError('receipt-unverified', `the receipt's typ is ${String(verified.protectedHeader.typ)}, not ${RECEIPT_TYP}`);
  const claims = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  if (claims.digest !== expected.digest) throw new PartnerToolError('receipt-unverified', 'the receipt is about another body: its digest is not the digest of what was sent');
  for (const [name, value] of Object.entries(expected.claims ?? {})) {
    if (JSON.stringify(claims[name]) !== JSON.stringify(value)) throw new PartnerToolError('receipt-unverified', `the signed receipt says ${name} ${JSON.stringify(claims[name])}, the answer says ${JSON.stringify(value)}`);
  }
  return { kid: verified.protectedHeader.kid ?? '', claims };
}
