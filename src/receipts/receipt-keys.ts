import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { createPrivateKey, sign as signBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { RECEIPT_TYP, type ReceiptSigner } from '../domain/intake/receipt.js';
import { isSealed, type ReceiptKeySealer } from './receipt-key-sealing.js';
import type { ReceiptKeyStore, SealedReceiptKey, StoredReceiptKey } from './receipt-key-store.js';

const RECEIPT_ALG = 'ES256';


/**
 * The gateway's receipt keys: created on first start and kept in the store, so receipts stay
 * verifiable across restarts. Receipts are signed with the newest key; every unretired key is
 * published at /.well-known/jwks.json. Private keys are sealed under the key-encryption key before
 * they reach the store and opened only here, to sign (see receipt-key-sealing.ts).
 */
export class ReceiptKeys implements ReceiptSigner {
  private constructor(
    private readonly store: ReceiptKeyStore,
    private readonly sealer: ReceiptKeySealer,
    private current: { kid: string; key: KeyObject; header: string },
    private published: JWK[],
  ) {}

  /** Expects the stored keys sealed (sealReceiptKeysAtRest runs first at start-up). */
  static async load(store: ReceiptKeyStore, sealer: ReceiptKeySealer): Promise<ReceiptKeys> {
    let keys = await store.unretired();
    if (keys.length === 0) {
      await ReceiptKeys.createKey(store, sealer);
      keys = await store.unretired();
    }
    const newest = keys[0]!;
    return new ReceiptKeys(store, sealer, signingKey(newest, sealer), keys.map((k) => k.publicJwk));
  }

  private static async createKey(store: ReceiptKeyStore, sealer: ReceiptKeySealer): Promise<void> {
    await store.add(sealedKey(await generateReceiptKey(new Date()), sealer));
  }

  /** A new key pair with its private key sealed, for a rotation to store (it signs once stored and reloaded). */
  async newKey(createdAt: Date): Promise<SealedReceiptKey> {
    return sealedKey(await generateReceiptKey(createdAt), this.sealer);
  }

  /** The kid receipts are signed with now. */
  get signingKid(): string {
    return this.current.kid;
  }

  /**
   * Signs with node:crypto directly rather than jose's WebCrypto path: the signature is made
   * synchronously on the main thread (ES256 takes tens of microseconds), so an intake transaction
   * never waits for a thread-pool round trip while it holds the store. Anyone verifies with jose or
   * any JOSE library against /.well-known/jwks.json.
   */
  async sign(claims: Record<string, unknown>): Promise<string> {
    const payload = Buffer.from(JSON.stringify({ iss: 'mra-gateway', iat: Math.floor(Date.now() / 1000), ...claims })).toString('base64url');
    const signingInput = `${this.current.header}.${payload}`;
    const signature = signBytes('sha256', Buffer.from(signingInput), { key: this.current.key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /** The JWK Set anyone can verify receipts with. */
  jwks(): { keys: JWK[] } {
    return { keys: this.published };
  }

  /** Re-reads the keys after a rotation. */
  async reload(): Promise<void> {
    const fresh = await ReceiptKeys.load(this.store, this.sealer);
    this.current = fresh.current;
    this.published = fresh.published;
  }
}

function signingKey(stored: StoredReceiptKey, sealer: ReceiptKeySealer): { kid: string; key: KeyObject; header: string } {
  if (!isSealed(stored.privateJwk)) {
    // Only a gateway of an earlier version, on the same store, writes such a key now.
    throw new Error(`receipt key "${stored.kid}" is stored unsealed; a restart seals it (every instance on the store must be of this version)`);
  }
  const privateJwk = sealer.unseal(stored.kid, stored.privateJwk);
  const header = Buffer.from(JSON.stringify({ alg: RECEIPT_ALG, kid: stored.kid, typ: RECEIPT_TYP })).toString('base64url');
  return { kid: stored.kid, key: createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' }), header };
}

function sealedKey(key: GeneratedReceiptKey, sealer: ReceiptKeySealer): SealedReceiptKey {
  return { ...key, privateJwk: sealer.seal(key.kid, key.privateJwk) };
}

/** A receipt key pair as generated, its private key in the clear: never stored so (see sealedKey). */
export interface GeneratedReceiptKey extends StoredReceiptKey {
  privateJwk: JWK;
}

/** A new receipt key pair, kid = its JWK thumbprint (RFC 7638); sealed and stored by the caller. */
export async function generateReceiptKey(createdAt: Date): Promise<GeneratedReceiptKey> {
  const { privateKey, publicKey } = await generateKeyPair(RECEIPT_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const decorated = { ...publicJwk, kid, alg: RECEIPT_ALG, use: 'sig' };
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: RECEIPT_ALG }, publicJwk: decorated, createdAt, retiredAt: null };
}
