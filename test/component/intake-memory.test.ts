/**
 * The intake's memory at the largest list the gateway accepts (MAX_MEMBERS, 250,000 members), measured
 * on the gateway as its own process: its peak resident set (VmHWM) after the answer must stay below
 * PEAK_RSS_BOUND_MB, whether the list is accepted or refused because of its last member. Each test has
 * a gateway process of its own, so that one peak is never read as the other's.
 */
import amqp, { type ChannelModel } from 'amqplib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { problemTypeUri } from '../../src/domain/problem-types.js';
import { benchMember } from '../../bench/bench-members.js';
import { BROKER_URL, uniqueTopology } from '../support/broker.js';
import { sleep, waitUntil } from '../support/delivery-audit.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { signCompact } from '../support/jws.js';
import { memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, partnerReadToken, type PartnerSigningKey } from '../support/partner-keys.js';
import { postBytes } from '../support/raw-http.js';
import { writeConfig } from '../support/test-gateway.js';

/**
 * The bound on the gateway's peak RSS (VmHWM, MB) through the intake of a 250,000-member list of
 * realistic EU members (bench/bench-members.ts: ~92 MB of JSON, ~122 MB as a compact JWS), accepted or
 * refused. The whole-body path (parse the whole list, prepare every member, then write) exceeded it:
 * at 840b42c, run from the sources with tsx as here, VmHWM was 1,047 to 1,197 MB (three runs) after the
 * receipt of the accepted snapshot, and 650 to 653 MB after the 422 of the refused one (idle: ~120-136 MB).
 * Reading the members one at a time from the payload's bytes, the same runs peak at about 395 and 345 MB.
 */
const PEAK_RSS_BOUND_MB = 600;

/** The configured maximum (MAX_MEMBERS' default and ceiling, src/config/app-config.ts). */
const MAX_MEMBERS = 250_000;
/** MAX_BODY_BYTES' default (200 MiB): the signed list must fit within it. */
const MAX_BODY_BYTES = 200 * 1024 * 1024;

const INTAKE_TIMEOUT_MS = 300_000;

/** Peak resident set size of a process so far, in MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
  if (!Number.isFinite(kb) || kb === 0) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Math.round(kb / 1024);
}

/** `count` realistic EU members (bench/bench-members.ts), with distinct memberIds; `replace` swaps some in. */
function members(count: number, replace: Record<number, Member> = {}): Member[] {
  return Array.from({ length: count }, (_, i) => replace[i] ?? benchMember(i));
}

/** The list signed as a compact JWS, as bytes, checked to fit within MAX_BODY_BYTES. */
async function signedBody(list: ReturnType<typeof memberList>, key: PartnerSigningKey): Promise<Buffer> {
  const body = Buffer.from(await signCompact(Buffer.from(JSON.stringify(list)), key));
  expect(body.length, 'the signed list fits within MAX_BODY_BYTES').toBeLessThanOrEqual(MAX_BODY_BYTES);
  return body;
}

/**
 * A consumer queue of its own bound to the gateway's exchange, counting what arrives without keeping
 * the bodies: the member key (ce-subject), the event id and the routing key of each record.
 */
class CountingConsumer {
  count = 0;
  readonly subjects = new Set<string>();
  readonly eventIds = new Set<string>();
  readonly routingKeys = new Set<string>();

  private constructor(private readonly connection: ChannelModel) {}

  static async bind(exchange: string): Promise<CountingConsumer> {
    const connection = await amqp.connect(BROKER_URL);
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, '#');
    const consumer = new CountingConsumer(connection);
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        consumer.count++;
        consumer.subjects.add(String(message.properties.headers?.['ce-subject']));
        consumer.eventIds.add(String(message.properties.messageId));
        consumer.routingKeys.add(message.fields.routingKey.split('.').slice(0, 2).join('.'));
      },
      { noAck: true },
    );
    return consumer;
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

/** A gateway process on the embedded store, with EU's key, publishing to an exchange of its own (no queue of its own). */
class MemoryScene {
  private constructor(
    readonly gateway: GatewayProcess,
    readonly consumer: CountingConsumer,
    readonly key: PartnerSigningKey,
    private readonly root: string,
    private readonly exchange: string,
  ) {}

  static async start(): Promise<MemoryScene> {
    const key = await createPartnerKey('EU');
    const root = mkdtempSync(path.join(tmpdir(), 'mra-intake-memory-'));
    const topology = uniqueTopology();
    writeConfig(path.join(root, 'config'), { keys: [key] });
    // The consumer's queue is bound before the gateway publishes anything.
    const consumer = await CountingConsumer.bind(topology.exchange);
    try {
      const gateway = await GatewayProcess.start({
        CONFIG_DIR: path.join(root, 'config'),
        DATA_DIR: path.join(root, 'data'),
        AMQP_URL: BROKER_URL,
        AMQP_EXCHANGE: topology.exchange,
        AMQP_QUEUE: '',
        AMQP_DEAD_LETTER_EXCHANGE: topology.deadLetterExchange,
        AMQP_DEAD_LETTER_QUEUE: topology.deadLetterQueue,
      });
      return new MemoryScene(gateway, consumer, key, root, topology.exchange);
    } catch (error) {
      await consumer.close();
      rmSync(root, { recursive: true, force: true });
      throw error;
    }
  }

