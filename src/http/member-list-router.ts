import { Router, type Request, type RequestHandler, type Response } from 'express';
import { GatewayError } from '../domain/gateway-error.js';
import type { MemberListIntake } from '../domain/intake/member-list-intake.js';
import { ReceivedBody } from '../domain/intake/received-body.js';
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
    const received = await receive(req, res, limits);
    const release = limits.slots.tryAcquire(received.size);
    if (!release) {
      throw new GatewayError('server-busy', `The gateway is processing as many large member lists as it may (${limits.slots.slots}); retry later.`, {
        extensions: { retryAfter: limits.slots.retryAfterSeconds },
      });
    }
    try {
      const result = await intake.submit(received.body, res.locals.serialization as JwsSerialization, { requestId: res.locals.requestId as string });
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

/**
 * Reads the body within its limits and memory budget (reserved until the response is finished). The
 * bytes go to the intake in a ReceivedBody, with no other reference here: the intake lets them go
 * once it has verified them.
 */
async function receive(req: Request, res: Response, limits: SubmissionLimits): Promise<{ body: ReceivedBody; size: number }> {
  const reservation = limits.budget.open();
  res.once('close', () => reservation.release());
  try {
    const read = await readRequestBody(req, res.locals.encoding as string, limits.body, reservation);
    return { body: new ReceivedBody(read.body), size: read.body.length };
  } catch (error) {
    // The rest of the body is not read: close the connection once the problem is sent.
    res.set('Connection', 'close');
    throw error;
  }
}
