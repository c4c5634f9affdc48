import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestConsumer } from '../support/broker.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { disposeTestGateway, startTestGateway, waitForOutboxDrained, embeddedDb } from '../support/test-gateway.js';
import { waitUntil } from '../support/delivery-audit.js';

const members = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => euMember({ memberId: `DE${prefix}${String(i).padStart(6, '0')}`, legalName: `Member ${prefix} ${i} GmbH` }));

describe('records of accepted messages reach the broker even when it is away', () => {
  let key: PartnerSigningKey;
  let proxy: TcpProxy;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    key = await createPartnerKey('EU');
    proxy = await TcpProxy.start(5672);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await proxy?.close();
  });

  it('accepts while the broker is unreachable and delivers once it is back', async () => {
    proxy.refuse();
    const test = await startTestGateway({ keys: [key], amqpUrl: proxy.url });
    cleanups.push(() => disposeTestGateway(test));
    const consumer = await TestConsumer.bind(test.topology.exchange);
    cleanups.push(() => consumer.close());

    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList(members('A', 25)), key));
    expect(response.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(test.counts().unpublished).toBe(25);
    expect(consumer.records).toHaveLength(0);

    proxy.accept();
    const records = await consumer.waitForCount(25);
    await waitForOutboxDrained(test);
    expect(new Set(records.map((r) => r.body.eventId)).size).toBe(25);
    expect(records.map((r) => r.body.member.key)).toEqual(members('A', 25).map((m) => `EU:${m.memberId}`));
  });

  it('recovers when an established broker connection is cut', async () => {
    proxy.accept();
    const test = await startTestGateway({ keys: [key], amqpUrl: proxy.url });
    cleanups.push(() => disposeTestGateway(test));
    const consumer = await TestConsumer.bind(test.topology.exchange);
    cleanups.push(() => consumer.close());
    await waitUntil('the gateway connected', () => test.gateway.publisher.connected);

    proxy.refuse();
    await waitUntil('the gateway noticed the cut', () => !test.gateway.publisher.connected);
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList(members('C', 5)), key));
    expect(response.status).toBe(202);
    proxy.accept();
    const records = await consumer.waitForCount(5);
    expect(records.map((r) => r.body.member.key)).toEqual(members('C', 5).map((m) => `EU:${m.memberId}`));
  });

  it('publishes what was left in the outbox after a restart on the same DATA_DIR', async () => {
    proxy.refuse();
    const first = await startTestGateway({ keys: [key], amqpUrl: proxy.url });
    const response = await first.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList(members('B', 10)), key));
    expect(response.status).toBe(202);
    const eventIds = embeddedDb(first.gateway).prepare('SELECT event_id FROM outbox ORDER BY seq').pluck().all() as string[];
    await first.stop();

    const consumer = await TestConsumer.bind(first.topology.exchange);
    cleanups.push(() => consumer.close());
    const second = await startTestGateway({ reuse: first });
    cleanups.push(() => disposeTestGateway(second));
    const records = await consumer.waitForCount(10);
    await waitForOutboxDrained(second);
    expect(records.map((r) => r.body.eventId)).toEqual(eventIds);
    expect(records.map((r) => String(r.properties.messageId))).toEqual(eventIds);

    // The restarted gateway still holds the state: re-sending the same members changes nothing.
    const resend = await second.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList(members('B', 10)), key));
    expect(resend.body).toMatchObject({ counts: { unchanged: 10, added: 0 } });
  });
});
