import type { JWK } from 'jose';
import type { SealedPrivateKey } from './receipt-key-sealing.js';

/**
 * A receipt private key as the store holds it: sealed (see receipt-key-sealing.ts), or a plaintext
 * JWK as earlier versions stored it, until start-up seals it in place (receipt-keys-at-rest.ts).
 * Stores keep it as JSON text and never look inside.
 */
export type StoredPrivateKey = SealedPrivateKey | JWK;

/** One of the gateway's receipt-signing keys as the store keeps it. */
export interface StoredReceiptKey {
  kid: string;
  privateJwk: StoredPrivateKey;
  publicJwk: JWK;
  createdAt: Date;
  retiredAt: Date | null;
}

/** A receipt key as the gateway writes it: its private key is always sealed. */
export interface SealedReceiptKey extends StoredReceiptKey {
  privateJwk: SealedPrivateKey;
}

/** The gateway's own receipt-signing keys. The newest unretired key signs; all unretired keys verify. */
export interface ReceiptKeyStore {
  /** Unretired keys, newest first. */
  unretired(): Promise<StoredReceiptKey[]>;
  /** Durable before it resolves: a receipt signed with a key the store then lost could never be verified. */
  add(key: SealedReceiptKey): Promise<void>;
}
