import type { JWK } from 'jose';
import type { PartnerKey } from '../../domain/partner-key.js';
import type { PartnerKeyStore } from '../gateway-store.js';
import type { PostgresDatabase, Queryable } from './postgres-database.js';

/** A partner_keys row (timestamptz columns arrive as Date). */
export interface PartnerKeyRow {
  administration: string;
  kid: string;
  jwk: string;
  not_before: Date | null;
  not_after: Date | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
  added_at: Date;
}

/**
 * Partner signing keys on PostgreSQL. Nothing is cached: every submission reads its key from the
 * store, so a key added, retired or revoked through any instance is in force everywhere at once.
 */
export class PostgresPartnerKeyStore implements PartnerKeyStore {
  constructor(private readonly database: PostgresDatabase) {}

  async findByKid(kid: string): Promise<PartnerKey[]> {
    return (await this.database.query<PartnerKeyRow>('SELECT * FROM partner_keys WHERE kid = $1 ORDER BY administration', [kid])).rows.map(toPartnerKey);
  }

  async all(): Promise<PartnerKey[]> {
    return (await this.database.query<PartnerKeyRow>('SELECT * FROM partner_keys ORDER BY administration, added_at, kid')).rows.map(toPartnerKey);
  }

  async list(administration: string): Promise<PartnerKey[]> {
    return (await this.database.query<PartnerKeyRow>('SELECT * FROM partner_keys WHERE administration = $1 ORDER BY added_at, kid', [administration])).rows.map(toPartnerKey);
  }

  async hasKeys(administration: string): Promise<boolean> {
    return (await this.database.query('SELECT 1 FROM partner_keys WHERE administration = $1 LIMIT 1', [administration])).rowCount === 1;
  }

  add(keys: readonly PartnerKey[]): Promise<void> {
    return this.database.transaction(async (client) => {
      for (const key of keys) await insertPartnerKey(client, key);
    });
  }
}

export async function insertPartnerKey(client: Queryable, key: PartnerKey): Promise<void> {
  await client.query(
    `INSERT INTO partner_keys (administration, kid, jwk, not_before, not_after, revoked_at, revocation_reason, added_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [key.administration, key.kid, JSON.stringify(key.jwk), key.notBefore, key.notAfter, key.revokedAt, key.revocationReason, key.addedAt],
  );
}

/** A partner_keys row as the domain's PartnerKey (shared with the intake and admin stores). */
export function toPartnerKey(row: PartnerKeyRow): PartnerKey {
  return {
    administration: row.administration,
    kid: row.kid,
    jwk: JSON.parse(row.jwk) as JWK,
    notBefore: row.not_before,
    notAfter: row.not_after,
    revokedAt: row.revoked_at,
    revocationReason: row.revocation_reason,
    addedAt: row.added_at,
  };
}
