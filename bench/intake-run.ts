/**
 * One run of the intake bench (bench/run.ts) for one store and one list size: a fresh store, a fresh
 * gateway process (node dist/main.js, so its peak RSS is this list's), its idle RSS, the snapshot intake,
 * the raw broker limit for that many records measured right after, and the unchanged re-send; and, when
 * asked, the small submissions against a bare Express endpoint measured right after on the same machine.
 */
import amqp from 'amqplib';
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { recordProperties } from '../src/messaging/record-message.js';
import { benchMember } from './bench-members.js';
import { GatewayProcess } from './gateway-process.js';
import { ADMINISTRATIONS, listOf, otherMember, type Administration, type Signer } from './intake-partners.js';
import { atLeast, atMost, below, exactly, sizeTargets, type Check } from './intake-targets.js';
import { measureRawPublish } from './raw-publish.js';

export type StoreKind = 'sqlite' | 'postgres';

/** What every run of the bench shares. */
export interface BenchContext {
  workdir: string;
  configDir: string;
  signers: Record<Administration, Signer>;
  amqpUrl: string;
  postgresServer: string;
  connections: number;
  smallSeconds: number;
}

const GATEWAY_PORT = 18_080;
const BARE_PORT = 18_081;

/** Progress goes to stderr, so stdout stays one JSON document. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** Where the gateway keeps its state: a DATA_DIR of the run's own (embedded), or also a database of its own. */
async function benchStore(kind: StoreKind, dataDir: string, postgresServer: string, id: string): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  mkdirSync(dataDir, { recursive: true });
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'sqlite') return { env: { DATA_DIR: dataDir }, drop: async () => removeDir() };
  const name = `mra_bench_${id}`;
  const admin = new pg.Client(`${postgresServer}/postgres`);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: `${postgresServer}/${name}`, RECEIPT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    async drop() {
      const client = new pg.Client(`${postgresServer}/postgres`);
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      removeDir();
    },
  };
}

async function post(url: string, body: string): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/member-lists`, { method: 'POST', headers: { 'Content-Type': 'application/jose' }, body });
  const json = (await response.json()) as Record<string, unknown>;
  return { status: response.status, json, ms: performance.now() - started };
}

interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  requests: number;
}

async function runLoad(url: string, bodies: string[], context: BenchContext): Promise<LoadFigures> {
  let next = 0;
  const result = await autocannon({
    url: `${url}/v1/member-lists`,
    connections: context.connections,
    duration: context.smallSeconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({ ...request, headers: { 'content-type': 'application/jose' }, body: bodies[next++ % bodies.length] }),
      },
    ],
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    requests: result.requests.total,
  };
}

/** 10-member deltas from the five administrations to `gatewayUrl`, then the same bodies to a bare Express endpoint. */
async function smallSubmissions(gatewayUrl: string, members: number, id: string, context: BenchContext) {
  const expected = Math.max(2000, Math.ceil(context.smallSeconds * 2500));
  const bodies: string[] = [];
  for (let n = 0; n < expected; n++) {
    const administration = ADMINISTRATIONS[n % ADMINISTRATIONS.length]!;
    const first10 = (((n / ADMINISTRATIONS.length) | 0) * 10) % 5000;
    const version = 1 + Math.floor(n / 2500);
    // EU's deltas add members past the snapshot's; the others' add and update members of their own.
    const deltaMembers = Array.from({ length: 10 }, (_, k) => (administration === 'EU' ? benchMember(members + first10 + k, version) : otherMember(administration, first10 + k, version)));
    bodies.push(await context.signers[administration].sign(listOf(administration, 'delta', deltaMembers, `bench-delta-${id}-${n}`)));
  }
  progress(`small submissions: ${bodies.length} signed deltas, ${context.smallSeconds} s each against the gateway and the bare endpoint`);
  const gateway = await runLoad(gatewayUrl, bodies, context);
  const bare = fork(path.join(import.meta.dirname, 'bare-express-server.ts'), { env: { ...process.env, PORT: String(BARE_PORT) }, execArgv: ['--import', 'tsx'], stdio: 'ignore' });
  try {
    await new Promise((resolve) => bare.once('message', resolve));
    const bareExpress = await runLoad(`http://127.0.0.1:${BARE_PORT}`, bodies, context);
    const ratioToBare = round(gateway.requestsPerSecond / bareExpress.requestsPerSecond, 2);
    const targets: Record<string, Check> = { ratioToBare: atLeast(ratioToBare, 0.25), gatewayNon2xx: exactly(gateway.non2xx, 0) };
    return { gatewayMembers: members, seconds: context.smallSeconds, connections: context.connections, gateway, bareExpress, ratioToBare, targets };
  } finally {
    const exited = new Promise((resolve) => bare.once('exit', resolve));
    bare.kill('SIGTERM');
    await exited;
  }
}

