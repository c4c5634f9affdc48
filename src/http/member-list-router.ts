import express, { Router, type RequestHandler } from 'express';
import { GatewayError } from '../domain/gateway-error.js';
import type { MemberListIntake } from '../domain/intake/member-list-intake.js';
import type { JwsSerialization } from '../domain/signature/jws-envelope.js';
import type { AccessLogFields } from './access-log.js';

const SERIALIZATION_BY_MEDIA_TYPE: Record<string, JwsSerialization> = {
  'application/jose': 'compact',
  'application/jose+json': 'json',
};

/**
 * POST /v1/member-lists (ICD 1). Rule 1 is checked here, size first, then media type, before the body
 * is read; the rest is the intake's story.
 */
export function memberListRouter(intake: MemberListIntake, maxBodyBytes: number): Router {
  const router = Router();
  const checkTransport: RequestHandler = (req, res, next) => {
    const declaredLength = Number(req.get('content-length') ?? 0);
    if (declaredLength > maxBodyBytes) {
      res.set('Connection', 'close');
      throw new GatewayError('payload-too-large', `The body is ${declaredLength} bytes; the limit is ${maxBodyBytes}.`);
    }
    const mediaType = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const serialization = SERIALIZATION_BY_MEDIA_TYPE[mediaType];
    if (!serialization) {
      throw new GatewayError('unsupported-media-type', 'Send the JWS as application/jose (compact) or application/jose+json (JSON serialization).');
    }
    res.locals.serialization = serialization;
    next();
  };
  const readBody = express.raw({ type: () => true, limit: maxBodyBytes });

  router.post('/v1/member-lists', checkTransport, readBody, async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = await intake.submit(body, res.locals.serialization as JwsSerialization);
    const fields: AccessLogFields = { administration: result.summary.administration, messageId: result.summary.messageId, outcome: result.status === 202 ? 'accepted' : 'replayed' };
    res.locals.logFields = fields;
    res.status(result.status).json(result.receipt);
  });
  router.all('/v1/member-lists', (req) => {
    throw new GatewayError('method-not-allowed', `${req.method} is not supported here; submit with POST.`);
  });
  return router;
}
