import type { JWK } from 'jose';
import type { Clock } from '../domain/clock.js';
import { GatewayError } from '../domain/gateway-error.js';
import type { ReceiptKeys } from '../receipts/receipt-keys.js';
import type { StoredReceiptKey } from '../receipts/receipt-key-store.js';
import type { AdminActor, AdminStore } from './admin-store.js';
import type { AuditLog } from './audit-log.js';

/** signing: signs new receipts; published: still in jwks.json for older receipts; retired: gone from it. */
export type ReceiptKeyState = 'signing' | 'published' | 'retired';

/** A receipt key as the admin API shows it (public part only). */
export interface ReceiptKeyView {
  kid: string;
  state: ReceiptKeyState;
  createdAt: string;
  retiredAt: string | null;
  jwk: JWK;
}

export interface ReceiptKeyList {
  signing: string;
  keys: ReceiptKeyView[];
}

export interface ReceiptKeyAdminDependencies {
  receiptKeys: ReceiptKeys;
  store: AdminStore;
  audit: AuditLog;
  clock: Clock;
}

/**
 * The gateway's receipt keys (ICD 3). A rotation makes a new key sign at once; earlier keys stay in
 * /.well-known/jwks.json, so receipts signed with them still verify, until an administrator retires
 * them explicitly: receipts are evidence a partner may need long after, so nothing retires on a timer.
 * The signing key cannot be retired; rotate first.
 */
export class ReceiptKeyAdmin {
  constructor(private readonly deps: ReceiptKeyAdminDependencies) {}

  async list(): Promise<ReceiptKeyList> {
    return listOf(await this.deps.store.receiptKeys());
  }

  async rotate(actor: AdminActor): Promise<ReceiptKeyList> {
    // Sealed under the key-encryption key before it reaches the store.
    const fresh = await this.deps.receiptKeys.newKey(this.deps.clock.now());
    const result = await this.deps.audit.change(actor, async (tx, at) => {
      const keys = await tx.receiptKeys();
      const previous = keys.find((k) => k.retiredAt === null);
      // The newest key signs; make sure the new one sorts first even within the same millisecond.
      const key = { ...fresh, createdAt: new Date(Math.max(at.getTime(), (previous?.createdAt.getTime() ?? 0) + 1)) };
      await tx.addReceiptKey(key);
      const list = listOf([key, ...keys]);
      return { action: 'receipt-key.rotate', kid: key.kid, before: { signing: previous?.kid ?? null }, after: { signing: key.kid }, result: list };
    });
    await this.deps.receiptKeys.reload();
    return result;
  }

  /** Removes a previous key from jwks.json: receipts it signed can no longer be verified there. */
  async retire(actor: AdminActor, kid: string): Promise<ReceiptKeyList> {
    const result = await this.deps.audit.change(actor, async (tx, at) => {
      const keys = await tx.receiptKeys();
      const key = keys.find((k) => k.kid === kid);
      if (!key) throw new GatewayError('receipt-key-not-found', `There is no receipt key with kid "${kid}".`);
      if (key.retiredAt) throw new GatewayError('invalid-state-transition', `Receipt key "${kid}" was already retired at ${key.retiredAt.toISOString()}.`);
      if (keys.find((k) => k.retiredAt === null)!.kid === kid) {
        throw new GatewayError('invalid-state-transition', `Receipt key "${kid}" signs receipts now; rotate to a new key before retiring it.`);
      }
      await tx.retireReceiptKey(kid, at);
      const list = listOf(keys.map((k) => (k.kid === kid ? { ...k, retiredAt: at } : k)));
      return { action: 'receipt-key.retire', kid, before: { state: 'published' }, after: { state: 'retired', retiredAt: at.toISOString() }, result: list };
    });
    await this.deps.receiptKeys.reload();
    return result;
  }
}

/** Keys newest first; the newest unretired one signs. */
function listOf(keys: readonly StoredReceiptKey[]): ReceiptKeyList {
  const signing = keys.find((k) => k.retiredAt === null)?.kid ?? '';
  return {
    signing,
    keys: keys.map((k) => ({
      kid: k.kid,
      state: k.retiredAt ? 'retired' : k.kid === signing ? 'signing' : 'published',
      createdAt: k.createdAt.toISOString(),
      retiredAt: k.retiredAt ? k.retiredAt.toISOString() : null,
      jwk: k.publicJwk,
    })),
  };
}
