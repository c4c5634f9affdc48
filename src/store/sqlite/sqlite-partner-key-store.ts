import type { JWK } from 'jose';
import type { PartnerKey } from '../../domain/partner-key.js';
import type { PartnerKeyStore } from '../gateway-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** A partner_keys row (times in ms since the epoch). */
export interface KeyRow {
  administration: string;
  kid: string;
  jwk: string;
  not_before: number | null;
  not_after: number | null;
  revoked_at: number | null;
  revocation_reason: string | null;
  added_at: number;
}

/** Partner signing keys on SQLite. */
export class SqlitePartnerKeyStore implements PartnerKeyStore {
  /** Prepared once: every submission looks its key up. */
  private readonly byKid;

  constructor(private readonly database: SqliteDatabase) {
    this.byKid = database.db.prepare('SELECT * FROM partner_keys WHERE kid = ?');
  }

  findByKid(kid: string): Promise<PartnerKey[]> {
    return this.database.exclusive(() => (this.byKid.all(kid) as KeyRow[]).map(toPartnerKey));
  }

  /** Every key of every administration, by administration, then oldest first (the start-up scan). */
  all(): Promise<PartnerKey[]> {
    return this.database.exclusive(() =>
      (this.database.db.prepare('SELECT * FROM partner_keys ORDER BY administration, added_at, kid').all() as KeyRow[]).map(toPartnerKey),
    );
  }

  list(administration: string): Promise<PartnerKey[]> {
    return this.database.exclusive(() =>
      (this.database.db.prepare('SELECT * FROM partner_keys WHERE administration = ? ORDER BY added_at, kid').all(administration) as KeyRow[]).map(toPartnerKey),
    );
  }

  async hasKeys(administration: string): Promise<boolean> {
    return this.database.exclusive(() => this.database.db.prepare('SELECT 1 FROM partner_keys WHERE administration = ? LIMIT 1').get(administration) !== undefined);
  }

  /** Adds keys; all or none. A kid already registered for the administration is an error. */
  add(keys: readonly PartnerKey[]): Promise<void> {
    return this.database.transaction(async () => {
      const insert = this.database.db.prepare(
        `INSERT INTO partner_keys (administration, kid, jwk, not_before, not_after, revoked_at, revocation_reason, added_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const key of keys) {
        insert.run(
          key.administration,
          key.kid,
          JSON.stringify(key.jwk),
          key.notBefore?.getTime() ?? null,
          key.notAfter?.getTime() ?? null,
          key.revokedAt?.getTime() ?? null,
          key.revocationReason,
          key.addedAt.getTime(),
        );
      }
    });
  }
}

/** A partner_keys row as the domain's PartnerKey (shared with the admin store). */
export function toPartnerKey(row: KeyRow): PartnerKey {
  return {
    administration: row.administration,
    kid: row.kid,
    jwk: JSON.parse(row.jwk) as JWK,
    notBefore: row.not_before === null ? null : new Date(row.not_before),
    notAfter: row.not_after === null ? null : new Date(row.not_after),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    revocationReason: row.revocation_reason,
    addedAt: new Date(row.added_at),
  };
}
