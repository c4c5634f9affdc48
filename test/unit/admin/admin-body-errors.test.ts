import express, { type RequestHandler } from 'express';
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import type { AdminAuthenticator } from '../../../src/admin/admin-authenticator.js';
import { ADMIN_ROLES } from '../../../src/admin/admin-key.js';
import { adminRouter, type AdminApi } from '../../../src/admin/admin-router.js';
import type { MemberListIntake } from '../../../src/domain/intake/member-list-intake.js';
import { BodyMemoryBudget } from '../../../src/http/body-memory-budget.js';
import { memberListRouter } from '../../../src/http/member-list-router.js';
import { SubmissionSlots } from '../../../src/http/submission-slots.js';
import { problemHandler } from '../../../src/http/problem-responses.js';
import { createLogger } from '../../../src/logging/logger.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;

/**
 * Makes body-parser meet the failure named in the X-Body-Failure header while it reads the body:
 * "aborted" (the client went away mid-body: request.aborted) or "encoding" (stream.encoding.set).
 */
const bodyFailure: RequestHandler = (req, _res, next) => {
  const failure = req.get('x-body-failure');
  if (failure === 'encoding') req.setEncoding('utf8');
  if (failure === 'aborted') {
    const on = req.on.bind(req);
    req.on = ((event: string, listener: (...args: unknown[]) => void) => {
      on(event, listener);
      // Before any of the body is delivered: what raw-body hears when the connection drops.
      if (event === 'aborted') queueMicrotask(listener);
      return req;
    }) as typeof req.on;
  }
  next();
};

function app() {
  const admin = {
    authenticator: { authenticate: async () => ({ kid: 'alice-2026', sub: 'alice', roles: ADMIN_ROLES }) } as unknown as AdminAuthenticator,
  } as AdminApi;
  const intake = {
    submit: () => {
      throw new Error('the body never arrives');
    },
  } as unknown as MemberListIntake;
  const silent = createLogger('error', new Writable({ write: (_chunk, _encoding, done) => done() }));
  const server = express();
  server.use(bodyFailure);
  const body = { maxBytes: 1_000_000, maxEncodedBytes: 1_000_000, maxExpansionRatio: 100 };
  server.use(memberListRouter(intake, { body, budget: new BodyMemoryBudget(10_000_000, 10), slots: new SubmissionSlots(2, 1_000_000, 10) }));
  server.use('/admin/v1', adminRouter(admin));
  server.use(problemHandler(silent));
  return supertest(server);
}

describe('a request body that is not received completely', () => {
  for (const failure of ['aborted', 'encoding']) {
    it(`(${failure}) is the admin API's 400 invalid-request on admin paths`, async () => {
      const response = await app().post('/admin/v1/administrations/EU/keys/k1/revoke').set('X-Body-Failure', failure).send({ reason: 'exposed' });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ type: problem('invalid-request'), detail: 'The request body was not received completely.' });
    });

    it(`(${failure}) stays the partner API's 400 malformed-jws on /v1/member-lists`, async () => {
      const response = await app().post('/v1/member-lists').set('X-Body-Failure', failure).set('Content-Type', 'application/jose').send('a.b.c');
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ type: problem('malformed-jws'), detail: 'The request body was not received completely.' });
    });
  }
});
