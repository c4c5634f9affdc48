import type { JWK } from 'jose';
import type { Logger } from 'winston';
import type { AdminStore } from '../admin/admin-store.js';
import { isSealed, ReceiptKeySealingError, type ReceiptKeySealer } from './receipt-key-sealing.js';
import type { StoredReceiptKey } from './receipt-key-store.js';

/**
 * Start-up: seals in place every receipt private key an earlier version stored in plaintext, and
 * checks that every sealed one opens under the configured key-encryption key. Runs before
 * ReceiptKeys.load, in one admin transaction (all keys or none), while no other instance starts.
 *
 * A key sealed under another KEK, or altered, stops start-up (ReceiptKeySealingError): keys are never
 * re-created in its place, since receipts signed with them must stay verifiable.
 *
 * The sealing writes no audit entry: an audit entry names an administrator, and nobody asked for
 * this; it changes how a key is kept, not which keys there are. It is logged at info instead
 * ('receipt keys sealed at rest', with the kids).
 */
export async function sealReceiptKeysAtRest(store: AdminStore, sealer: ReceiptKeySealer, logger: Logger): Promise<void> {
  const sealed = await store.transaction(async (tx) => {
    const kids: string[] = [];
    for (const key of await tx.receiptKeys()) {
      if (isSealed(key.privateJwk)) {
        sealer.unseal(key.kid, key.privateJwk);
        continue;
      }
      await tx.replaceReceiptPrivateKey(key.kid, sealer.seal(key.kid, plaintextPrivateKey(key)));
      kids.push(key.kid);
    }
    return kids;
  });
  if (sealed.length > 0) logger.info('receipt keys sealed at rest', { kids: sealed, kek: sealer.kekId });
}

/** An unsealed stored key as the private JWK an earlier version wrote; anything else stops start-up. */
function plaintextPrivateKey(key: StoredReceiptKey): JWK {
  const value = key.privateJwk as unknown;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const jwk = value as Record<string, unknown>;
    if ('sealed' in jwk) {
      throw new ReceiptKeySealingError(`receipt key "${key.kid}" is sealed in a form this version does not know (sealed: ${JSON.stringify(jwk.sealed)})`);
    }
    if (typeof jwk.kty === 'string' && typeof jwk.d === 'string') return jwk;
  }
  throw new ReceiptKeySealingError(`receipt key "${key.kid}" has a stored private key that is neither sealed nor a private JWK`);
}
