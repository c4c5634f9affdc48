import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { createHash } from 'node:crypto';
import { CliError } from '../cli-error.js';
import type { Serialization } from './sign-member-list.js';

/** `typ` of the gateway's receipts. */
const RECEIPT_TYP = 'mra-receipt+jwt';

/**
 * What tied a receipt to what was sent: `digest`, the receipt is about this very body; `payloadDigest`,
 * it is the original receipt of an earlier body carrying the same signed payload (a replay answer to a
 * re-signed retry, or to the payload sent in another serialization).
 */
export type ReceiptMatch = 'digest' | 'payloadDigest';

export interface VerifiedReceipt {
  /** The receipt key that signed. */
  kid: string;
  claims: Record<string, unknown>;
  matched: ReceiptMatch;
}

export interface ExpectedReceipt {
  /** SHA-256 of the body sent. */
  digest: string;
  /** SHA-256 of the payload signed; undefined when the JWS sent has no payload the tool can read. */
  payloadDigest: string | undefined;
  /**
   * The gateway answered 200, a replay: the receipt is the one it gave when it first accepted the
   * payload, so its `digest` is that of the body accepted then, which differs from this one if the
   * retry was signed again or serialized differently. Its `payloadDigest` must be that of what was signed.
   */
  replay?: boolean;
  /** Claims that must agree with the receipt the gateway returned in the clear. */
  claims?: Record<string, unknown>;
}

/** SHA-256, base64url, of the exact bytes sent: what the receipt's `digest` must be. */
export function bodyDigest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url');
}

/**
 * SHA-256, base64url, of the payload a JWS signs (its payload part, base64url-decoded): what the
 * receipt's `payloadDigest` must be. Undefined when the text is not a JWS of the given serialization.
 */
export function signedPayloadDigest(jws: string, serialization: Serialization): string | undefined {
  let encoded: unknown;
  if (serialization === 'compact') {
    encoded = jws.trim().split('.')[1];
  } else {
    try {
      encoded = (JSON.parse(jws) as { payload?: unknown } | null)?.payload;
    } catch {
      return undefined;
    }
  }
  if (typeof encoded !== 'string' || !/^[A-Za-z0-9_-]*$/.test(encoded)) return undefined;
  return bodyDigest(Buffer.from(encoded, 'base64url'));
}

/**
 * Verifies a receipt JWS against the gateway's key set and checks that it is about what was sent: its
 * digest is that of the body, or, for a replay, its payloadDigest is that of the signed payload; a
 * payloadDigest, where the receipt has one, is always that of the signed payload; and (where given) its
 * claims agree with the receipt the gateway returned in the clear. A receipt that passes is proof of
 * what the gateway received and said.
 */
export async function verifyReceipt(receipt: string, jwks: JSONWebKeySet, expected: ExpectedReceipt): Promise<VerifiedReceipt> {
  let verified;
  try {
    verified = await compactVerify(receipt, createLocalJWKSet(jwks), { algorithms: ['ES256', 'ES384', 'PS256', 'EdDSA'] });
  } catch (error) {
    throw new CliError('receipt-unverified', `the receipt's signature does not verify against the gateway's keys: ${(error as Error).message}`);
  }
  if (verified.protectedHeader.typ !== RECEIPT_TYP) throw new CliError('receipt-unverified', `the receipt's typ is ${String(verified.protectedHeader.typ)}, not ${RECEIPT_TYP}`);
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    throw new CliError('receipt-unverified', 'the receipt is signed, but what it says is not JSON');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new CliError('receipt-unverified', 'the receipt is signed, but what it says is not a JSON object');
  const matched = matchOf(claims, expected);
  for (const [name, value] of Object.entries(expected.claims ?? {})) {
    if (JSON.stringify(claims[name]) !== JSON.stringify(value)) throw new CliError('receipt-unverified', `the signed receipt says ${name} ${JSON.stringify(claims[name])}, the answer says ${JSON.stringify(value)}`);
  }
  return { kid: verified.protectedHeader.kid ?? '', claims, matched };
}

function matchOf(claims: Record<string, unknown>, expected: ExpectedReceipt): ReceiptMatch {
  // Receipts of gateways before payload digests have none; where there is one, it must be this payload's.
  if (claims.payloadDigest !== undefined && claims.payloadDigest !== expected.payloadDigest) {
    throw new CliError('receipt-unverified', 'the receipt is about another payload: its payloadDigest is not the digest of what was signed');
  }
  if (claims.digest === expected.digest) return 'digest';
  if (expected.replay && claims.payloadDigest !== undefined) return 'payloadDigest';
  throw new CliError(
    'receipt-unverified',
    expected.replay
      ? 'the replay receipt is about another body and carries no payloadDigest: nothing ties it to what was signed'
      : 'the receipt is about another body: its digest is not the digest of what was sent',
  );
}
