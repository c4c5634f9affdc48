import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestConsumer } from '../support/broker.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { parsePrometheusText, sampleValue, type Sample } from '../support/prometheus-text.js';
import { startTestGateway, waitForOutboxDrained, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const DAY = 86_400;

describe('metrics after real submissions', () => {
  let euKey: PartnerSigningKey;
  let jpKey: PartnerSigningKey;
  let caKey: PartnerSigningKey;
  let stranger: PartnerSigningKey;
  let test: TestGateway;
  let consumer: TestConsumer;
  let samples: Sample[];
  let text: string;
  const euKeyEnds = new Date(Date.now() + 30 * DAY * 1000);

  beforeAll(async () => {
    euKey = await createPartnerKey('EU');
    jpKey = await createPartnerKey('JP');
    caKey = await createPartnerKey('CA');
    stranger = await createPartnerKey('EU');
    test = await startTestGateway({
      keys: [euKey, jpKey, caKey],
      keyWindows: { [euKey.kid]: { notAfter: euKeyEnds.toISOString() }, [caKey.kid]: { notAfter: new Date(Date.now() - DAY * 1000).toISOString() } },
    });
    consumer = await TestConsumer.bind(test.topology.exchange);

    const post = async (body: string) => test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body);
    const snapshot = await signCompact(
      memberList([
        euMember(),
        euMember({ memberId: 'FR987654321', certificateType: 'AEOS', address: { lines: ['1 Quai'], city: 'Bordeaux', country: 'FR' } }),
        euMember({ memberId: 'IT00112233445', certificateType: 'AEOC', address: { lines: ['Via Roma 1'], city: 'Milano', country: 'IT' } }),
      ]),
      euKey,
    );
    expect((await post(snapshot)).status).toBe(202);
    expect((await post(snapshot)).status).toBe(200);
    const next = memberList([euMember({ status: 'suspended', statusSince: '2026-01-01' }), euMember({ memberId: 'FR987654321', certificateType: 'AEOS', address: { lines: ['1 Quai'], city: 'Bordeaux', country: 'FR' } })]);
    expect((await post(await signCompact(next, euKey))).status).toBe(202);
    expect((await post(await signCompact(memberList([euMember()]), stranger))).status).toBe(401);
    expect((await post(await signCompact({ ...memberList([]), specVersion: '2.0' }, euKey))).status).toBe(422);
    expect((await test.http.post('/v1/member-lists').set('Content-Type', 'text/plain').send('hello')).status).toBe(415);

    await consumer.waitForCount(5);
    await waitForOutboxDrained(test);
    const response = await test.http.get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    text = response.text;
    samples = parsePrometheusText(text);
  });

  afterAll(async () => {
    await consumer?.close();
    await disposeTestGateway(test);
  });

  it('counts submissions by administration and outcome, and rejections by problem type', () => {
    expect(sampleValue(samples, 'mra_submissions_total', { administration: 'EU', outcome: 'accepted' })).toBe(2);
    expect(sampleValue(samples, 'mra_submissions_total', { administration: 'EU', outcome: 'replayed' })).toBe(1);
    expect(sampleValue(samples, 'mra_submissions_total', { administration: 'EU', outcome: 'rejected' })).toBe(1);
    expect(sampleValue(samples, 'mra_submissions_total', { administration: 'unknown', outcome: 'rejected' })).toBe(2);
    expect(sampleValue(samples, 'mra_submission_rejections_total', { problem: 'unknown-key' })).toBe(1);
    expect(sampleValue(samples, 'mra_submission_rejections_total', { problem: 'schema-violation' })).toBe(1);
    expect(sampleValue(samples, 'mra_submission_rejections_total', { problem: 'unsupported-media-type' })).toBe(1);
  });

  it('counts members per change type, and the records the broker confirmed', () => {
    const received = (change: string) => sampleValue(samples, 'mra_members_received_total', { administration: 'EU', change });
    expect([received('added'), received('updated'), received('status-changed'), received('removed'), received('unchanged')]).toEqual([3, 0, 1, 1, 1]);
    const published = (change: string) => sampleValue(samples, 'mra_records_published_total', { administration: 'EU', change });
    expect([published('added'), published('status-changed'), published('removed')]).toEqual([3, 1, 1]);
    expect(sampleValue(samples, 'mra_record_publish_duration_seconds_count')).toBe(5);
    expect(sampleValue(samples, 'mra_record_publish_duration_seconds_sum')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'mra_record_delivery_delay_seconds_count')).toBe(5);
  });

  it('shows the outbox drained and the broker connected', () => {
    expect(sampleValue(samples, 'mra_outbox_backlog_records')).toBe(0);
    expect(sampleValue(samples, 'mra_outbox_oldest_record_age_seconds')).toBe(0);
    expect(sampleValue(samples, 'mra_broker_connected')).toBe(1);
    expect(sampleValue(samples, 'mra_broker_disconnections_total')).toBe(0);
  });

  it('shows each administration’s key expiry horizon', () => {
    const eu = sampleValue(samples, 'mra_partner_key_expiry_horizon_seconds', { administration: 'EU' });
    expect(Math.abs(eu - (euKeyEnds.getTime() - Date.now()) / 1000)).toBeLessThan(120);
    expect(sampleValue(samples, 'mra_partner_key_expiry_horizon_seconds', { administration: 'JP' })).toBe(Infinity);
    expect(sampleValue(samples, 'mra_partner_key_expiry_horizon_seconds', { administration: 'CA' })).toBe(0);
    expect(samples.filter((s) => s.name === 'mra_partner_key_expiry_horizon_seconds').map((s) => s.labels.administration).sort()).toEqual(['CA', 'EU', 'JP']);
  });

  it('times HTTP requests by route pattern and status', () => {
    const count = (labels: Record<string, string>) => sampleValue(samples, 'mra_http_request_duration_seconds_count', { method: 'POST', route: '/v1/member-lists', ...labels });
    expect([count({ status: '202' }), count({ status: '200' }), count({ status: '401' }), count({ status: '422' }), count({ status: '415' })]).toEqual([2, 1, 1, 1, 1]);
    expect(sampleValue(samples, 'mra_http_request_duration_seconds_sum', { method: 'POST', route: '/v1/member-lists', status: '202' })).toBeGreaterThan(0);
  });

  it('labels unknown paths as unmatched, never with the raw path', async () => {
    await test.http.get('/no/such/path/4711');
    const after = parsePrometheusText((await test.http.get('/metrics')).text);
    expect(sampleValue(after, 'mra_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(after.some((s) => Object.values(s.labels).some((v) => v.includes('4711')))).toBe(false);
  });

  it('includes the process metrics and no secrets', () => {
    expect(samples.some((s) => s.name === 'process_cpu_seconds_total')).toBe(true);
    expect(text).not.toContain('amqp://');
    expect(text).not.toContain('guest');
    expect(text).not.toContain(euKey.publicJwk.x as string);
  });
});
