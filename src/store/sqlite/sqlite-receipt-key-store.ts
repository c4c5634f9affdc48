import type { JWK } from 'jose';
import type { ReceiptKeyStore, SealedReceiptKey, StoredPrivateKey, StoredReceiptKey } from '../../receipts/receipt-key-store.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** A receipt_keys row (times in ms since the epoch; private_jwk: the sealed private key as JSON, or a plaintext JWK an earlier version wrote). */
export interface ReceiptKeyRow {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

/** The receipt keys on SQLite. */
export class SqliteReceiptKeyStore implements ReceiptKeyStore {
  constructor(private readonly database: SqliteDatabase) {}

  unretired(): Promise<StoredReceiptKey[]> {
    return this.database.exclusive(() =>
      (this.database.db.prepare('SELECT * FROM receipt_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid').all() as ReceiptKeyRow[]).map(toStoredKey),
    );
  }

  add(key: SealedReceiptKey): Promise<void> {
    return this.database.transaction(async () => {
      this.database.db
        .prepare('INSERT INTO receipt_keys (kid, private_jwk, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?)')
        .run(key.kid, JSON.stringify(key.privateJwk), JSON.stringify(key.publicJwk), key.createdAt.getTime(), key.retiredAt?.getTime() ?? null);
    });
  }
}

/** A receipt_keys row as a StoredReceiptKey (shared with the admin store). */
export function toStoredKey(row: ReceiptKeyRow): StoredReceiptKey {
  return {
    kid: row.kid,
    privateJwk: JSON.parse(row.private_jwk) as StoredPrivateKey,
    publicJwk: JSON.parse(row.public_jwk) as JWK,
    createdAt: new Date(row.created_at),
    retiredAt: row.retired_at === null ? null : new Date(row.retired_at),
  };
}
