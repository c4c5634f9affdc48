import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { GatewayError } from '../domain/gateway-error.js';
import type { AdminPrincipal, AdminAuthenticator } from './admin-authenticator.js';
import type { AdminRole } from './admin-key.js';
import {
  readAddKeyRequest,
  readAuditQuery,
  readEmptyRequest,
  readRetireRequest,
  readRevokeRequest,
  readStatusChangeRequest,
} from './admin-requests.js';
import type { AdminActor } from './admin-store.js';
import type { ArrangementAdmin } from './arrangement-admin.js';
import type { AuditLog } from './audit-log.js';
import type { PartnerKeyAdmin } from './partner-key-admin.js';
import type { ReceiptKeyAdmin } from './receipt-key-admin.js';

/** Everything the admin API calls. */
export interface AdminApi {
  authenticator: AdminAuthenticator;
  arrangements: ArrangementAdmin;
  partnerKeys: PartnerKeyAdmin;
  receiptKeys: ReceiptKeyAdmin;
  audit: AuditLog;
}

/** Admin bodies are a few fields and at most one JWK. */
const MAX_ADMIN_BODY = '64kb';

/**
 * The admin API (ICD 3), mounted at /admin/v1. Every request, to a known path or not, is authenticated
 * first, before its body is read; then each route checks its role, reads its input and calls one
 * admin service.
 */
export function adminRouter(api: AdminApi): Router {
  const router = Router();
  router.use(authenticate(api.authenticator), requireJsonBody, express.json({ limit: MAX_ADMIN_BODY }));

  router.get('/administrations', role('arrangements'), async (_req, res) => {
    res.json({ administrations: await api.arrangements.list() });
  });
  router.get('/administrations/:code', role('arrangements'), async (req, res) => {
    res.json(await api.arrangements.get(param(req, 'code')));
  });
  router.patch('/administrations/:code', role('arrangements'), async (req, res) => {
    res.json(await api.arrangements.changeStatus(actor(res), param(req, 'code'), readStatusChangeRequest(req.body)));
  });
  router.get('/administrations/:code/keys', role('keys'), async (req, res) => {
    const code = param(req, 'code');
    res.json({ administration: code, keys: await api.partnerKeys.list(code) });
  });
  router.post('/administrations/:code/keys', role('keys'), async (req, res) => {
    res.status(201).json(await api.partnerKeys.add(actor(res), param(req, 'code'), readAddKeyRequest(req.body)));
  });
  router.post('/administrations/:code/keys/:kid/retire', role('keys'), async (req, res) => {
    const { notAfter } = readRetireRequest(req.body);
    res.json(await api.partnerKeys.retire(actor(res), param(req, 'code'), param(req, 'kid'), notAfter));
  });
  router.post('/administrations/:code/keys/:kid/revoke', role('keys'), async (req, res) => {
    const { reason } = readRevokeRequest(req.body);
    res.json(await api.partnerKeys.revoke(actor(res), param(req, 'code'), param(req, 'kid'), reason));
  });
  router.get('/receipt-keys', role('receipt-keys'), async (_req, res) => {
    res.json(await api.receiptKeys.list());
  });
  router.post('/receipt-keys/rotate', role('receipt-keys'), async (req, res) => {
    readEmptyRequest(req.body);
    res.status(201).json(await api.receiptKeys.rotate(actor(res)));
  });
  router.post('/receipt-keys/:kid/retire', role('receipt-keys'), async (req, res) => {
    readEmptyRequest(req.body);
    res.json(await api.receiptKeys.retire(actor(res), param(req, 'kid')));
  });
  router.get('/audit', role('audit'), async (req, res) => {
    const { after, limit } = readAuditQuery(req.query);
    res.json(await api.audit.page(after, limit));
  });

  // The audit log in particular has no way to change it: PUT, PATCH and DELETE are 405 like any other.
  const allowed: Record<string, string> = {
    '/administrations': 'GET',
    '/administrations/:code': 'GET, PATCH',
    '/administrations/:code/keys': 'GET, POST',
    '/administrations/:code/keys/:kid/retire': 'POST',
    '/administrations/:code/keys/:kid/revoke': 'POST',
    '/receipt-keys': 'GET',
    '/receipt-keys/rotate': 'POST',
    '/receipt-keys/:kid/retire': 'POST',
    '/audit': 'GET',
  };
  for (const [path, methods] of Object.entries(allowed)) {
    router.all(path, (req, res) => {
      res.set('Allow', methods);
      throw new GatewayError('method-not-allowed', `${req.method} is not supported here (allowed: ${methods}).`);
    });
  }
  router.use(badJsonBody);
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

/** body-parser's JSON syntax errors become 400s; everything else goes to the gateway's problem handler. */
const badJsonBody: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  if (typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'entity.parse.failed') {
    next(new GatewayError('invalid-request', 'The request body is not valid JSON.'));
    return;
  }
  next(error);
};

function actor(res: Response): AdminActor {
  const principal = res.locals.admin as AdminPrincipal;
  return { kid: principal.kid, sub: principal.sub, requestId: res.locals.requestId as string };
}

function param(req: Request, name: string): string {
  return String(req.params[name]);
}
