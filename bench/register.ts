/**
 * The register phase of `npm run bench` (contract section 5): with BENCH_REGISTER_MEMBERS (250,000)
 * members stored across five administrations, MID lookups (GET /v1/members?mid=) from BENCH_CONNECTIONS
 * (16) connections against a bare Express endpoint in the same run, a full export in pages of 1,000, and
 * the query plans of the listing and the lookup. Runs its own gateway (node dist/main.js, so build
 * first) on a store of its own (BENCH_STORE: sqlite, or postgres on BENCH_POSTGRES_URL's server).
 *
 * Alone: `npm run build && npx tsx bench/register.ts`, or `BENCH_ONLY=register npm run bench`. Other
 * knobs: BENCH_REGISTER_SECONDS (10, each load), BENCH_REGISTER_LIST_SIZE (50,000 members per list: an
 * administration's first list is a snapshot, any further ones deltas), AMQP_URL, and, to tell a plan
 * that stale statistics cause from one that lacks an index, BENCH_REGISTER_ANALYZE=1 (PostgreSQL: the
 * bench runs ANALYZE after the load; by default it does not, as nothing would on a server whose
 * autovacuum has not come round yet). Progress goes to stderr; run alone, it prints one JSON document,
 * {"register": ...}.
 */
import amqp from 'amqplib';
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type KeyObject } from 'jose';
import pg from 'pg';
import { GatewayProcess } from './gateway-process.js';
import { REGISTER_ADMINISTRATIONS, registerMember, type RegisterAdministration } from './register-members.js';
import { queryPlans } from './register-plans.js';

const MEMBERS = Number(process.env.BENCH_REGISTER_MEMBERS ?? 250_000);
const LIST_SIZE = Number(process.env.BENCH_REGISTER_LIST_SIZE ?? 50_000);
const SECONDS = Number(process.env.BENCH_REGISTER_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const STORE = process.env.BENCH_STORE ?? 'sqlite';
const POSTGRES_SERVER = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const ANALYZE = process.env.BENCH_REGISTER_ANALYZE === '1';
const PAGE = 1000;
/** Distinct MIDs each connection cycles through (its own, so the connections do not ask in step). */
const MIDS_PER_CONNECTION = 2000;
const GATEWAY_PORT = 18_082;
const BARE_PORT = 18_083;
const root = path.resolve(import.meta.dirname, '..');

/** The member view as GET /v1/members gives it, as far as the bench reads it. */
interface ListedMember {
  key: string;
  member: { idScheme: string; memberId: string; mids?: { value: string; source: string }[] };
}
interface Listing {
  members: ListedMember[];
  next: string | null;
}

interface LoadFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

function progress(message: string): void {
  process.stderr.write(`[bench register] ${message}\n`);
}

/** Where the gateway keeps its state: DATA_DIR (embedded), or a database of the run's own, dropped afterwards. */
async function registerStore(workdir: string, id: number): Promise<{ env: Record<string, string>; databaseUrl?: string; drop(): Promise<void> }> {
  const dataDir = path.join(workdir, 'data');
  if (STORE === 'sqlite') return { env: { DATA_DIR: dataDir }, drop: async () => undefined };
  const name = `mra_bench_register_${id}`;
  const admin = new pg.Client(`${POSTGRES_SERVER}/postgres`);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = `${POSTGRES_SERVER}/${name}`;
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: databaseUrl, RECEIPT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    databaseUrl,
    async drop() {
      const client = new pg.Client(`${POSTGRES_SERVER}/postgres`);
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

type PrivateKey = CryptoKey | KeyObject;

/** A CBP reader's token (contract section 5): an admin key with members:read, no jti, so reusable until exp. */
async function readerToken(privateKey: PrivateKey, kid: string, sub: string): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub, aud: 'mra-gateway-admin', iat, exp: iat + 300 }).setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' }).sign(privateKey);
}

async function getJson<T>(url: string, token: string): Promise<{ status: number; body: T; text: string }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as T, text };
}

