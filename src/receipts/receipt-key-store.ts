import type { JWK } from 'jose';

/** One of the gateway's receipt-signing keys as the store keeps it. */
export interface StoredReceiptKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
}

/** The gateway's own receipt-signing keys. The newest unretired key signs; all unretired keys verify. */
export interface ReceiptKeyStore {
  /** Unretired keys, newest first. */
  unretired(): Promise<StoredReceiptKey[]>;
  /** Durable before it resolves: a receipt signed with a key the store then lost could never be verified. */
  add(key: StoredReceiptKey): Promise<void>;
}
