import amqp from 'amqplib';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsumerTool } from '../../src/cli/consumer/consumer-commands.js';
import { tailRecords } from '../../src/cli/consumer/tail-records.js';
import { schemaErrors, validators } from '../../src/validation/json-schemas.js';
import { BROKER_URL } from '../support/broker.js';
import { captureIo } from '../support/cli-capture.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { startTestGateway, waitForOutboxDrained, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function queueDepth(queue: string): Promise<number> {
  const connection = await amqp.connect(BROKER_URL);
  try {
    return (await (await connection.createChannel()).checkQueue(queue)).messageCount;
  } finally {
    await connection.close();
  }
}

async function depthBecomes(queue: string, expected: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let depth = await queueDepth(queue);
  while (depth !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    depth = await queueDepth(queue);
  }
  return depth;
}

describe('the consumer tool on the real broker', () => {
  let key: PartnerSigningKey;
  let test: TestGateway;
  const submit = async (count: number, offset: number) => {
    const members = Array.from({ length: count }, (_, i) => euMember({ memberId: `DE${String(200_000 + offset + i)}` }));
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList(members, { kind: 'delta' }), key));
    expect(response.status).toBe(202);
  };

  beforeAll(async () => {
    key = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [key] });
    // The gateway declares its exchange once connected: wait until it is ready.
    const deadline = Date.now() + 20_000;
    while ((await test.http.get('/readyz')).status !== 200) {
      if (Date.now() > deadline) throw new Error('the test gateway did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  it('tails a temporary queue bound to a routing pattern, printing JSON lines', async () => {
    const io = captureIo();
    let ready!: () => void;
    const bound = new Promise<void>((resolve) => (ready = resolve));
    const tail = tailRecords({ amqpUrl: BROKER_URL, source: { exchange: test.topology.exchange, pattern: 'member.added.eu' }, format: 'json', output: io.stdout, limit: 2, onReady: () => ready() });
    await Promise.race([bound, tail]);
    await submit(2, 0);

    expect(await tail).toEqual({ printed: 2 });
    const lines = io.out().trim().split('\n').map((line) => JSON.parse(line) as { routingKey: string; messageId: string; record: { eventId: string } });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.routingKey).toBe('member.added.eu');
      expect(line.messageId).toBe(line.record.eventId);
      expect(schemaErrors(validators.memberRecord, line.record)).toEqual([]);
    }
  });

  it('consumes a durable queue and acknowledges only what it printed', async () => {
    await waitForOutboxDrained(test);
    await submit(3, 100);
    await waitForOutboxDrained(test);
    const queue = test.topology.queue;
    const before = await depthBecomes(queue, 5);
    expect(before).toBe(5);

    const io = captureIo();
    const code = await runConsumerTool(['--amqp-url', BROKER_URL, '--queue', queue, '--count', '2', '--format', 'table'], io, {});
    expect(code).toBe(0);
    const rows = io.out().trim().split('\n');
    expect(rows).toHaveLength(3); // header and two records
    expect(rows.slice(1).every((row) => row.includes('EU:DE'))).toBe(true);
    expect(await depthBecomes(queue, 3)).toBe(3);
  });

  it('stops on a signal, leaving the rest in the queue', async () => {
    const queue = test.topology.queue;
    const stop = new AbortController();
    let printedOne!: () => void;
    const first = new Promise<void>((resolve) => (printedOne = resolve));
    const io = captureIo(() => printedOne());
    const tail = runConsumerTool(['--amqp-url', BROKER_URL, '--queue', queue, '--prefetch', '1'], io, {}, stop.signal);
    await first;
    stop.abort();
    expect(await tail).toBe(0);
    const printed = io.out().trim().split('\n').length;
    expect(printed).toBeGreaterThanOrEqual(1);
    expect(await depthBecomes(queue, 3 - printed)).toBe(3 - printed);
  });

  it('exits 8 when its output closes, leaving the record it could not print on the queue', async () => {
    const queue = test.topology.queue;
    await submit(1, 300);
    await waitForOutboxDrained(test);
    const waiting = await queueDepth(queue);
    expect(waiting).toBeGreaterThan(0);
    const closed = new Writable({ write: (_chunk, _encoding, done) => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) });
    closed.on('error', () => undefined); // as the installed command does for process.stdout
    expect(await runConsumerTool(['--amqp-url', BROKER_URL, '--queue', queue, '--count', '1'], { stdout: closed, stderr: captureIo().stderr }, {})).toBe(8);
    expect(await depthBecomes(queue, waiting)).toBe(waiting);
  });

  it('says so, with its own exit code, when the broker or the queue is not there', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const unreachable = captureIo();
    expect(await runConsumerTool(['--amqp-url', `amqp://guest:secret-password@127.0.0.1:${port}`], unreachable, {})).toBe(5);
    expect(unreachable.err()).not.toContain('secret-password');
    expect(await runConsumerTool(['--amqp-url', BROKER_URL, '--queue', 'no.such.queue.anywhere'], captureIo(), {})).toBe(6);
    expect(await runConsumerTool(['--amqp-url', BROKER_URL, '--exchange', 'no.such.exchange.anywhere'], captureIo(), {})).toBe(6);
    expect(await runConsumerTool(['--amqp-url', BROKER_URL.replace(/\/\/([^:]+):[^@]*@/, '//$1:not-the-password@'), '--queue', test.topology.queue], captureIo(), {})).toBe(6);
    expect(await runConsumerTool(['tail', '--amqp-url', BROKER_URL, '--queue', 'no.such.queue.anywhere'], captureIo(), {})).toBe(6);
    expect(await runConsumerTool(['--queue', 'q', '--bind', 'member.#'], captureIo(), {})).toBe(2);
    expect(await runConsumerTool(['--format', 'xml'], captureIo(), {})).toBe(2);
    expect(await runConsumerTool(['--count', 'many'], captureIo(), {})).toBe(2);
  });

  it.each([
    { entry: 'src/cli/mra-consumer.ts', args: [] as string[] },
    { entry: 'src/cli/mra.ts', args: ['consumer', 'tail'] },
  ])('runs as the installed command ($entry $args)', async ({ entry, args }) => {
    await submit(1, 400 + args.length);
    await waitForOutboxDrained(test);
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry), ...args, '--queue', test.topology.queue, '--count', '1'], {
        cwd: ROOT,
        env: { ...process.env, AMQP_URL: BROKER_URL },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.on('error', reject);
      child.on('close', resolve);
    });
    expect(code).toBe(0);
  });
});
