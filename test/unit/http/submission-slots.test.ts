/**
 * Processing slots for large member lists (issue 11): at most MAX_CONCURRENT_LARGE_SUBMISSIONS large
 * bodies are verified and processed at once; one more is refused at once with 503 `server-busy` and
 * Retry-After; small lists never wait; and a slot is taken only once a body has arrived, so a slow
 * upload holds none. The intake is a stand-in whose submissions finish when the test says so.
 */
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { IntakeResult, MemberListIntake } from '../../../src/domain/intake/member-list-intake.js';
import { BodyMemoryBudget } from '../../../src/http/body-memory-budget.js';
import { memberListRouter } from '../../../src/http/member-list-router.js';
import { problemHandler } from '../../../src/http/problem-responses.js';
import { SubmissionSlots } from '../../../src/http/submission-slots.js';
import { createLogger } from '../../../src/logging/logger.js';
import { MiB } from '../../support/hostile-bodies.js';

const LARGE = 1 * MiB;
const result: IntakeResult = {
  status: 202,
  receipt: { messageId: 'm', administration: 'EU', receivedAt: new Date(0).toISOString(), outcome: 'accepted', counts: { members: 0, added: 0, updated: 0, statusChanged: 0, removed: 0, unchanged: 0, notRecognized: 0 }, warnings: [], receipt: 'x.y.z' },
  summary: { administration: 'EU', messageId: 'm', kind: 'snapshot', records: 0 },
};

/** An intake whose submissions wait until `finishAll`; `started` counts the bodies it was given. */
function heldIntake() {
  const waiting: (() => void)[] = [];
  const state = { started: 0 };
  const intake = {
    submit: async () => {
      state.started++;
      await new Promise<void>((resolve) => waiting.push(resolve));
      return result;
    },
  } as unknown as MemberListIntake;
  return { intake, state, finishAll: () => waiting.splice(0).forEach((finish) => finish()) };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function gatewayWith(intake: MemberListIntake, slots: SubmissionSlots) {
  const app = express();
  app.use(memberListRouter(intake, { body: { maxBytes: 16 * MiB, maxEncodedBytes: 16 * MiB, maxExpansionRatio: 100 }, budget: new BodyMemoryBudget(64 * MiB, 10), slots }));
  app.use(problemHandler(createLogger('error', new Writable({ write: (_c, _e, done) => done() }))));
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { http: supertest(server), port: (server.address() as AddressInfo).port };
}

const body = (bytes: number) => 'a'.repeat(bytes);
const post = (client: ReturnType<typeof supertest>, bytes: number) => client.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body(bytes));

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe('processing slots for large member lists', () => {
  it('refuse one large list beyond the slots with 503 server-busy and Retry-After, let small ones through, and free up when done', async () => {
    const { intake, state, finishAll } = heldIntake();
    const slots = new SubmissionSlots(1, LARGE, 10);
    const { http: client } = await gatewayWith(intake, slots);

    const first = post(client, LARGE + 10).then((r) => r);
    await until(() => state.started === 1);
    expect(slots.inUse).toBe(1);

    const refused = await post(client, LARGE + 10);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ type: 'urn:mra-gateway:problem:server-busy', retryAfter: 10 });
    expect(refused.headers['retry-after']).toBe('10');
    expect(state.started).toBe(1);

    const small = post(client, 1000).then((r) => r);
    await until(() => state.started === 2);
    finishAll();
    expect((await first).status).toBe(202);
    expect((await small).status).toBe(202);
    expect(slots.inUse).toBe(0);

    const again = post(client, LARGE + 10).then((r) => r);
    await until(() => state.started === 3);
    finishAll();
    expect((await again).status).toBe(202);
  });

  it('are not held by a slow upload: a complete large list is processed while another is still arriving', async () => {
    const { intake, state, finishAll } = heldIntake();
    const slots = new SubmissionSlots(1, LARGE, 10);
    const { http: client, port } = await gatewayWith(intake, slots);

    const slow = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/v1/member-lists', headers: { 'Content-Type': 'application/jose', 'Content-Length': String(2 * LARGE) } });
    slow.on('error', () => undefined);
    slow.write(body(LARGE + 10));
    await new Promise((resolve) => setTimeout(resolve, 50));

    const complete = post(client, LARGE + 10).then((r) => r);
    await until(() => state.started === 1);
    expect(slots.inUse).toBe(1);
    finishAll();
    expect((await complete).status).toBe(202);
    slow.destroy();
  });
});
