import express, { type Express } from 'express';
import type { Logger } from 'winston';
import type { MemberListIntake } from '../domain/intake/member-list-intake.js';
import type { ReceiptKeys } from '../receipts/receipt-keys.js';
import { accessLog } from './access-log.js';
import { memberListRouter } from './member-list-router.js';
import { notFound, problemHandler } from './problem-responses.js';
import { requestIdMiddleware, securityHeaders } from './request-context.js';
import { wellKnownRouter } from './well-known-router.js';

export interface AppDependencies {
  intake: MemberListIntake;
  receiptKeys: ReceiptKeys;
  logger: Logger;
  maxBodyBytes: number;
}

/** Builds the HTTP API. It never listens: the caller (main, or a test on port 0) does. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIdMiddleware, securityHeaders, accessLog(deps.logger));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });
  app.use(wellKnownRouter(deps.receiptKeys));
  app.use(memberListRouter(deps.intake, deps.maxBodyBytes));
  app.use(notFound);
  app.use(problemHandler(deps.logger));
  return app;
}
