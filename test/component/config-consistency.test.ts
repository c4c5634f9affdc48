/**
 * Every instance on a shared store should run with the same CONFIG_DIR. Two in-process gateways on one
 * PostgreSQL database whose CONFIG_DIRs differ (one arrangement changed): each shows its digest in
 * /readyz and /metrics, and at least one logs a warning naming both digests and the other instance,
 * without any file contents; readiness is not affected.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadinessReport } from '../../src/operations/readiness.js';
import { deleteTopology } from '../support/broker.js';
import { waitUntil } from '../support/delivery-audit.js';
import { createPartnerKey } from '../support/partner-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { removeTestFiles, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CHANGED_PROGRAM = 'Secure Export Scheme, as amended locally';
const WARNING = 'another gateway instance on the store runs with a different configuration (CONFIG_DIR)';

const lines = (test: TestGateway) => test.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

async function readiness(test: TestGateway): Promise<{ status: number; body: ReadinessReport }> {
  const response = await test.http.get('/readyz');
  return { status: response.status, body: response.body as ReadinessReport };
}

async function metrics(test: TestGateway) {
  return parsePrometheusText((await test.http.get('/metrics')).text);
}

describe('instances on one store with different configurations', () => {
  let database: TestDatabase;
  let first: TestGateway | undefined;
  let second: TestGateway | undefined;

  beforeAll(async () => {
    const key = await createPartnerKey('EU');
    database = await createTestDatabase('mra_config_digest');
    first = await startTestGateway({ keys: [key], databaseUrl: database.url, env: { INSTANCE_HEARTBEAT_SECONDS: '1' } });
    const { exchange, queue, deadLetterExchange, deadLetterQueue } = first.topology;
    // Its own CONFIG_DIR, with one arrangement changed; the same topology as the first.
    second = await startTestGateway({
      keys: [key],
      databaseUrl: database.url,
      arrangements: { NZ: { program: CHANGED_PROGRAM } },
      env: {
        INSTANCE_HEARTBEAT_SECONDS: '1',
        AMQP_EXCHANGE: exchange,
        AMQP_QUEUE: queue,
        AMQP_DEAD_LETTER_EXCHANGE: deadLetterExchange,
        AMQP_DEAD_LETTER_QUEUE: deadLetterQueue,
      },
    });
  });

  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    if (first) await deleteTopology(first.topology);
    for (const test of [first, second]) if (test) removeTestFiles(test);
    await database?.drop();
  });

  it('the CONFIG_DIRs really differ only in the changed arrangement', () => {
    const registry = (test: TestGateway) => readFileSync(path.join(test.configDir, 'mras.json'), 'utf8');
    expect(registry(second!)).toContain(CHANGED_PROGRAM);
    expect(registry(first!)).not.toContain(CHANGED_PROGRAM);
  });

  it('each shows its digest in /readyz, and the difference does not make either not ready', async () => {
    let reports: { status: number; body: ReadinessReport }[] = [];
    await waitUntil('both gateways are ready', async () => {
      reports = await Promise.all([readiness(first!), readiness(second!)]);
      return reports.every((r) => r.status === 200);
    });
    const [a, b] = reports.map((r) => r.body.checks.config!.digest);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    for (const report of reports) expect(report.body).toMatchObject({ status: 'ready', reasons: [] });
  });

  it('is logged at warn, naming both digests and the other instance, once per instance and digest', async () => {
    const [{ body: a }, { body: b }] = await Promise.all([readiness(first!), readiness(second!)]);
    const digests = { first: a.checks.config!.digest, second: b.checks.config!.digest };
    const warningsOf = (test: TestGateway) => lines(test).filter((l) => l.message === WARNING);
    await waitUntil('both gateways warned', () => warningsOf(first!).length > 0 && warningsOf(second!).length > 0, 15_000);
    const ids = { first: first!.gateway.store.instances.instanceId, second: second!.gateway.store.instances.instanceId };
    expect(warningsOf(first!)[0]).toMatchObject({ level: 'warn', instanceId: ids.first, configDigest: digests.first, otherInstanceId: ids.second, otherConfigDigest: digests.second });
    expect(warningsOf(second!)[0]).toMatchObject({ level: 'warn', instanceId: ids.second, configDigest: digests.second, otherInstanceId: ids.first, otherConfigDigest: digests.first });
    // Heartbeats go on every second; the warning is not repeated.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(warningsOf(first!)).toHaveLength(1);
    expect(warningsOf(second!)).toHaveLength(1);
    // No file contents: neither the registry text nor key material.
    for (const test of [first!, second!]) {
      const said = JSON.stringify(warningsOf(test));
      expect(said).not.toContain(CHANGED_PROGRAM);
      expect(said).not.toContain('Secure Export Scheme');
      expect(said).not.toMatch(/"x":|"kty"/);
    }
  });

  it('shows in /metrics: the digest as mra_config_info, the differing instances as mra_config_digest_mismatch', async () => {
    const [{ body: a }, { body: b }] = await Promise.all([readiness(first!), readiness(second!)]);
    await waitUntil('both count one differing instance', async () => {
      const [ma, mb] = await Promise.all([metrics(first!), metrics(second!)]);
      return sampleValue(ma, 'mra_config_digest_mismatch') === 1 && sampleValue(mb, 'mra_config_digest_mismatch') === 1;
    }, 15_000);
    const [ma, mb] = await Promise.all([metrics(first!), metrics(second!)]);
    expect(sampleValue(ma, 'mra_config_info', { digest: a.checks.config!.digest })).toBe(1);
    expect(sampleValue(mb, 'mra_config_info', { digest: b.checks.config!.digest })).toBe(1);
    expect(ma.filter((s) => s.name === 'mra_config_info')).toHaveLength(1);
  });

  it('an instance that stops leaves the list: the other no longer counts it', async () => {
    await second!.stop();
    await waitUntil('the first counts no differing instance', async () => sampleValue(await metrics(first!), 'mra_config_digest_mismatch') === 0, 15_000);
  });
});