export type SmallSubmissions = Awaited<ReturnType<typeof smallSubmissions>>;

/** One store and one list size; `withSmall` adds the small submissions on the same gateway. */
export async function intakeRun(kind: StoreKind, members: number, withSmall: boolean, context: BenchContext) {
  const id = `${Date.now()}_${kind}_${members}`;
  const exchange = `bench.${id}.members`;
  const store = await benchStore(kind, path.join(context.workdir, `data-${kind}-${members}`), context.postgresServer, id);
  const cleanups: (() => Promise<unknown>)[] = [() => store.drop()];
  try {
    const gateway = await GatewayProcess.start(
      { CONFIG_DIR: context.configDir, ...store.env, AMQP_URL: context.amqpUrl, AMQP_EXCHANGE: exchange, AMQP_QUEUE: '', AMQP_DEAD_LETTER_EXCHANGE: `bench.${id}.dlx`, AMQP_DEAD_LETTER_QUEUE: `bench.${id}.dlq` },
      GATEWAY_PORT,
    );
    cleanups.unshift(() => gateway.stop());

    // The consumer: a quorum queue of its own, bound to the gateway's exchange.
    const connection = await amqp.connect(context.amqpUrl);
    cleanups.unshift(() => connection.close());
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const queue = `bench.${id}.consumer`;
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    cleanups.unshift(() => channel.deleteQueue(queue).then(() => channel.deleteExchange(exchange)));
    await channel.bindQueue(queue, exchange, '#');
    await channel.prefetch(1000);
    let consumed = 0;
    let bodyBytes = 0;
    let waiters: { count: number; resolve: () => void }[] = [];
    await channel.consume(queue, (message) => {
      if (!message) return;
      consumed++;
      bodyBytes += message.content.length;
      channel.ack(message);
      for (const waiter of waiters.filter((w) => consumed >= w.count)) waiter.resolve();
      waiters = waiters.filter((w) => consumed < w.count);
    });
    const consumedCount = (count: number) => new Promise<void>((resolve) => (consumed >= count ? resolve() : waiters.push({ count, resolve })));

    // Snapshot intake (signed before the clock starts: signing is the partner's work).
    const list = Array.from({ length: members }, (_, i) => benchMember(i));
    const snapshot = await context.signers.EU.sign(listOf('EU', 'snapshot', list, `bench-snapshot-${id}`, 1));
    // The gateway as it idles, started and connected, before its first list: what the list adds is measured from here.
    const idleRss = gateway.rssMb();
    progress(`${kind}, ${members} members: snapshot signed; gateway idles at ${idleRss} MB; posting`);
    const started = performance.now();
    const first = await post(gateway.url, snapshot);
    const consumedAtReceipt = consumed;
    // The peak up to the receipt (the intake itself), apart from the one after publishing.
    const receiptRss = gateway.peakRssMb();
    if (first.status !== 202) throw new Error(`snapshot refused: ${first.status} ${JSON.stringify(first.json).slice(0, 300)}`);
    const counts = first.json.counts as Record<string, number>;
    const records = counts.added! + counts.updated! + counts.statusChanged! + counts.removed!;
    progress(`${kind}, ${members} members: receipt after ${(first.ms / 1000).toFixed(2)} s; waiting for ${records} records`);
    await consumedCount(records);
    const intakeSeconds = (performance.now() - started) / 1000;
    const recordBytes = Math.round(bodyBytes / consumed);
    const snapshotRss = gateway.peakRssMb();

    progress(`${kind}, ${members} members: raw limit for ${records} records`);
    // Raw limit, same path, after the snapshot (so the broker is equally warm), for messages like the
    // gateway's records: same body size and the same AMQP properties (ICD 2: messageId, type, appId,
    // timestamp and six ce- headers). The headers are a large part of the broker's work per message, so
    // the limit with bare properties is measured too, for reference; the ratios use the like-for-like one.
    const properties = Array.from({ length: records }, (_, i) =>
      recordProperties({ seq: i + 1, eventId: randomUUID(), administration: 'EU', memberKey: `EU:${benchMember(i).memberId}`, change: 'added', routingKey: 'member.added.eu', occurredAt: new Date().toISOString(), body: '' }),
    );
    const raw = await measureRawPublish(context.amqpUrl, records, recordBytes, (i) => properties[i]!);
    properties.length = 0;
    const rawBare = await measureRawPublish(context.amqpUrl, records, recordBytes);

    progress(`${kind}, ${members} members: unchanged re-send`);
    const resend = await context.signers.EU.sign(listOf('EU', 'snapshot', list, `bench-resend-${id}`, 2));
    const before = consumed;
    const second = await post(gateway.url, resend);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const resendPublished = consumed - before;

    const small = withSmall ? await smallSubmissions(gateway.url, members, id, context) : undefined;

    const secondsToReceipt = first.ms / 1000;
    const intakeRate = records / intakeSeconds;
    // The publishing phase: from the receipt to the last record consumed (records / those seconds).
    const publishingSeconds = intakeSeconds - secondsToReceipt;
    const publishingRate = records / Math.max(publishingSeconds, 0.001);
    const size = sizeTargets(members);
    const memoryValue = size.memory.figure === 'gatewayPeakRssMb' ? snapshotRss : snapshotRss - idleRss;
    const resendFraction = round(second.ms / 1000 / intakeSeconds, 3);
    const run = {
      store: kind,
      members,
      recordBytes,
      rawLimit: { records, recordsPerSecond: raw.recordsPerSecond, confirmedPerSecond: raw.confirmedPerSecond, properties: 'as the gateway records (ICD 2)' },
      rawLimitBareProperties: { records, recordsPerSecond: rawBare.recordsPerSecond, confirmedPerSecond: rawBare.confirmedPerSecond, properties: 'persistent, messageId, contentType only' },
      snapshotIntake: {
        members,
        records,
        secondsToReceipt: round(secondsToReceipt, 2),
        /** Records already consumed when the receipt arrived (the publishing phase's rate counts them all). */
        consumedAtReceipt,
        publishing: {
          seconds: round(publishingSeconds, 2),
          recordsPerSecond: Math.round(publishingRate),
          ratioToRaw: round(publishingRate / raw.recordsPerSecond, 2),
        },
        seconds: round(intakeSeconds, 2),
        recordsPerSecond: Math.round(intakeRate),
        ratioToRaw: round(intakeRate / raw.recordsPerSecond, 2),
        gatewayPeakRssMb: snapshotRss,
        gatewayPeakRssAtReceiptMb: receiptRss,
        gatewayIdleRssMb: idleRss,
        peakAboveIdleMb: snapshotRss - idleRss,
        targets: {
          secondsToReceipt: below(round(secondsToReceipt, 2), size.receiptSeconds, ' s', size.note),
          publishingRatioToRaw: atLeast(round(publishingRate / raw.recordsPerSecond, 2), 0.9),
          ratioToRaw: atLeast(round(intakeRate / raw.recordsPerSecond, 2), 0.8, ' (goal)'),
          [size.memory.figure]: (size.memory.figure === 'gatewayPeakRssMb' ? below : atMost)(memoryValue, size.memory.limitMb, size.memory.unit, size.note),
        } as Record<string, Check>,
      },
      unchangedResend: {
        secondsToReceipt: round(second.ms / 1000, 2),
        fractionOfFirstIntake: resendFraction,
        recordsPublished: resendPublished,
        counts: second.json.counts as Record<string, number>,
        targets: { fractionOfFirstIntake: below(resendFraction, 0.1), recordsPublished: exactly(resendPublished, 0) } as Record<string, Check>,
      },
      /** At the end of the run, the small submissions included. */
      gatewayPeakRssMb: gateway.peakRssMb(),
    };
    return { run, small };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => progress(`clean-up: ${String(error)}`));
  }
}

export type IntakeRun = Awaited<ReturnType<typeof intakeRun>>['run'];
