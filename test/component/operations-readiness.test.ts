import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadinessReport } from '../../src/operations/readiness.js';
import { deleteTopology } from '../support/broker.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { removeTestFiles, startTestGateway, waitForOutboxDrained, type TestGateway } from '../support/test-gateway.js';

const MAX_BACKLOG_AGE_SECONDS = 1;

/** Polls /readyz until it answers `status`; returns that answer. Fails after `timeoutMs`. */
async function readinessBecomes(test: TestGateway, status: 200 | 503, timeoutMs = 20_000): Promise<ReadinessReport> {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: unknown } | undefined;
  while (Date.now() < deadline) {
    const response = await test.http.get('/readyz');
    last = { status: response.status, body: response.body };
    if (response.status === status) return response.body as ReadinessReport;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/readyz did not answer ${status} within ${timeoutMs} ms; last answer ${JSON.stringify(last)}`);
}

describe('readiness follows the broker and the outbox', () => {
  let proxy: TcpProxy;
  let key: PartnerSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    proxy = await TcpProxy.start(5672);
    key = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [key], amqpUrl: proxy.url, env: { READY_MAX_BACKLOG_AGE_SECONDS: String(MAX_BACKLOG_AGE_SECONDS) } });
  });

  afterAll(async () => {
    await test?.stop();
    await proxy?.close();
    if (test) {
      await deleteTopology(test.topology);
      removeTestFiles(test);
    }
  });

  it('is ready once the store is writable and the broker connected', async () => {
    const report = await readinessBecomes(test, 200);
    expect(report).toEqual({
      status: 'ready',
      reasons: [],
      checks: {
        store: { writable: true },
        broker: { connected: true },
        outbox: { backlog: 0, oldestAgeSeconds: null, maxAgeSeconds: MAX_BACKLOG_AGE_SECONDS },
        config: { digest: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown },
      },
    });
  });

  it('is not ready, saying why, while the broker is away; still alive and still taking lists', async () => {
    proxy.refuse();
    const report = await readinessBecomes(test, 503);
    expect(report.status).toBe('not-ready');
    expect(report.reasons).toContain('broker-disconnected');
    expect(report.checks.broker.connected).toBe(false);
    expect((await test.http.get('/healthz')).status).toBe(200);
    const metrics = parsePrometheusText((await test.http.get('/metrics')).text);
    expect(sampleValue(metrics, 'mra_broker_connected')).toBe(0);
    expect(sampleValue(metrics, 'mra_broker_disconnections_total')).toBeGreaterThanOrEqual(1);

    const list = memberList([euMember()]);
    const submitted = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(list, key));
    expect(submitted.status).toBe(202);
  });

  it('adds the outbox backlog as a reason once its oldest record is older than the limit', async () => {
    await new Promise((resolve) => setTimeout(resolve, (MAX_BACKLOG_AGE_SECONDS + 0.5) * 1000));
    const response = await test.http.get('/readyz');
    const report = response.body as ReadinessReport;
    expect(response.status).toBe(503);
    expect(report.reasons).toEqual(['broker-disconnected', 'outbox-backlog-too-old']);
    expect(report.checks.outbox.backlog).toBe(1);
    expect(report.checks.outbox.oldestAgeSeconds).toBeGreaterThan(MAX_BACKLOG_AGE_SECONDS);
  });

  it('is ready again when the broker is back and the backlog has drained', async () => {
    proxy.accept();
    await waitForOutboxDrained(test);
    const report = await readinessBecomes(test, 200);
    expect(report.reasons).toEqual([]);
    expect(report.checks).toMatchObject({ broker: { connected: true }, outbox: { backlog: 0, oldestAgeSeconds: null } });
    expect(sampleValue(parsePrometheusText((await test.http.get('/metrics')).text), 'mra_broker_connected')).toBe(1);
  });

  it('never shows the broker URL or its credentials', async () => {
    const text = (await test.http.get('/readyz')).text;
    expect(text).not.toContain('guest');
    expect(text).not.toContain(String(proxy.port));
  });
});
