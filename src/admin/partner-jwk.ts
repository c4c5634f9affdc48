import type { JWK } from 'jose';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { GatewayError } from '../domain/gateway-error.js';
import { checkPartnerJwk } from '../domain/partner-key-policy.js';

/** The JWK members a partner key keeps in the store; others (key_ops, ext, x5c ...) could only get in the way. */
export const KEPT_PARTNER_JWK_MEMBERS = ['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y', 'n', 'e'] as const;

/**
 * A partner's public signing key as the store keeps it, whichever way it comes in (the admin API, or
 * CONFIG_DIR/partner-keys at start-up): checked against the policy (public, allowed type and
 * algorithm, a safe kid, key material neither weak nor degenerate), proven to form a key, and reduced
 * to KEPT_PARTNER_JWK_MEMBERS. Throws a 400 `invalid-partner-key` GatewayError naming what is wrong.
 */
export function registrablePartnerJwk(value: unknown, allowedAlgorithms: readonly string[]): JWK & { kid: string } {
  const checked = checkPartnerJwk(value, allowedAlgorithms);
  try {
    // The policy checks members and numbers; importing proves that OpenSSL takes them as a key too.
    createPublicKey({ key: checked as JsonWebKey, format: 'jwk' });
  } catch {
    throw new GatewayError('invalid-partner-key', 'Partner key refused: the key parameters do not form a valid public key.');
  }
  const kept: Record<string, unknown> = {};
  for (const member of KEPT_PARTNER_JWK_MEMBERS) if (checked[member] !== undefined) kept[member] = checked[member];
  return kept as JWK & { kid: string };
}
