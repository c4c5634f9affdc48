import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { RECEIPT_TYP, type ReceiptSigner } from '../domain/intake/receipt.js';
import type { SqliteReceiptKeyStore, StoredReceiptKey } from '../store/sqlite-receipt-key-store.js';

const RECEIPT_ALG = 'ES256';

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * The gateway's receipt keys: created on first start and kept in the store, so receipts stay
 * verifiable across restarts. Receipts are signed with the newest key; every unretired key is
 * published at /.well-known/jwks.json.
 */
export class ReceiptKeys implements ReceiptSigner {
  private constructor(
    private readonly store: SqliteReceiptKeyStore,
    private current: { kid: string; key: SigningKey },
    private published: JWK[],
  ) {}

  static async load(store: SqliteReceiptKeyStore): Promise<ReceiptKeys> {
    let keys = await store.unretired();
    if (keys.length === 0) {
      await ReceiptKeys.createKey(store);
      keys = await store.unretired();
    }
    const newest = keys[0]!;
    return new ReceiptKeys(store, { kid: newest.kid, key: await importJWK(newest.privateJwk, RECEIPT_ALG) }, keys.map((k) => k.publicJwk));
  }

  private static async createKey(store: SqliteReceiptKeyStore): Promise<void> {
    await store.add(await generateReceiptKey(new Date()));
  }

  /** The kid receipts are signed with now. */
  get signingKid(): string {
    return this.current.kid;
  }

  async sign(claims: Record<string, unknown>): Promise<string> {
    const payload = Buffer.from(JSON.stringify({ iss: 'mra-gateway', iat: Math.floor(Date.now() / 1000), ...claims }));
    return new CompactSign(payload).setProtectedHeader({ alg: RECEIPT_ALG, kid: this.current.kid, typ: RECEIPT_TYP }).sign(this.current.key);
  }

  /** The JWK Set anyone can verify receipts with. */
  jwks(): { keys: JWK[] } {
    return { keys: this.published };
  }

  /** Re-reads the keys after a rotation. */
  async reload(): Promise<void> {
    const fresh = await ReceiptKeys.load(this.store);
    this.current = fresh.current;
    this.published = fresh.published;
  }
}

/** A new receipt key pair, kid = its JWK thumbprint (RFC 7638); stored by the caller. */
export async function generateReceiptKey(createdAt: Date): Promise<StoredReceiptKey> {
  const { privateKey, publicKey } = await generateKeyPair(RECEIPT_ALG, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const decorated = { ...publicJwk, kid, alg: RECEIPT_ALG, use: 'sig' };
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid, alg: RECEIPT_ALG }, publicJwk: decorated, createdAt, retiredAt: null };
}
