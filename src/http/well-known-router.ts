import { Router } from 'express';
import type { ReceiptKeys } from '../receipts/receipt-keys.js';

/** Public keys that verify the gateway's receipts. Cacheable briefly: a rotation shows within minutes. */
export function wellKnownRouter(receiptKeys: ReceiptKeys): Router {
  const router = Router();
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('application/jwk-set+json').json(receiptKeys.jwks());
  });
  return router;
}
