import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { GatewayError } from '../domain/gateway-error.js';
import type { AdminPrincipal, AdminAuthenticator } from './admin-authenticator.js';
import { ADMIN_API_ROLES, type AdminRole } from './admin-key.js';
import {
  readAddKeyRequest,
  readAuditQuery,
  readDailySubmissionQuery,
  readEmptyRequest,
  readNoQuery,
  readRetireRequest,
  readRevokeRequest,
  readStatusChangeRequest,
  readSubmissionQuery,
} from './admin-requests.js';
import type { AdminOverview } from './admin-overview.js';
import type { AdminActor } from './admin-store.js';
import type { ArrangementAdmin } from './arrangement-admin.js';
import type { AuditLog } from './audit-log.js';
import type { PartnerKeyAdmin } from './partner-key-admin.js';
import type { ReceiptKeyAdmin } from './receipt-key-admin.js';
import type { SubmissionLog } from './submission-log.js';

/** Everything the admin API calls. */
export interface AdminApi {
  authenticator: AdminAuthenticator;
  arrangements: ArrangementAdmin;
  partnerKeys: PartnerKeyAdmin;
  receiptKeys: ReceiptKeyAdmin;
  audit: AuditLog;
  submissions: SubmissionLog;
  overview: AdminOverview;
}

/** Admin bodies are a few fields and at most one JWK. */
const MAX_ADMIN_BODY = '64kb';

/**
 * The admin API (ICD 3), mounted at /admin/v1. Every request, to a known path or not, is authenticated
 * first, before its body is read; then each route checks its role (`read`: any admin role; a change:
 * its own), reads its input and calls one admin service.
 */
export function adminRouter(api: AdminApi): Router {
  const router = Router();
  router.use(authenticate(api.authenticator), requireJsonBody, express.json({ limit: MAX_ADMIN_BODY }));

  // Each route is registered through `on`, which also notes its method for the path's 405 answer.
  const methods = new Map<string, string[]>();
  const on = (method: 'get' | 'post' | 'patch', path: string, ...handlers: RequestHandler[]) => {
    router[method](path, ...handlers);
    // Express answers HEAD with the GET route (headers only), so HEAD is allowed wherever GET is.
    const names = method === 'get' ? ['GET', 'HEAD'] : [method.toUpperCase()];
    methods.set(path, [...(methods.get(path) ?? []), ...names]);
  };

  // Who the caller is: any key the gateway accepts, whatever its roles (a console shows what it may do).
  on('get', '/me', (_req, res) => {
    const { kid, sub, roles } = res.locals.admin as AdminPrincipal;
    res.json({ kid, sub, roles });
  });
  on('get', '/overview', read, async (req, res) => {
    readNoQuery(req.query);
    res.json(await api.overview.overview());
  });
  on('get', '/administrations', read, async (_req, res) => {
    res.json({ administrations: await api.arrangements.list() });
  });
  on('get', '/administrations/:code', read, async (req, res) => {
    res.json(await api.arrangements.get(param(req, 'code')));
  });
  on('patch', '/administrations/:code', role('arrangements'), async (req, res) => {
    res.json(await api.arrangements.changeStatus(actor(res), param(req, 'code'), readStatusChangeRequest(req.body)));
  });
  on('get', '/administrations/:code/keys', read, async (req, res) => {
    const code = param(req, 'code');
    res.json({ administration: code, keys: await api.partnerKeys.list(code) });
  });
  on('post', '/administrations/:code/keys', role('keys'), async (req, res) => {
    res.status(201).json(await api.partnerKeys.add(actor(res), param(req, 'code'), readAddKeyRequest(req.body)));
  });
  on('post', '/administrations/:code/keys/:kid/retire', role('keys'), async (req, res) => {
    const { notAfter } = readRetireRequest(req.body);
    res.json(await api.partnerKeys.retire(actor(res), param(req, 'code'), param(req, 'kid'), notAfter));
  });
  on('post', '/administrations/:code/keys/:kid/revoke', role('keys'), async (req, res) => {
    const { reason } = readRevokeRequest(req.body);
    res.json(await api.partnerKeys.revoke(actor(res), param(req, 'code'), param(req, 'kid'), reason));
  });
  on('get', '/receipt-keys', read, async (_req, res) => {
    res.json(await api.receiptKeys.list());
  });
  on('post', '/receipt-keys/rotate', role('receipt-keys'), async (req, res) => {
    readEmptyRequest(req.body);
    res.status(201).json(await api.receiptKeys.rotate(actor(res)));
  });
  on('post', '/receipt-keys/:kid/retire', role('receipt-keys'), async (req, res) => {
    readEmptyRequest(req.body);
    res.json(await api.receiptKeys.retire(actor(res), param(req, 'kid')));
  });
  on('get', '/audit', read, async (req, res) => {
    const { after, limit } = readAuditQuery(req.query);
    res.json(await api.audit.page(after, limit));
  });
  on('get', '/submissions', read, async (req, res) => {
    res.json(await api.submissions.page(readSubmissionQuery(req.query)));
  });
  // Before /submissions/:id, which would take "daily" for an id.
  on('get', '/submissions/daily', read, async (req, res) => {
    res.json(await api.submissions.daily(readDailySubmissionQuery(req.query)));
  });
  on('get', '/submissions/:id', read, async (req, res) => {
    res.json(await api.submissions.get(param(req, 'id')));
  });

  // Any other method on these paths is 405 with the methods that do answer. The audit log in particular
  // has no way to change it: PUT, PATCH and DELETE are 405 like any other.
  for (const [path, names] of methods) {
    const allow = names.join(', ');
    router.all(path, (req, res) => {
      res.set('Allow', allow);
      throw new GatewayError('method-not-allowed', `${req.method} is not supported here (allowed: ${allow}).`);
    });
  }
  router.use(adminBodyErrors);
  return router;
}

