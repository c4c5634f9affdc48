/**
 * An operator is never left guessing (issue 12): a wrong AMQP_URL (bad password, dead port, unknown
 * host, TLS to a plain port) is said at warn at once, with the reason, and without the password; a
 * broker that goes away and comes back is said at warn both ways. Against the real RabbitMQ, through a
 * TCP proxy for the outage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BROKER_URL } from '../support/broker.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

let test: TestGateway | undefined;
afterEach(async () => {
  await disposeTestGateway(test);
  test = undefined;
});

const lines = (gateway: TestGateway) => gateway.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
const brokerLines = (gateway: TestGateway) => lines(gateway).filter((line) => line.dependency === 'broker');

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(condition()).toBe(true);
}

describe('a broker the gateway cannot use', () => {
  const broker = new URL(BROKER_URL);
  it.each([
    ['a wrong password', `amqp://${broker.username}:not-the-password@${broker.host}`, 'authentication'],
    ['a port nothing listens on', `amqp://${broker.username}:${broker.password}@127.0.0.1:1`, 'refused'],
    ['a host that does not exist', `amqp://${broker.username}:${broker.password}@no-such-broker.invalid:5672`, 'dns'],
    ['TLS to a plain AMQP port', `amqps://${broker.username}:${broker.password}@${broker.host}`, 'tls'],
  ])('with %s is a warn line naming the reason, once', async (_what, amqpUrl, reason) => {
    test = await startTestGateway({ amqpUrl, env: { LOG_LEVEL: 'info' } });
    await until(() => brokerLines(test!).length > 0);
    // amqplib retries every few hundred milliseconds at first; the log says it once.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const said = brokerLines(test);
    expect(said.map((line) => [line.level, line.message, line.reason])).toEqual([['warn', 'broker unavailable', reason]]);
    expect(JSON.stringify(said)).not.toContain('not-the-password');
    expect(said[0]).toMatchObject({ endpoint: expect.stringContaining('***') as unknown });
  });
});

describe('a broker that goes away and comes back', () => {
  it('is said at warn when it goes and when it is back', async () => {
    const proxy = await TcpProxy.start(Number(new URL(BROKER_URL).port || 5672));
    try {
      const url = new URL(BROKER_URL);
      test = await startTestGateway({ amqpUrl: `amqp://${url.username}:${url.password}@127.0.0.1:${proxy.port}` });
      await until(() => test!.gateway.publisher.connected);
      proxy.refuse();
      await until(() => brokerLines(test!).some((line) => line.message === 'broker unavailable'));
      proxy.accept();
      await until(() => brokerLines(test!).some((line) => line.message === 'broker available again'));
      const said = brokerLines(test).map((line) => [line.level, line.message]);
      expect(said).toEqual([
        ['warn', 'broker unavailable'],
        ['warn', 'broker available again'],
      ]);
    } finally {
      await proxy.close();
    }
  });
});
