import { Router, type RequestHandler } from 'express';
import { GatewayError } from '../domain/gateway-error.js';
import type { MemberListIntake } from '../domain/intake/member-list-intake.js';
import type { JwsSerialization } from '../domain/signature/jws-envelope.js';
import type { AccessLogFields } from './access-log.js';
import type { BodyMemoryBudget } from './body-memory-budget.js';
import { contentEncodingOf, declaredLengthProblem, readRequestBody, type BodyLimits } from './request-body.js';
import type { SubmissionSlots } from './submission-slots.js';

const SERIALIZATION_BY_MEDIA_TYPE: Record<string, JwsSerialization> = {
  'application/jose': 'compact',
  'application/jose+json': 'json',
};

/** What bounds the work a submission can cause before its sender is known. */
export interface SubmissionLimits {
  body: BodyLimits;
  budget: BodyMemoryBudget;
  slots: SubmissionSlots;
}

/**
 * POST /v1/member-lists (ICD 1). Rule 1 is checked here before the body is read: the declared size,
 * then the media type and the content coding. The body is then read within its limits (request-body),
 * a large one waits for nothing: it takes a processing slot or is refused, and the rest is the
 * intake's story.
 */
export function memberListRouter(intake: MemberListIntake, limits: SubmissionLimits): Router {
  const router = Router();
  const checkTransport: RequestHandler = (req, res, next) => {
    const encoding = contentEncodingOf(req);
    const tooLarge = declaredLengthProblem(req, encoding, limits.body);
    if (tooLarge) {
      res.set('Connection', 'close');
      throw tooLarge;
    }
    const mediaType = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const serialization = SERIALIZATION_BY_MEDIA_TYPE[mediaType];
    if (!serialization) {
      throw new GatewayError('unsupported-media-type', 'Send the JWS as application/jose (compact) or application/jose+json (JSON serialization).');
    }
    res.locals.serialization = serialization;
    res.locals.encoding = encoding;
    next();
  };

  router.post('/v1/member-lists', checkTransport, async (req, res) => {
    const reservation = limits.budget.open();
    res.once('close', () => reservation.release());
    let read;
    try {
      read = await readRequestBody(req, res.locals.encoding as string, limits.body, reservation);
    } catch (error) {
      // The rest of the body is not read: close the connection once the problem is sent.
      res.set('Connection', 'close');
      throw error;
    }
    const release = limits.slots.tryAcquire(read.body.length);
    if (!release) {
      throw new GatewayError('server-busy', `The gateway is processing as many large member lists as it may (${limits.slots.slots}); retry later.`, {
        extensions: { retryAfter: limits.slots.retryAfterSeconds },
      });
    }
    try {
      const result = await intake.submit(read.body, res.locals.serialization as JwsSerialization, { requestId: res.locals.requestId as string });
      const fields: AccessLogFields = { administration: result.summary.administration, messageId: result.summary.messageId, outcome: result.status === 202 ? 'accepted' : 'replayed' };
      res.locals.logFields = fields;
      res.status(result.status).json(result.receipt);
    } finally {
      release();
    }
  });
  router.all('/v1/member-lists', (req) => {
    throw new GatewayError('method-not-allowed', `${req.method} is not supported here; submit with POST.`);
  });
  return router;
}