/** autocannon, each connection with its own token and its own MIDs, cycled through. */
async function runLookups(url: string, perConnection: { token: string; paths: string[] }[]): Promise<LoadFigures> {
  let client = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    setupClient: (c) => {
      const mine = perConnection[client++ % perConnection.length]!;
      c.setRequests(mine.paths.map((p) => ({ method: 'GET', path: p, headers: { authorization: `Bearer ${mine.token}` } })));
    },
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** The register phase: its figures and whether each target is met. */
export async function registerBench(): Promise<Record<string, unknown>> {
  if (STORE !== 'sqlite' && STORE !== 'postgres') throw new Error(`BENCH_STORE must be sqlite or postgres, not ${STORE}`);
  const workdir = mkdtempSync(path.join(tmpdir(), 'mra-bench-register-'));
  const configDir = path.join(workdir, 'config');
  mkdirSync(path.join(configDir, 'partner-keys'), { recursive: true });
  copyFileSync(path.join(root, 'config/mras.json'), path.join(configDir, 'mras.json'));
  const id = Date.now();
  const partners: Partial<Record<RegisterAdministration, { kid: string; privateKey: PrivateKey }>> = {};
  for (const administration of REGISTER_ADMINISTRATIONS) {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = `bench-register-${administration.toLowerCase()}-${id}`;
    partners[administration] = { kid, privateKey };
    writeFileSync(path.join(configDir, 'partner-keys', `${administration}.json`), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid }] }));
  }
  const reader = await generateKeyPair('ES256');
  const readerKid = `bench-register-reader-${id}`;
  writeFileSync(path.join(configDir, 'admin-keys.json'), JSON.stringify({ keys: [{ ...(await exportJWK(reader.publicKey)), kid: readerKid, roles: ['members:read'] }] }));

  const store = await registerStore(workdir, id);
  const exchange = `bench.register.${id}.members`;
  // The gateway publishes every record (mandatory): a queue of the bench's own takes them, so that the
  // relay is done before anything is measured.
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const queue = `bench.register.${id}.consumer`;
  await channel.assertQueue(queue, { durable: false });
  await channel.bindQueue(queue, exchange, '#');
  await channel.prefetch(1000);
  let consumed = 0;
  await channel.consume(queue, (message) => {
    if (!message) return;
    consumed++;
    channel.ack(message);
  });
  let gateway: GatewayProcess | undefined;
  try {
    gateway = await GatewayProcess.start(
      { CONFIG_DIR: configDir, ...store.env, AMQP_URL, AMQP_EXCHANGE: exchange, AMQP_QUEUE: '', AMQP_DEAD_LETTER_EXCHANGE: `bench.register.${id}.dlx`, AMQP_DEAD_LETTER_QUEUE: `bench.register.${id}.dlq` },
      GATEWAY_PORT,
    );

    // 1. Load: each administration's share, in lists of LIST_SIZE (a snapshot, then deltas).
    const perAdministration = Math.ceil(MEMBERS / REGISTER_ADMINISTRATIONS.length);
    let stored = 0;
    let postSeconds = 0;
    const loadStarted = performance.now();
    for (const [a, administration] of REGISTER_ADMINISTRATIONS.entries()) {
      const count = Math.min(perAdministration, MEMBERS - a * perAdministration);
      for (let first = 0, sequence = 1; first < count; first += LIST_SIZE, sequence++) {
        const members = Array.from({ length: Math.min(LIST_SIZE, count - first) }, (_, k) => registerMember(administration, first + k));
        const list = { specVersion: '1.0', messageId: `bench-register-${id}-${administration}-${sequence}`, administration, issuedAt: new Date().toISOString(), kind: first === 0 ? 'snapshot' : 'delta', sequence, members };
        const { kid, privateKey } = partners[administration]!;
        const body = await new CompactSign(Buffer.from(JSON.stringify(list))).setProtectedHeader({ alg: 'ES256', kid, typ: 'mra-member-list+json' }).sign(privateKey);
        const started = performance.now();
        const response = await fetch(`${gateway.url}/v1/member-lists`, { method: 'POST', headers: { 'Content-Type': 'application/jose' }, body });
        const text = await response.text();
        if (response.status !== 202) throw new Error(`${administration} list ${sequence} refused: ${response.status} ${text.slice(0, 300)}`);
        postSeconds += (performance.now() - started) / 1000;
        stored += members.length;
        progress(`${administration} list ${sequence}: ${members.length} members receipted (${stored} of ${MEMBERS})`);
      }
    }
    progress(`waiting for the relay to publish ${stored} records`);
    for (let waited = 0; consumed < stored; waited++) {
      if (waited > 1200) throw new Error(`only ${consumed} of ${stored} records published after 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const afterLoad = new Date().toISOString();
    if (ANALYZE && store.databaseUrl !== undefined) {
      progress('ANALYZE (BENCH_REGISTER_ANALYZE=1)');
      const client = new pg.Client(store.databaseUrl);
      await client.connect();
      await client.query('ANALYZE');
      await client.end();
    }
    const loadRss = gateway.peakRssMb();

    // 2. Full export: every member, pages of 1,000, one after the other (each page needs the last's cursor).
    progress('export');
    const exportToken = await readerToken(reader.privateKey, readerKid, 'bench-export');
    const partnerMids: string[] = [];
    const derivedMids: string[] = [];
    let identifier = '';
    let exported = 0;
    let pages = 0;
    let previousKey = '';
    let outOfOrder = 0;
    const pageMs: number[] = [];
    /** The last key of the middle page: where a page from the middle of the export starts (for its plan). */
    let middleKey = '';
    const middlePage = Math.max(1, Math.floor(MEMBERS / PAGE / 2));
    const exportStarted = performance.now();
    for (let cursor: string | null = null; ; ) {
      const pageStarted = performance.now();
      const page: { status: number; body: Listing } = await getJson<Listing>(`${gateway.url}/v1/members?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, exportToken);
      pageMs.push(performance.now() - pageStarted);
      if (page.status !== 200) throw new Error(`export page ${pages + 1}: ${page.status} ${JSON.stringify(page.body).slice(0, 300)}`);
      pages++;
      for (const listed of page.body.members) {
        // Ordered by key in code point order (what both stores compare in); JS < compares UTF-16 units,
        // the same for the bench's ASCII keys.
        if (listed.key <= previousKey) outOfOrder++;
        previousKey = listed.key;
        for (const mid of listed.member.mids ?? []) (mid.source === 'partner' ? partnerMids : derivedMids).push(mid.value);
        if (identifier === '') identifier = `${listed.member.idScheme}:${listed.member.memberId}`;
      }
      exported += page.body.members.length;
      if (pages === middlePage) middleKey = previousKey;
      cursor = page.body.next;
      if (cursor === null) break;
    }
    const exportSeconds = (performance.now() - exportStarted) / 1000;
    progress(`exported ${exported} members in ${pages} pages, ${exportSeconds.toFixed(2)} s`);

    // 3. MID lookups: the partners' MIDs as the export gave them, in random order; each a single member.
    const mids = shuffled(partnerMids).slice(0, CONNECTIONS * MIDS_PER_CONNECTION);
    if (mids.length === 0) throw new Error('the export gave no partner MIDs to look up');
    const probeToken = await readerToken(reader.privateKey, readerKid, 'bench-probe');
    let sampleAnswer = '';
    for (const mid of mids.slice(0, 20)) {
      const answer = await getJson<Listing>(`${gateway.url}/v1/members?mid=${mid}`, probeToken);
      const found = answer.body.members ?? [];
      if (answer.status !== 200 || found.length !== 1 || !found[0]!.member.mids?.some((m) => m.value === mid)) {
        throw new Error(`lookup of MID ${mid}: ${answer.status}, ${found.length} members: ${answer.text.slice(0, 300)}`);
      }
      sampleAnswer = answer.text;
    }
    const perConnection = await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, c) => ({
        token: await readerToken(reader.privateKey, readerKid, `bench-reader-${c}`),
        paths: mids.filter((_, i) => i % CONNECTIONS === c).map((mid) => `/v1/members?mid=${mid}`),
      })),
    );
    const bareBodyFile = path.join(workdir, 'bare-answer.json');
    writeFileSync(bareBodyFile, sampleAnswer);
    progress(`MID lookups: ${CONNECTIONS} connections, ${SECONDS} s, ${mids.length} MIDs`);
    const lookups = await runLookups(gateway.url, perConnection);
    progress('the same requests to a bare Express endpoint');
    const bare = fork(path.join(import.meta.dirname, 'register-bare-server.ts'), {
      env: { ...process.env, PORT: String(BARE_PORT), BENCH_BARE_BODY_FILE: bareBodyFile },
      execArgv: ['--import', 'tsx'],
      stdio: 'ignore',
    });
    let bareLoad: LoadFigures;
    try {
      await new Promise((resolve) => bare.once('message', resolve));
      bareLoad = await runLookups(`http://127.0.0.1:${BARE_PORT}`, perConnection);
    } finally {
      bare.kill('SIGTERM');
    }

    // 4. Query plans, on the store as the gateway left it.
    progress('query plans');
    const plans = await queryPlans(STORE === 'sqlite' ? { store: 'sqlite', file: path.join(store.env.DATA_DIR!, 'gateway.db') } : { store: 'postgres', url: store.databaseUrl! }, {
      mid: mids[0]!,
      derivedMid: derivedMids[0] ?? mids[0]!,
      identifier,
      changedSince: afterLoad,
      after: { administration: middleKey.slice(0, middleKey.indexOf(':')), memberId: middleKey.slice(middleKey.indexOf(':') + 1) },
    });

    const ratio = Number((lookups.requestsPerSecond / bareLoad.requestsPerSecond).toFixed(2));
    const figures = {
      store: STORE,
      machine: { cpus: os.cpus().length, node: process.version },
      load: {
        members: stored,
        administrations: REGISTER_ADMINISTRATIONS.length,
        listSize: LIST_SIZE,
        secondsToReceipts: Number(postSeconds.toFixed(2)),
        secondsToLastRecordPublished: Number(loadSeconds.toFixed(2)),
        gatewayPeakRssMb: loadRss,
        analyzedByBench: ANALYZE && STORE === 'postgres',
      },
      midLookups: {
        seconds: SECONDS,
        connections: CONNECTIONS,
        distinctMids: mids.length,
        tokens: `${CONNECTIONS}, one per connection, each reused for all its requests`,
        gateway: lookups,
        bareExpress: bareLoad,
        ratioToBare: ratio,
      },
      export: {
        members: exported,
        expected: stored,
        pages,
        pageSize: PAGE,
        outOfOrder,
        seconds: Number(exportSeconds.toFixed(2)),
        membersPerSecond: Math.round(exported / exportSeconds),
        // A page costs the same wherever the cursor is when the store seeks to it; a cost that grows
        // towards the end means each page reads what lies before the cursor.
        pageMs: {
          first: Math.round(pageMs[0]!),
          median: Math.round(percentile(pageMs, 0.5)),
          p99: Math.round(percentile(pageMs, 0.99)),
          max: Math.round(Math.max(...pageMs)),
          firstTenthMean: Math.round(mean(pageMs.slice(0, Math.ceil(pageMs.length / 10)))),
          lastTenthMean: Math.round(mean(pageMs.slice(-Math.ceil(pageMs.length / 10)))),
        },
      },
      plans,
      gatewayPeakRssMb: gateway.peakRssMb(),
    };
    const targets = {
      lookupsAtLeast0_5OfBare: ratio >= 0.5 && lookups.non2xx === 0 && lookups.errors === 0,
      lookupP99Under20Ms: lookups.p99Ms < 20,
      exportUnder15s: exportSeconds < 15 && exported === stored && outOfOrder === 0,
      plansUseIndexes: plans.queries.every((plan) => plan.informational || plan.usesIndexes),
    };
    return { ...figures, targets };
  } finally {
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteExchange(exchange).catch(() => undefined);
    await connection.close();
    await gateway?.stop();
    await store.drop();
    rmSync(workdir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const register = await registerBench();
  process.stdout.write(`${JSON.stringify({ register }, null, 2)}\n`);
}
