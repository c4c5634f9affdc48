/**
 * `npm run bench`: the gateway measured against the broker's own limit, in one run (issue 7).
 * Prints one JSON document with the figures and whether each target is met. Knobs (environment):
 * BENCH_MEMBERS (50000), BENCH_SMALL_SECONDS (10), BENCH_CONNECTIONS (16), AMQP_URL, BENCH_STORE (sqlite, or
 * postgres: a fresh database on BENCH_POSTGRES_URL's server, default postgres://postgres@127.0.0.1:5432,
 * dropped afterwards), BENCH_ONLY (intake: the phases below only; register: bench/register.ts only; by default
 * both, the register's figures under "register").
 */
import amqp from 'amqplib';
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import type { Member } from '../src/domain/generated/member-list.js';
import { benchMember } from './bench-members.js';
import { recordProperties } from '../src/messaging/record-message.js';
import { GatewayProcess } from './gateway-process.js';
import { measureRawPublish } from './raw-publish.js';
import { registerBench } from './register.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 50_000);
const SMALL_SECONDS = Number(process.env.BENCH_SMALL_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const ADMINISTRATIONS = ['EU', 'GB', 'JP', 'MX', 'KR'] as const;
const STORE = process.env.BENCH_STORE ?? 'sqlite';
const POSTGRES_SERVER = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
if (STORE !== 'sqlite' && STORE !== 'postgres') throw new Error(`BENCH_STORE must be sqlite or postgres, not ${STORE}`);

/** Where the gateway keeps its state: DATA_DIR (embedded), or a database of the run's own. */
async function benchStore(workdir: string, id: number): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (STORE === 'sqlite') return { env: { DATA_DIR: path.join(workdir, 'data') }, drop: async () => undefined };
  const name = `mra_bench_${id}`;
  const admin = new pg.Client(`${POSTGRES_SERVER}/postgres`);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    env: { DATA_DIR: path.join(workdir, 'data'), DATABASE_URL: `${POSTGRES_SERVER}/${name}`, RECEIPT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    async drop() {
      const client = new pg.Client(`${POSTGRES_SERVER}/postgres`);
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
const root = path.resolve(import.meta.dirname, '..');

type Signer = { kid: string; sign(payload: unknown): Promise<string> };

async function partnerSigner(administration: string): Promise<{ signer: Signer; publicJwk: object }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = `bench-${administration.toLowerCase()}-${Date.now()}`;
  return {
    publicJwk: { ...(await exportJWK(publicKey)), kid },
    signer: {
      kid,
      sign: (payload) =>
        new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', kid, typ: 'mra-member-list+json' }).sign(privateKey),
    },
  };
}

/** A member of a non-EU administration for the small-submission phase (opaque identifiers). */
function otherMember(administration: string, i: number, version: number): Member {
  const base = benchMember(i, version);
  const country = administration === 'GB' ? 'GB' : administration;
  return {
    ...base,
    memberId: administration === 'GB' ? `GB${String(100_000_000_000 + i)}` : `${administration}-${i}`,
    idScheme: administration === 'GB' ? 'EORI' : 'OTHER',
    address: { ...base.address, country },
    certificateType: { GB: 'AEOS', JP: 'AEO', MX: 'OEA', KR: 'AEO' }[administration] ?? 'AEO',
  };
}

function listOf(administration: string, kind: 'snapshot' | 'delta', members: Member[], messageId: string, sequence?: number) {
  return { specVersion: '1.0', messageId, administration, issuedAt: new Date().toISOString(), kind, ...(sequence ? { sequence } : {}), members };
}

/** Progress goes to stderr, so stdout stays one JSON document. */
function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function post(url: string, body: string): Promise<{ status: number; json: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/member-lists`, { method: 'POST', headers: { 'Content-Type': 'application/jose' }, body });
  const json = (await response.json()) as Record<string, unknown>;
  return { status: response.status, json, ms: performance.now() - started };
}

async function runLoad(url: string, bodies: string[]): Promise<{ requestsPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number; requests: number }> {
  let next = 0;
  const result = await autocannon({
    url: `${url}/v1/member-lists`,
    connections: CONNECTIONS,
    duration: SMALL_SECONDS,
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

async function main(): Promise<Record<string, unknown>> {
  const workdir = mkdtempSync(path.join(tmpdir(), 'mra-bench-'));
  const configDir = path.join(workdir, 'config');
  mkdirSync(path.join(configDir, 'partner-keys'), { recursive: true });
  copyFileSync(path.join(root, 'config/mras.json'), path.join(configDir, 'mras.json'));
  const signers: Record<string, Signer> = {};
  for (const administration of ADMINISTRATIONS) {
    const { signer, publicJwk } = await partnerSigner(administration);
    signers[administration] = signer;
    writeFileSync(path.join(configDir, 'partner-keys', `${administration}.json`), JSON.stringify({ keys: [publicJwk] }));
  }
  const id = Date.now();
  const exchange = `bench.${id}.members`;
  const store = await benchStore(workdir, id);
  const gateway = await GatewayProcess.start(
    { CONFIG_DIR: configDir, ...store.env, AMQP_URL, AMQP_EXCHANGE: exchange, AMQP_QUEUE: '', AMQP_DEAD_LETTER_EXCHANGE: `bench.${id}.dlx`, AMQP_DEAD_LETTER_QUEUE: `bench.${id}.dlq` },
    18_080,
  );

  // The consumer: a quorum queue of its own, bound to the gateway's exchange.
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const queue = `bench.${id}.consumer`;
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(queue, exchange, '#');
  await channel.prefetch(1000);
  let consumed = 0;
  let bodyBytes = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  await channel.consume(queue, (message) => {
    if (!message) return;
    consumed++;
    bodyBytes += message.content.length;
    channel.ack(message);
    for (const waiter of waiters.filter((w) => consumed >= w.count)) waiter.resolve();
  });
  const consumedCount = (count: number) => new Promise<void>((resolve) => (consumed >= count ? resolve() : waiters.push({ count, resolve })));

  try {
    // 2. Snapshot intake (signed before the clock starts: signing is the partner's work).
    const members = Array.from({ length: MEMBERS }, (_, i) => benchMember(i));
    const snapshot = await signers.EU!.sign(listOf('EU', 'snapshot', members, `bench-snapshot-${id}`, 1));
    // The gateway as it idles, started and connected, before its first list: what the list adds is measured from here.
    const idleRss = gateway.rssMb();
    progress(`snapshot of ${MEMBERS} members signed; gateway idles at ${idleRss} MB; posting`);
    const started = performance.now();
    const first = await post(gateway.url, snapshot);
    if (first.status !== 202) throw new Error(`snapshot refused: ${first.status} ${JSON.stringify(first.json).slice(0, 300)}`);
    const counts = first.json.counts as Record<string, number>;
    const records = counts.added! + counts.updated! + counts.statusChanged! + counts.removed!;
    progress(`receipt after ${(first.ms / 1000).toFixed(2)} s; waiting for ${records} records`);
    await consumedCount(records);
    const intakeSeconds = (performance.now() - started) / 1000;
    const recordBytes = Math.round(bodyBytes / consumed);
    const snapshotRss = gateway.peakRssMb();

    progress('raw limit');
    // 1. Raw limit, same path, after the snapshot (so the broker is equally warm), for messages like the
    // gateway's records: same body size and the same AMQP properties (ICD 2: messageId, type, appId,
    // timestamp and six ce- headers). The headers are a large part of the broker's work per message, so
    // the limit with bare properties is measured too, for reference; the ratio uses the like-for-like one.
    const properties = Array.from({ length: records }, (_, i) =>
      recordProperties({ seq: i + 1, eventId: randomUUID(), administration: 'EU', memberKey: `EU:${benchMember(i).memberId}`, change: 'added', routingKey: 'member.added.eu', occurredAt: new Date().toISOString(), body: '' }),
    );
    const raw = await measureRawPublish(AMQP_URL, records, recordBytes, (i) => properties[i]!);
    const rawBare = await measureRawPublish(AMQP_URL, records, recordBytes);

    progress('unchanged re-send');
    // 3. Unchanged re-send.
    const resend = await signers.EU!.sign(listOf('EU', 'snapshot', members, `bench-resend-${id}`, 2));
    const before = consumed;
    const second = await post(gateway.url, resend);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const resendCounts = second.json.counts as Record<string, number>;
    const resendPublished = consumed - before;

    // 4. Small submissions: 10-member deltas from five administrations, against a bare Express endpoint.
    const expected = Math.max(2000, Math.ceil(SMALL_SECONDS * 2500));
    const bodies: string[] = [];
    for (let n = 0; n < expected; n++) {
      const administration = ADMINISTRATIONS[n % ADMINISTRATIONS.length]!;
      const first10 = ((n / ADMINISTRATIONS.length) | 0) * 10 % 5000;
      const version = 1 + Math.floor(n / 2500);
      const deltaMembers = Array.from({ length: 10 }, (_, k) => (administration === 'EU' ? benchMember(MEMBERS + first10 + k, version) : otherMember(administration, first10 + k, version)));
      bodies.push(await signers[administration]!.sign(listOf(administration, 'delta', deltaMembers, `bench-delta-${id}-${n}`)));
    }
    progress(`small submissions: ${bodies.length} signed deltas`);
    const gatewayLoad = await runLoad(gateway.url, bodies);
    const bare = fork(path.join(import.meta.dirname, 'bare-express-server.ts'), { env: { ...process.env, PORT: '18081' }, execArgv: ['--import', 'tsx'], stdio: 'ignore' });
    await new Promise((resolve) => bare.once('message', resolve));
    const bareLoad = await runLoad('http://127.0.0.1:18081', bodies);
    bare.kill('SIGTERM');

    const intakeRate = Math.round(records / intakeSeconds);
    const figures = {
      store: STORE,
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      recordBytes,
      rawLimit: { records, recordsPerSecond: raw.recordsPerSecond, confirmedPerSecond: raw.confirmedPerSecond, properties: 'as the gateway records (ICD 2)' },
      rawLimitBareProperties: { records, recordsPerSecond: rawBare.recordsPerSecond, confirmedPerSecond: rawBare.confirmedPerSecond, properties: 'persistent, messageId, contentType only' },
      snapshotIntake: {
        members: MEMBERS,
        records,
        seconds: Number(intakeSeconds.toFixed(2)),
        recordsPerSecond: intakeRate,
        ratioToRaw: Number((intakeRate / raw.recordsPerSecond).toFixed(2)),
        secondsToReceipt: Number((first.ms / 1000).toFixed(2)),
        gatewayPeakRssMb: snapshotRss,
        gatewayIdleRssMb: idleRss,
        peakAboveIdleMb: snapshotRss - idleRss,
      },
      unchangedResend: {
        secondsToReceipt: Number((second.ms / 1000).toFixed(2)),
        fractionOfFirstIntake: Number((second.ms / 1000 / intakeSeconds).toFixed(3)),
        recordsPublished: resendPublished,
        counts: resendCounts,
      },
      smallSubmissions: {
        seconds: SMALL_SECONDS,
        connections: CONNECTIONS,
        gateway: gatewayLoad,
        bareExpress: bareLoad,
        ratioToBare: Number((gatewayLoad.requestsPerSecond / bareLoad.requestsPerSecond).toFixed(2)),
      },
      gatewayPeakRssMb: gateway.peakRssMb(),
    };
    const targets = {
      snapshotAtLeast0_8OfRaw: figures.snapshotIntake.ratioToRaw >= 0.8,
      resendUnder10PercentOfIntake: figures.unchangedResend.fractionOfFirstIntake < 0.1 && figures.unchangedResend.recordsPublished === 0,
      peakRssUnder600Mb: snapshotRss < 600,
      smallAtLeast0_25OfBare: figures.smallSubmissions.ratioToBare >= 0.25 && gatewayLoad.non2xx === 0,
    };
    return { ...figures, targets };
  } finally {
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteExchange(exchange).catch(() => undefined);
    await connection.close();
    await gateway.stop();
    await store.drop();
    rmSync(workdir, { recursive: true, force: true });
  }
}

const only = process.env.BENCH_ONLY;
if (only !== undefined && only !== 'intake' && only !== 'register') throw new Error(`BENCH_ONLY must be intake or register, not ${only}`);
const intake = only === 'register' ? {} : await main();
const register = only === 'intake' ? undefined : await registerBench();
process.stdout.write(`${JSON.stringify({ ...intake, ...(register ? { register } : {}) }, null, 2)}\n`);