  get pid(): number {
    const pid = this.gateway.pid;
    if (pid === undefined) throw new Error('the gateway process has no pid');
    return pid;
  }

  submit(body: Buffer): ReturnType<typeof postBytes> {
    return postBytes(`${this.gateway.url}/v1/member-lists`, { 'Content-Type': 'application/jose' }, body);
  }

  /** EU's current and removed members in the register, as EU itself reads it (ICD 5). */
  async registerKeys(): Promise<string[]> {
    const response = await fetch(`${this.gateway.url}/v1/members?administration=EU&includeRemoved=true&limit=10`, {
      headers: { Authorization: `Bearer ${await partnerReadToken(this.key)}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { members: { key: string }[] }).members.map((m) => m.key);
  }

  async dispose(): Promise<void> {
    await this.gateway.stop();
    await this.consumer.close();
    const connection = await amqp.connect(BROKER_URL);
    try {
      await (await connection.createChannel()).deleteExchange(this.exchange);
    } finally {
      await connection.close();
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Submits a body and reads the gateway's peak RSS before and right after the answer (logged for the run's output). */
async function submitMeasured(on: MemoryScene, body: Buffer, what: string): Promise<{ response: Awaited<ReturnType<MemoryScene['submit']>>; idle: number; peak: number }> {
  const idle = peakRssMb(on.pid);
  const started = performance.now();
  const response = await on.submit(body);
  const answeredAfter = performance.now() - started;
  const peak = peakRssMb(on.pid);
  console.info(`[intake-memory] ${what}: ${body.length} bytes, answered after ${Math.round(answeredAfter)} ms, VmHWM ${idle} MB idle, ${peak} MB after the answer`);
  return { response, idle, peak };
}

let scene: MemoryScene | undefined;
afterEach(async () => {
  await scene?.dispose();
  scene = undefined;
});

describe('intake memory at the largest list (MAX_MEMBERS members)', { timeout: INTAKE_TIMEOUT_MS }, () => {
  it(`accepts a ${MAX_MEMBERS}-member EU snapshot, publishes every record, and peaks below ${PEAK_RSS_BOUND_MB} MB`, async () => {
    scene = await MemoryScene.start();
    const { response, idle, peak } = await submitMeasured(scene, await signedBody(memberList(members(MAX_MEMBERS)), scene.key), 'accepted snapshot');

    expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(202);
    expect((response.body as { counts: { added: number } }).counts.added).toBe(MAX_MEMBERS);

    // Every member once on the consumer's queue, as an added record.
    const consumer = scene.consumer;
    await waitUntil(`${MAX_MEMBERS} records arrive`, () => consumer.count >= MAX_MEMBERS, 180_000);
    await sleep(500);
    expect(consumer.count).toBe(MAX_MEMBERS);
    expect(consumer.eventIds.size).toBe(MAX_MEMBERS);
    expect(consumer.subjects.size).toBe(MAX_MEMBERS);
    expect(consumer.subjects.has(`EU:${benchMember(MAX_MEMBERS - 1).memberId}`)).toBe(true);
    expect([...consumer.routingKeys]).toEqual(['member.added']);

    expect(peak, `peak RSS ${peak} MB (idle ${idle} MB)`).toBeLessThan(PEAK_RSS_BOUND_MB);
  });

  it(`refuses a ${MAX_MEMBERS}-member list whose last member is bad with every error, stores and publishes nothing, and peaks below ${PEAK_RSS_BOUND_MB} MB`, async () => {
    scene = await MemoryScene.start();
    const last = MAX_MEMBERS - 1;
    const early = 17;
    const list = memberList(
      members(MAX_MEMBERS, {
        // A MID with a reserved, unassigned country code (UK), after a plausible one.
        [early]: { ...benchMember(early), mids: ['DEPLAUSIBLE123', 'UK12345678'] },
        // An EORI prefix EU does not issue (US), a certificate type EU's program does not issue, and an implausible MID.
        [last]: { ...benchMember(last), memberId: 'US100000249999', certificateType: 'CTPAT', mids: ['EU999999999'] },
      }),
    );
    const { response, idle, peak } = await submitMeasured(scene, await signedBody(list, scene.key), 'refused list');

    expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(422);
    const problem = response.body as { type: string; errors?: { pointer: string }[] };
    expect(problem.type).toBe(problemTypeUri('invalid-members'));
    expect((problem.errors ?? []).map((error) => error.pointer).sort()).toEqual(
      [`/members/${early}/mids/1`, `/members/${last}/certificateType`, `/members/${last}/memberId`, `/members/${last}/mids/0`].sort(),
    );

    // Nothing stored: the register has no EU member, current or removed.
    expect(await scene.registerKeys()).toEqual([]);
    // Nothing published: the consumer's queue gets nothing within a second of the answer.
    await sleep(1000);
    expect(scene.consumer.count).toBe(0);

    expect(peak, `peak RSS ${peak} MB (idle ${idle} MB)`).toBeLessThan(PEAK_RSS_BOUND_MB);
  });
});
