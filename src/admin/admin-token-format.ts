import type { JWK } from 'jose';

/**
 * What an admin token looks like (ICD 3), shared by everything that makes one: the CLI (Node) and
 * the web console (the browser). Types and constants only, so that the console's bundle can import it.
 */

/** The `aud` every admin token must carry, so that no token minted for another service works here. */
export const ADMIN_AUDIENCE = 'mra-gateway-admin';

/** The JWS algorithm for an administrator's key: its "alg" when it says, else the usual one for its type. */
export function algorithmFor(jwk: JWK): string {
  if (typeof jwk.alg === 'string') return jwk.alg;
  if (jwk.kty === 'EC') return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[jwk.crv ?? ''] ?? 'ES256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  return 'PS256';
}
