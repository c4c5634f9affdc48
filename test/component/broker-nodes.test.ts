/**
 * AMQP_URL naming several broker nodes: the gateway publishes through the first that answers and,
 * when the connection to it is lost, moves on to the next, with nothing lost. Against the real
 * RabbitMQ; the "nodes" are a port nothing listens on and TCP proxies in front of the one broker.
 */
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { membersOf } from '../support/administration-members.js';
import { BROKER_URL, TestConsumer } from '../support/broker.js';
import { auditDelivery, readOutbox, waitForDelivery, waitUntil } from '../support/delivery-audit.js';
import { freePort } from '../support/gateway-process.js';
import { memberList } from '../support/member-lists.js';
import { createPartnerKey } from '../support/partner-keys.js';
import { Partner, requireBroker, SLOW_LINK_BYTES_PER_SECOND } from '../support/reliability-scenarios.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { disposeTestGateway, embeddedDb, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const broker = new URL(BROKER_URL);
const nodeAt = (port: number) => `amqp://${broker.username}:${broker.password}@127.0.0.1:${port}`;
const redacted = (port: number) => `amqp://${broker.username}:***@127.0.0.1:${port}`;

let test: TestGateway | undefined;
let consumer: TestConsumer | undefined;
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await consumer?.close();
  await disposeTestGateway(test);
  for (const proxy of proxies.splice(0)) await proxy.close();
  test = undefined;
  consumer = undefined;
});

const lines = (gateway: TestGateway) => gateway.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

/** Takes `count` messages off `queue` on the real broker (the gateway's own quorum queue). */
async function takeFromQueue(queue: string, count: number, timeoutMs = 15_000): Promise<{ routingKey: string; body: { eventId: string } }[]> {
  const connection = await amqp.connect(BROKER_URL);
  try {
    const channel = await connection.createChannel();
    const taken: { routingKey: string; body: { eventId: string } }[] = [];
    await waitUntil(`${count} messages are on ${queue}`, async () => {
      const message = await channel.get(queue, { noAck: true });
      if (message) taken.push({ routingKey: message.fields.routingKey, body: JSON.parse(message.content.toString('utf8')) as { eventId: string } });
      return taken.length >= count;
    }, timeoutMs);
    return taken;
  } finally {
    await connection.close();
  }
}

describe('a broker with several nodes', () => {
  it('is reached through the first node that answers: a dead address first, then the broker', async () => {
    await requireBroker();
    const dead = await freePort();
    const key = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [key], amqpUrl: `${nodeAt(dead)},${BROKER_URL}` });
    await waitUntil('the gateway is connected to the broker', () => test!.gateway.publisher.connected);

    const partner = new Partner(test.http, key);
    expect(await partner.submit('S1 snapshot', memberList(membersOf('EU', 5), { sequence: 1 }))).toBe(202);
    const taken = await takeFromQueue(test.topology.queue, 5);
    const stored = readOutbox(embeddedDb(test.gateway)).map((row) => row.eventId);
    expect(new Set(taken.map((m) => m.body.eventId))).toEqual(new Set(stored));
    expect(taken.every((m) => m.routingKey.startsWith('member.added.'))).toBe(true);

    const said = lines(test);
    // The dead node is said once, at warn, with the node tried next; the password never.
    expect(said.filter((line) => line.dependency === 'broker')).toEqual([
      expect.objectContaining({ level: 'warn', message: 'broker unavailable', reason: 'refused', endpoint: redacted(dead), node: 1, nodes: 2, next: `${broker.protocol}//${broker.username}:***@${broker.host}` }),
    ]);
    expect(said.filter((line) => line.message === 'connected to a broker node')).toEqual([
      expect.objectContaining({ level: 'info', endpoint: `${broker.protocol}//${broker.username}:***@${broker.host}`, node: 2, nodes: 2 }),
    ]);
    expect(test.logs.join('\n')).not.toContain(`:${broker.password}@`);
  });

  it('moves on to the other node when the connection in use is cut mid-stream: every receipted record arrives', { timeout: 60_000 }, async () => {
    await requireBroker();
    const brokerPort = Number(broker.port || 5672);
    const first = await TcpProxy.start(brokerPort);
    const second = await TcpProxy.start(brokerPort);
    proxies.push(first, second);
    const key = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [key], amqpUrl: `${nodeAt(first.port)},${nodeAt(second.port)}` });
    const gateway = test;
    consumer = await TestConsumer.bind(gateway.topology.exchange);
    const publisher = gateway.gateway.publisher;
    await waitUntil('the gateway is connected to the broker', () => publisher.connected);
    const events: string[] = [];
    publisher.on('connected', () => events.push('connected'));
    publisher.on('disconnected', () => events.push('disconnected'));

    // Slowed down, so that the cut lands while records are still unconfirmed whatever the machine's speed.
    first.throttle(SLOW_LINK_BYTES_PER_SECOND);
    const size = 3000;
    const cut = consumer.waitForCount(1000, 30_000).then(() => {
      first.refuse();
      return { arrived: consumer!.records.length, unconfirmed: gateway.counts().unpublished };
    });
    const partner = new Partner(gateway.http, key);
    expect(await partner.submit('S1 snapshot', memberList(membersOf('EU', size), { sequence: 1 }))).toBe(202);
    const atCut = await cut;
    expect(atCut.unconfirmed, 'the cut came while records were unconfirmed').toBeGreaterThan(0);
    expect(atCut.arrived).toBeLessThan(size);

    // A second list after the cut goes through the other node too.
    expect(await partner.submit('S2 snapshot', memberList(membersOf('EU', size + 20), { sequence: 2 }))).toBe(202);
    const outbox = () => readOutbox(embeddedDb(gateway.gateway));
    const drained = () => gateway.counts().unpublished === 0 && gateway.gateway.relay.inFlightCount === 0;
    expect(await waitForDelivery(consumer, outbox().map((row) => row.eventId), drained)).toBe(true);

    const audit = auditDelivery({ log: partner.log, outbox: outbox(), arrivals: consumer.records });
    expect(audit.receipted).toBe(size + 20);
    expect(audit).toMatchObject({ stored: audit.receipted, delivered: audit.receipted, lost: 0, unexpected: 0, outOfOrder: 0, unstableIds: 0 });

    expect(events.slice(0, 2), 'the relay hears of the loss and of the new connection').toEqual(['disconnected', 'connected']);
    const said = lines(gateway);
    expect(said.filter((line) => line.message === 'connected to a broker node').map((line) => line.endpoint)).toEqual([redacted(first.port), redacted(second.port)]);
    expect(said.filter((line) => line.dependency === 'broker')).toEqual([
      expect.objectContaining({ level: 'warn', message: 'broker unavailable', endpoint: redacted(first.port), next: redacted(second.port) }),
    ]);
  });
});
