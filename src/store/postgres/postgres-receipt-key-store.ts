import type { JWK } from 'jose';
import type { ReceiptKeyStore, SealedReceiptKey, StoredPrivateKey, StoredReceiptKey } from '../../receipts/receipt-key-store.js';
import type { PostgresDatabase, Queryable } from './postgres-database.js';

export interface ReceiptKeyRow {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created_at: Date;
  retired_at: Date | null;
}

/** The receipt keys on PostgreSQL. */
export class PostgresReceiptKeyStore implements ReceiptKeyStore {
  constructor(private readonly database: PostgresDatabase) {}

  async unretired(): Promise<StoredReceiptKey[]> {
    return (await this.database.query<ReceiptKeyRow>('SELECT * FROM receipt_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid')).rows.map(toStoredKey);
  }

  add(key: SealedReceiptKey): Promise<void> {
    return this.database.transaction((client) => insertReceiptKey(client, key));
  }
}

/** The private key is stored as it comes: sealed above the port (receipts/receipt-key-sealing.ts). */
export async function insertReceiptKey(client: Queryable, key: SealedReceiptKey): Promise<void> {
  await client.query('INSERT INTO receipt_keys (kid, private_jwk, public_jwk, created_at, retired_at) VALUES ($1, $2, $3, $4, $5)', [
    key.kid,
    JSON.stringify(key.privateJwk),
    JSON.stringify(key.publicJwk),
    key.createdAt,
    key.retiredAt,
  ]);
}

export function toStoredKey(row: ReceiptKeyRow): StoredReceiptKey {
  return {
    kid: row.kid,
    privateJwk: JSON.parse(row.private_jwk) as StoredPrivateKey,
    publicJwk: JSON.parse(row.public_jwk) as JWK,
    createdAt: row.created_at,
    retiredAt: row.retired_at,
  };
}
