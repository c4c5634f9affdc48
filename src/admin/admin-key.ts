import type { JWK } from 'jose';

/**
 * What an admin key may do. A key in admin-keys.json without a "roles" member has every role; a key
 * with one (for example an auditor's `["audit"]`) only those. `members:read` lets a CBP system read the
 * member register (GET /v1/members..., src/register/member-reader-authenticator.ts).
 */
export const ADMIN_ROLES = ['keys', 'arrangements', 'receipt-keys', 'audit', 'members:read'] as const;

export type AdminRole = (typeof ADMIN_ROLES)[number];

/**
 * The roles of the admin API. Any one of them reads everything the API shows (every GET); each change
 * needs its own role, and `audit` changes nothing. `members:read` is the register's role (GET
 * /v1/members...), for CBP systems: alone, it reads nothing of the admin API but GET /me.
 */
export const ADMIN_API_ROLES: readonly AdminRole[] = ['keys', 'arrangements', 'receipt-keys', 'audit'];

/**
 * Algorithms an admin token may be signed with: asymmetric only, so the gateway holds no secret that
 * could mint tokens, and never `none`. RSA only with PSS.
 */
export const ADMIN_TOKEN_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'] as const;

/** An administrator's public key from CONFIG_DIR/admin-keys.json. */
export interface AdminKey {
  kid: string;
  /** The public JWK without the gateway's own "roles" member. */
  jwk: JWK & { kid: string };
  roles: readonly AdminRole[];
}