function authenticate(authenticator: AdminAuthenticator): RequestHandler {
  return async (req, res, next) => {
    let principal: AdminPrincipal;
    try {
      principal = await authenticator.authenticate(req.get('authorization'));
    } catch (error) {
      res.set('WWW-Authenticate', 'Bearer realm="mra-gateway-admin"');
      throw error;
    }
    res.locals.admin = principal;
    // Who made the request goes on its access log line, reads included.
    res.locals.logFields = { ...(res.locals.logFields as object | undefined), admin: { kid: principal.kid, sub: principal.sub } };
    next();
  };
}

/** Reads: any role of the admin API. */
const read: RequestHandler = (_req, res, next) => {
  const principal = res.locals.admin as AdminPrincipal;
  if (!principal.roles.some((r) => ADMIN_API_ROLES.includes(r))) {
    throw new GatewayError('forbidden', `The admin key "${principal.kid}" has none of the roles that read the admin API (${ADMIN_API_ROLES.join(', ')}).`);
  }
  next();
};

function role(needed: AdminRole): RequestHandler {
  return (_req, res, next) => {
    const principal = res.locals.admin as AdminPrincipal;
    if (!principal.roles.includes(needed)) {
      throw new GatewayError('forbidden', `The admin key "${principal.kid}" does not have the role "${needed}" this action needs.`);
    }
    next();
  };
}

/** A body in any other media type is refused rather than silently read as "no body". */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
  if (hasBody && !req.is('application/json')) throw new GatewayError('unsupported-media-type', 'Send admin request bodies as application/json.');
  next();
};

/** What body-parser reports for a body that is not JSON, or not received completely, in the admin API's terms. */
const BODY_ERRORS: Record<string, string> = {
  'entity.parse.failed': 'The request body is not valid JSON.',
  'request.aborted': 'The request body was not received completely.',
  'request.size.invalid': 'The request body was not received completely.',
  'stream.encoding.set': 'The request body was not received completely.',
};

/**
 * body-parser's errors for a bad body become the admin API's 400 `invalid-request` (the gateway-wide
 * handler would call an incomplete body `malformed-jws`, the partner API's problem); size, encoding and
 * charset problems, and everything else, go on to the gateway's problem handler.
 */
const adminBodyErrors: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  const detail = typeof type === 'string' && Object.hasOwn(BODY_ERRORS, type) ? BODY_ERRORS[type] : undefined;
  next(detail === undefined ? error : new GatewayError('invalid-request', detail));
};

function actor(res: Response): AdminActor {
  const principal = res.locals.admin as AdminPrincipal;
  return { kid: principal.kid, sub: principal.sub, requestId: res.locals.requestId as string };
}

function param(req: Request, name: string): string {
  return String(req.params[name]);
}
