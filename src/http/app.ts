import express, { type Express } from 'express';
import type { Logger } from 'winston';
import { adminRouter, type AdminApi } from '../admin/admin-router.js';
import { memberRegisterRouter, type MemberRegisterDependencies } from '../register/member-register-router.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { MemberListIntake } from '../domain/intake/member-list-intake.js';
import { TokenBuckets } from '../domain/token-bucket.js';
import type { ReceiptKeys } from '../receipts/receipt-keys.js';
import { accessLog } from './access-log.js';
import { apiDocumentsRouter } from './api-documents-router.js';
import { bodyReadTimeout } from './body-read-timeout.js';
import { consoleRouter } from './console-router.js';
import { memberListRouter, type SubmissionLimits } from './member-list-router.js';
import { operationsRouter, type OperationsDependencies } from './operations-router.js';
import { notFound, problemHandler } from './problem-responses.js';
import { clientRateLimit } from './rate-limiter.js';
import { requestIdMiddleware, securityHeaders } from './request-context.js';
import { requestMetrics } from './request-metrics.js';
import { wellKnownRouter } from './well-known-router.js';

export interface AppDependencies {
  intake: MemberListIntake;
  receiptKeys: ReceiptKeys;
  logger: Logger;
  /** Body size, encoding, memory and concurrency limits of member-list submissions. */
  submissionLimits: SubmissionLimits;
  /** Administration (ICD 3); without it the app serves no /admin/v1. */
  admin?: AdminApi;
  /** The member register's reads (ICD 5); without it the app serves no /v1/members. */
  register?: MemberRegisterDependencies;
  /** Readiness and metrics; without them the app serves no /readyz or /metrics. */
  operations?: OperationsDependencies;
  /** Requests per minute per client address (0: none), and how long a body may stall; defaults: none, 30 s. */
  limits?: { perClientPerMinute: number; bodyIdleMs: number };
  clock?: Clock;
  /** The administrators' web console, a static build (CONSOLE_DIR); without it the app serves no /console. */
  consoleDir?: string;
  /** Where clients reach this gateway (PUBLIC_BASE_URL, else its own address): the schemas' `$id`s name it. */
  publicBaseUrl: () => string;
}

/** Builds the HTTP API. It never listens: the caller (main, or a test on port 0) does. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIdMiddleware, securityHeaders, accessLog(deps.logger));
  if (deps.operations) app.use(requestMetrics(deps.operations.metrics));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'alive' });
  });
  if (deps.operations) app.use(operationsRouter(deps.operations));
  // Probes and scrapes above are never limited; everything below is, 404s included.
  const perClientPerMinute = deps.limits?.perClientPerMinute ?? 0;
  if (perClientPerMinute > 0) app.use(clientRateLimit(new TokenBuckets({ perMinute: perClientPerMinute }), deps.clock ?? systemClock));
  app.use(bodyReadTimeout(deps.limits?.bodyIdleMs ?? 30_000));
  app.use(apiDocumentsRouter(deps.publicBaseUrl));
  app.use(wellKnownRouter(deps.receiptKeys));
  app.use(memberListRouter(deps.intake, deps.submissionLimits));
  if (deps.register) app.use(memberRegisterRouter(deps.register));
  if (deps.admin) app.use('/admin/v1', adminRouter(deps.admin));
  if (deps.consoleDir !== undefined) app.use('/console', consoleRouter(deps.consoleDir, deps.logger));
  app.use(notFound);
  app.use(problemHandler(deps.logger));
  return app;
}
