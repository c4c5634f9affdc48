/**
 * `npm run container:check`: builds the image from the Dockerfile and runs it for real, against this
 * machine's RabbitMQ, first on the embedded SQLite store, then on this machine's PostgreSQL, and checks
 * what a deployment relies on. Step by step, with timings:
 *
 *  1. the engine, the broker, PostgreSQL and the base image are there;
 *  2. `docker build --force-rm --network host --build-arg NODE_IMAGE=...` (build time, context size,
 *     cached steps);
 *  3. the image: size, user `node`, production dependencies only (against package-lock.json), the
 *     better-sqlite3 addon loads, the application files are not writable by the process;
 *  4. a config dir (mounted read-only) with a fresh bootstrap partner key in partner-keys/EU.json, a
 *     data volume, exchange and queue names of its own, a free port;
 *  5. `docker run --network host` on SQLite in the volume, until Docker's HEALTHCHECK says `healthy`,
 *     then /readyz;
 *  6. a temporary queue bound to the exchange; the EU sample signed and sent with the partner tool
 *     (`--stamp`: fresh messageId and issuedAt); the records it announced arrive;
 *  7. /readyz, the process's user, the store on the volume; the web console at /console/ (the page
 *     with its strict CSP, and the script it names);
 *  8. `docker stop` (SIGTERM): exit code 0 and "gateway stopped" in the log; the store on the volume
 *     still holds the message once the container is gone;
 *  9. PostgreSQL: a fresh database (mra_container_<time>_<random>), a fresh key-encryption key (KEK),
 *     exchange and queue names of their own, a free port;
 * 10. the same image, `docker run --network host` with DATABASE_URL and RECEIPT_KEY_ENCRYPTION_KEY (in
 *     the docker client's environment, never on a command line) and no data volume, until healthy,
 *     then /readyz (the store is writable);
 * 11. as in 6: the EU sample signed and sent, its records on a temporary queue;
 * 12. /readyz with an empty outbox, nothing written to /data (the instance is stateless), `docker
 *     stop` as in 8, the log says it opened the PostgreSQL store and took the relay lease and never
 *     shows the KEK; the database holds the message and its records, all confirmed, and the receipt
 *     key sealed under that KEK;
 * 13. clean-up: containers, volume, database, the test topologies on the broker, temporary files.
 *
 * Environment: NODE_IMAGE (the base image, default local/node:20-bookworm-slim, a stand-in for
 * node:20-bookworm-slim where no registry is reachable), AMQP_URL (default
 * amqp://guest:guest@127.0.0.1:5672; the container shares the host's network, so it uses the same URL),
 * TEST_POSTGRES_URL (as for the tests: a server where this user may create and drop databases, default
 * postgres://postgres@127.0.0.1:5432/postgres; the container uses the same host and port).
 * Needs a Docker engine. Takes minutes on a cold build cache: not part of .ci/run.
 */
import amqp from 'amqplib';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { redactedAmqpUrl, redactedDatabaseUrl } from '../src/config/app-config.js';
import type { TopologyNames } from '../src/messaging/amqp-topology.js';
import { isSealed, keyEncryptionKeyId } from '../src/receipts/receipt-key-sealing.js';
import { deleteTopology } from '../test/support/broker.js';
import { freePort } from '../test/support/gateway-process.js';
import { createTestDatabase, SHARED_POSTGRES_URL, type TestDatabase } from '../test/support/postgres-database.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE_IMAGE = process.env.NODE_IMAGE ?? 'local/node:20-bookworm-slim';
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const IMAGE = 'mra-gateway:container-check';
const SAMPLE = 'examples/eu-member-list.json';
/** The image's own files (node_modules, dist, ...) may add at most this much to the base image. */
const MAX_APP_BYTES = 80e6;
/** A build context larger than this means .dockerignore lets node_modules, data or .git through. */
const MAX_CONTEXT_BYTES = 20e6;

/**
 * The partner tool: how this script invokes and spells it, here and nowhere else. `npm run -s mra --
 * partner` runs `mra partner` from the sources (no build needed).
 */
const PARTNER_TOOL = {
  command: ['npm', 'run', '-s', 'mra', '--', 'partner'],
  keygen: (administration: string, privateKey: string, publicKey: string) => ['keygen', '--administration', administration, '--key', privateKey, '--public-key', publicKey],
  /** Signs the list with a fresh messageId and issuedAt (--stamp), sends it, prints the verified receipt on stdout. */
  send: (gatewayUrl: string, privateKey: string, list: string) => ['send', '--gateway-url', gatewayUrl, '--key', privateKey, '--list', list, '--stamp'],
} as const;

const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s`;
const say = (line: string): void => console.log(`[${elapsed()}] ${line}`);
const detail = (line: string): void => console.log(`            ${line}`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

class CheckFailure extends Error {}
function fail(message: string): never {
  throw new CheckFailure(message);
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

interface RunOptions {
  onLine?: (line: string) => void;
  timeoutMs?: number;
  /** Added to this process's environment for the command (secrets that must not be on a command line). */
  env?: Record<string, string>;
}

/** Runs a command to its end (never through a shell); `onLine` sees stdout and stderr lines as they come. */
function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ? { ...process.env, ...options.env } : process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let pending = '';
    const lines = (chunk: Buffer): void => {
      if (!options.onLine) return;
      pending += chunk.toString('utf8');
      const parts = pending.split(/\r?\n/);
      pending = parts.pop() ?? '';
      for (const line of parts) options.onLine(line);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      lines(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      lines(chunk);
    });
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), options.timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new CheckFailure(`${command} is not installed (not on PATH)`) : error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pending !== '' && options.onLine) options.onLine(pending);
      resolve({ code: code ?? (signal === null ? 1 : 128), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - t0 });
    });
  });
}

async function docker(args: readonly string[], what: string, options: RunOptions = {}): Promise<RunResult> {
  const result = await run('docker', args, options);
  if (result.code !== 0) fail(`${what} failed (docker ${args[0]}, exit ${result.code}): ${lastLines(result.stderr || result.stdout, 15)}`);
  return result;
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function partnerTool(args: readonly string[]): Promise<RunResult> {
  const [command, ...rest] = PARTNER_TOOL.command;
  return run(command, [...rest, ...args], { timeoutMs: 120_000 });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the one-off container in step 3 reports about the image from inside. */
interface ImageFacts {
  uid: number;
  user: string;
  node: string;
  sqlite: string;
  appWritable: boolean;
  packages: string[];
}

/** Runs inside the image (CommonJS, `node -e`): who runs, whether the addon loads, which packages are installed. */
const IMAGE_PROBE = `
const fs = require('fs'), path = require('path'), os = require('os');
const packages = [];
const walk = (dir, prefix) => {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const names = name.startsWith('@') ? fs.readdirSync(path.join(dir, name)).map((n) => name + '/' + n) : [name];
    for (const n of names) {
      if (!fs.existsSync(path.join(dir, n, 'package.json'))) continue;
      packages.push(prefix + n);
      walk(path.join(dir, n, 'node_modules'), prefix + n + '/node_modules/');
    }
  }
};
walk('/app/node_modules', 'node_modules/');
const Database = require('/app/node_modules/better-sqlite3');
const sqlite = new Database(':memory:').prepare('select sqlite_version() as v').get().v;
let appWritable = true;
try { fs.writeFileSync('/app/dist/probe', 'x'); } catch { appWritable = false; }
console.log(JSON.stringify({ uid: process.getuid(), user: os.userInfo().username, node: process.version, sqlite, appWritable, packages }));
`;

/** Runs inside the image after the gateway stopped: what the store on the volume holds. */
const STORE_PROBE = `
const Database = require('/app/node_modules/better-sqlite3');
const db = new Database('/data/gateway.db', { fileMustExist: true });
const one = (sql) => db.prepare(sql).get().n;
console.log(JSON.stringify({
  messages: one('select count(*) as n from accepted_messages'),
  members: one('select count(*) as n from members'),
  records: one('select count(*) as n from outbox'),
  unpublished: one('select count(*) as n from outbox where seq > (select published_through from outbox_cursor)'),
  partnerKeys: one('select count(*) as n from partner_keys'),
}));
`;

interface Receipt {
  messageId: string;
  administration: string;
  outcome?: string;
  counts: Record<string, number>;
  warnings: unknown[];
}

interface ReceivedRecord {
  routingKey: string;
  messageId: string | undefined;
  body: { change?: string; administration?: { code?: string }; source?: { messageId?: string }; member?: { key?: string; status?: string; recognized?: boolean; certificateType?: string; legalName?: string } };
}

/** Exchange and queue names of one run, `<prefix>.members` and so on, never the default topology. */
function topologyNames(prefix: string): TopologyNames {
  return { exchange: `${prefix}.members`, queue: `${prefix}.risk`, deadLetterExchange: `${prefix}.dlx`, deadLetterQueue: `${prefix}.dlq` };
}

/** Counts in the PostgreSQL store after the run, and its receipt keys as stored. */
const POSTGRES_STORE_QUERY = `SELECT
  (SELECT count(*) FROM accepted_messages)::int AS messages,
  (SELECT count(*) FROM members)::int AS members,
  (SELECT count(*) FROM outbox)::int AS records,
  (SELECT count(*) FROM outbox o WHERE o.seq > COALESCE((SELECT c.published_through FROM outbox_cursors c WHERE c.administration = o.administration), 0))::int AS unpublished,
  (SELECT count(*) FROM partner_keys)::int AS "partnerKeys",
  (SELECT array_agg(private_jwk) FROM receipt_keys) AS "receiptKeys",
  (SELECT epoch FROM relay_lease WHERE id = 1)::int AS "leaseEpoch"`;

interface PostgresStoreCounts {
  messages: number;
  members: number;
  records: number;
  unpublished: number;
  partnerKeys: number;
  receiptKeys: string[] | null;
  leaseEpoch: number;
}

async function main(): Promise<void> {
  const id = randomUUID().slice(0, 8);
  const name = `mra-container-check-${id}`;
  const pgName = `${name}-pg`;
  const volume = `${name}-data`;
  const topology = topologyNames(`mra-container-check.${id}`);
  const pgTopology = topologyNames(`mra-container-check.${id}.pg`);
  const work = mkdtempSync(path.join(tmpdir(), 'mra-container-check-'));
  /** Containers that may exist (even a failed docker run may leave a created one behind), with their topology. */
  const containers: { name: string; topology: TopologyNames }[] = [];
  let volumeCreated = false;
  let database: TestDatabase | undefined;
  const consumers: amqp.ChannelModel[] = [];
  let cleaned: Promise<boolean> | undefined;

  /** Removes everything this run made; true when all of it went. Safe to call twice. */
  const cleanup = (): Promise<boolean> =>
    (cleaned ??= (async () => {
      let ok = true;
      const attempt = async (what: string, action: () => Promise<unknown>): Promise<void> => {
        try {
          await action();
          detail(`removed ${what}`);
        } catch (error) {
          ok = false;
          detail(`could not remove ${what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      for (const consumer of consumers.splice(0)) await consumer.close().catch(() => undefined);
      for (const container of containers) {
        // -v: with the container, its anonymous volumes (the PostgreSQL run's /data); a named volume stays.
        await attempt(`container ${container.name}`, async () => {
          const removed = await run('docker', ['rm', '-f', '-v', container.name]);
          if (removed.code !== 0 && !/no such container/i.test(removed.stderr)) throw new Error(lastLines(removed.stderr, 3));
        });
      }
      if (volumeCreated) await attempt(`volume ${volume}`, () => docker(['volume', 'rm', volume], 'removing the volume'));
      if (database) {
        const made = database;
        await attempt(`database ${made.name}`, () => made.drop());
      }
      // A gateway declares its topology once it runs; before that there is none to remove.
      for (const { topology: t } of containers) {
        await attempt(`queues ${t.queue}, ${t.deadLetterQueue} and exchanges ${t.exchange}, ${t.deadLetterExchange} from the broker`, () => deleteTopology(t, AMQP_URL));
      }
      await attempt(`temporary files ${work}`, async () => rmSync(work, { recursive: true, force: true }));
      return ok;
    })());
  process.once('SIGINT', () => {
    console.log('\ninterrupted: cleaning up');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    // ---- 1 ---------------------------------------------------------------------------------------
    say('1. Prerequisites: Docker engine, RabbitMQ, PostgreSQL, base image');
    const engine = await run('docker', ['version', '--format', '{{.Server.Version}}']);
    if (engine.code !== 0) fail(`no Docker engine answers (docker version: ${lastLines(engine.stderr, 3)}); start one and retry`);
    detail(`Docker engine ${engine.stdout.trim()}`);
    const broker = await amqp.connect(AMQP_URL).catch((error: unknown) => fail(`RabbitMQ does not answer at ${redactedAmqpUrl(AMQP_URL)}: ${String(error)}`));
    const serverVersion = (broker.connection as unknown as { serverProperties?: { version?: string } }).serverProperties?.version;
    await broker.close();
    detail(`RabbitMQ ${serverVersion ?? ''} at ${redactedAmqpUrl(AMQP_URL)}`);
    const postgresVersion = await withPostgres(SHARED_POSTGRES_URL, async (client) => (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version).catch((error: unknown) =>
      fail(`PostgreSQL does not answer at ${redactedDatabaseUrl(SHARED_POSTGRES_URL)} (TEST_POSTGRES_URL): ${String(error)}`),
    );
    detail(`PostgreSQL ${postgresVersion} at ${redactedDatabaseUrl(SHARED_POSTGRES_URL)}`);
    const base = await run('docker', ['image', 'inspect', '--format', '{{.Size}}', NODE_IMAGE]);
    const baseBytes = base.code === 0 ? Number(base.stdout.trim()) : undefined;
    detail(baseBytes === undefined ? `base image ${NODE_IMAGE} is not here: docker build will try to pull it` : `base image ${NODE_IMAGE}: ${megabytes(baseBytes)}`);

    // ---- 2 ---------------------------------------------------------------------------------------
    say(`2. docker build --force-rm --network host --build-arg NODE_IMAGE=${NODE_IMAGE} -t ${IMAGE} .`);
    const steps: { text: string; at: number; cached: boolean }[] = [];
    let contextSize = '';
    const build = await run('docker', ['build', '--force-rm', '--network', 'host', '--build-arg', `NODE_IMAGE=${NODE_IMAGE}`, '-t', IMAGE, '.'], {
      onLine: (line) => {
        const step = /^Step (\d+\/\d+) : (.*)$/.exec(line);
        if (step) steps.push({ text: `${step[1]} ${step[2]}`, at: performance.now(), cached: false });
        else if (/^ ---> Using cache$/.test(line) && steps.length > 0) steps[steps.length - 1]!.cached = true;
        // Legacy builder: "Sending build context to Docker daemon  976.4kB"; BuildKit: "transferring context: 1.2MB".
        const context = /(?:Sending build context to Docker daemon|transferring context:)\s+([\d.]+\s*[kMG]?B)/.exec(line);
        if (context) contextSize = context[1]!;
      },
    });
    writeFileSync(path.join(work, 'build.log'), build.stdout + build.stderr);
    if (build.code !== 0) {
      const hint = baseBytes === undefined ? `\n(the base image ${NODE_IMAGE} is not on this machine: with no registry reachable, make a local one and set NODE_IMAGE to it)` : '';
      fail(`docker build failed (exit ${build.code}):\n${lastLines(build.stdout + build.stderr, 25)}${hint}`);
    }
    const buildEnd = performance.now();
    // ARG and FROM steps make no layer, so they are never "from the cache".
    const layerSteps = steps.filter((s) => !/^\d+\/\d+ (ARG|FROM) /.test(s.text));
    const cachedSteps = layerSteps.filter((s) => s.cached).length;
    const slow = steps.map((s, i) => ({ text: s.text, ms: (steps[i + 1]?.at ?? buildEnd) - s.at })).filter((s) => s.ms >= 1000);
    detail(
      `built in ${seconds(build.ms)}; build context ${contextSize || '(size not reported by this builder)'}` +
        `${layerSteps.length > 0 ? `; ${cachedSteps} of ${layerSteps.length} steps from the build cache` : ''}${slow.length > 0 ? '; the steps that took a second or more:' : ''}`,
    );
    for (const s of slow) detail(`  ${seconds(s.ms).padStart(7)}  ${s.text.length > 90 ? `${s.text.slice(0, 89)}…` : s.text}`);
    if (contextSize !== '' && sizeInBytes(contextSize) > MAX_CONTEXT_BYTES) fail(`the build context is ${contextSize}: .dockerignore should keep node_modules, dist, data and .git out of it`);

    // ---- 3 ---------------------------------------------------------------------------------------
    say('3. The image');
    const inspect = JSON.parse((await docker(['image', 'inspect', IMAGE], 'inspecting the image')).stdout) as {
      Size: number;
      Config: { User: string; Healthcheck?: { Interval?: number; StartPeriod?: number; Timeout?: number; Retries?: number }; Volumes?: Record<string, unknown> };
    }[];
    const image = inspect[0] ?? fail(`docker image inspect ${IMAGE} returned nothing`);
    const appBytes = baseBytes === undefined ? undefined : image.Size - baseBytes;
    detail(`size ${megabytes(image.Size)}${appBytes === undefined ? '' : `: the base ${megabytes(baseBytes!)} + ${megabytes(appBytes)} of the gateway`}`);
    const history = (await docker(['history', '--no-trunc', '--format', '{{.Size}}\t{{.CreatedBy}}', IMAGE], 'reading the image history')).stdout.trim().split('\n');
    for (const layer of history.slice(0, -1)) {
      const [size, createdBy = ''] = layer.split('\t');
      const what = createdBy.replace(/^\/bin\/sh -c (#\(nop\) )?/, '').replace(/^(COPY) (?:dir|file):[0-9a-f]+ in (\S+).*$/, '$1 to $2');
      if (size !== '0B') detail(`  layer ${size!.padStart(7)}  ${what.length > 80 ? `${what.slice(0, 79)}…` : what}`);
    }
    if (appBytes !== undefined && appBytes > MAX_APP_BYTES) fail(`the gateway adds ${megabytes(appBytes)} to its base image (limit ${megabytes(MAX_APP_BYTES)}): dev dependencies or build leftovers got in`);
    if (image.Config.User !== 'node') fail(`the image runs as "${image.Config.User || 'root'}", not as the user node`);
    if (!image.Config.Volumes || !('/data' in image.Config.Volumes)) fail('the image declares no volume /data');
    const health = image.Config.Healthcheck ?? fail('the image has no HEALTHCHECK');
    detail(`USER node, VOLUME /data, HEALTHCHECK every ${seconds((health.Interval ?? 30e9) / 1e6)} (start period ${seconds((health.StartPeriod ?? 0) / 1e6)}, ${health.Retries ?? 3} retries)`);
    const probe = await docker(['run', '--rm', '--network', 'host', '--entrypoint', 'node', IMAGE, '-e', IMAGE_PROBE], 'looking inside the image');
    const facts = JSON.parse(probe.stdout.trim().split('\n').pop() ?? '{}') as ImageFacts;
    if (facts.uid === 0 || facts.user !== 'node') fail(`the process in the image runs as ${facts.user} (uid ${facts.uid}), not as node`);
    if (facts.appWritable) fail('the process can write to /app/dist: the application files should belong to root');
    detail(`a process in it runs as ${facts.user} (uid ${facts.uid}), Node.js ${facts.node}; /app is read-only to it`);
    detail(`better-sqlite3's native addon loads: SQLite ${facts.sqlite}`);
    const deps = dependencyCheck(facts.packages);
    if (deps.dev.length > 0) fail(`dev dependencies in the image: ${deps.dev.slice(0, 10).join(', ')}${deps.dev.length > 10 ? ` and ${deps.dev.length - 10} more` : ''}`);
    if (deps.unknown.length > 0) fail(`packages in the image that package-lock.json does not list: ${deps.unknown.slice(0, 10).join(', ')}`);
    if (deps.missing.length > 0) fail(`production dependencies missing from the image: ${deps.missing.slice(0, 10).join(', ')}`);
    detail(`node_modules: ${facts.packages.length} packages, all production dependencies of package-lock.json (${deps.devInLock} dev-only ones absent)`);

    // ---- 4 ---------------------------------------------------------------------------------------
    say('4. A config dir (read-only mount) with a bootstrap partner key, a data volume, a topology of our own');
    const configDir = path.join(work, 'config');
    const keysDir = path.join(work, 'keys');
    mkdirSync(path.join(configDir, 'partner-keys'), { recursive: true });
    mkdirSync(keysDir, { mode: 0o700 });
    copyFileSync(path.join(ROOT, 'config/mras.json'), path.join(configDir, 'mras.json'));
    copyFileSync(path.join(ROOT, 'config/admin-keys.json'), path.join(configDir, 'admin-keys.json'));
    const privateKey = path.join(keysDir, 'eu.jwk.json');
    const publicKey = path.join(keysDir, 'eu.pub.json');
    const keygen = await partnerTool(PARTNER_TOOL.keygen('EU', privateKey, publicKey));
    if (keygen.code !== 0) fail(`the partner tool's keygen failed (exit ${keygen.code}): ${lastLines(keygen.stderr, 5)}`);
    const publicJwk = JSON.parse(readFileSync(publicKey, 'utf8')) as { kid: string; alg: string };
    writeFileSync(path.join(configDir, 'partner-keys', 'EU.json'), `${JSON.stringify({ keys: [publicJwk] }, null, 2)}\n`);
    // The gateway runs as node (uid 1000): the mounted directory must be readable by others.
    for (const dir of [work, configDir, path.join(configDir, 'partner-keys')]) chmodSync(dir, 0o755);
    detail(`${configDir}: mras.json, admin-keys.json (from config/), partner-keys/EU.json (${publicJwk.alg} key ${publicJwk.kid}, made by the partner tool's keygen in ${seconds(keygen.ms)})`);
    await docker(['volume', 'create', volume], 'creating the data volume');
    volumeCreated = true;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    detail(`volume ${volume}; port ${port}; exchange ${topology.exchange}, queue ${topology.queue}, DLX ${topology.deadLetterExchange}, DLQ ${topology.deadLetterQueue}`);

    // ---- 5 ---------------------------------------------------------------------------------------
    say(`5. docker run --network host ${IMAGE} (SQLite in the volume), until the HEALTHCHECK reports healthy`);
    containers.push({ name, topology });
    const sqliteStarted = await startContainer(name, { PORT: String(port), HOST: '127.0.0.1', ...topologyEnv(topology), LOG_LEVEL: 'info' }, ['-v', `${configDir}:/app/config:ro`, '-v', `${volume}:/data`]);
    const ready = await waitReady(url, 30_000);
    detail(`/readyz 200 ${ready.elapsed}: store writable, broker connected`);

    // ---- 6 ---------------------------------------------------------------------------------------
    say(`6. A temporary queue bound to ${topology.exchange}; the partner tool signs and sends ${SAMPLE} (--stamp)`);
    const { expected } = await sendAndReceive(url, topology, privateKey, consumers);

    // ---- 7 ---------------------------------------------------------------------------------------
    say('7. /readyz, the process, the store on the volume');
    const after = await waitReady(url, 10_000, (body) => body.checks?.outbox?.backlog === 0);
    detail(`/readyz 200: ${JSON.stringify(after.body)}`);
    const pid1 = await docker(['exec', name, 'sh', '-c', 'id -un; grep ^Uid: /proc/1/status; ls -ln /data'], 'looking into the running container');
    const [execUser, uidLine = '', ...dataListing] = pid1.stdout.trim().split('\n');
    if (execUser !== 'node' || !/^Uid:\s+1000\s/.test(uidLine)) fail(`the gateway process does not run as node (uid 1000): ${execUser}, ${uidLine}`);
    detail(`PID 1 (node dist/main.js) runs as uid 1000 (node)`);
    const mounts = JSON.parse((await docker(['inspect', '--format', '{{json .Mounts}}', name], 'inspecting the mounts')).stdout) as { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
    const data = mounts.find((m) => m.Destination === '/data');
    const config = mounts.find((m) => m.Destination === '/app/config');
    if (data?.Type !== 'volume' || data.Name !== volume || !data.RW) fail(`/data is not the volume ${volume}: ${JSON.stringify(data)}`);
    if (config?.RW !== false) fail(`/app/config is not mounted read-only: ${JSON.stringify(config)}`);
    if (!dataListing.some((l) => /\s1000\s+1000\s.*gateway\.db$/.test(l))) fail(`no gateway.db of uid 1000 in /data:\n${dataListing.join('\n')}`);
    detail(`/data is the volume ${volume} (read-write), /app/config the read-only bind mount; in /data:`);
    for (const line of dataListing.filter((l) => l.includes('gateway.db'))) detail(`  ${line}`);
    await checkConsole(url);

    // ---- 8 ---------------------------------------------------------------------------------------
    say('8. docker stop (SIGTERM)');
    const stop = await stopContainer(name);
    const store = await docker(['run', '--rm', '--network', 'host', '-v', `${volume}:/data`, '--entrypoint', 'node', IMAGE, '-e', STORE_PROBE], 'reading the store on the volume');
    const held = JSON.parse(store.stdout.trim()) as { messages: number; members: number; records: number; unpublished: number; partnerKeys: number };
    if (held.messages !== 1 || held.records !== expected || held.unpublished !== 0) fail(`the store on the volume holds ${JSON.stringify(held)}; expected 1 message and ${expected} records, all published`);
    detail(`the volume outlives the container: its gateway.db holds ${held.messages} message, ${held.members} members, ${held.records} outbox records (${held.unpublished} unpublished), ${held.partnerKeys} partner key`);

    // ---- 9 ---------------------------------------------------------------------------------------
    say('9. PostgreSQL: a fresh database, a fresh key-encryption key, a topology of our own');
    const pgCreated = performance.now();
    database = await createTestDatabase('mra_container');
    const kek = randomBytes(32);
    const kekBase64 = kek.toString('base64');
    const kekId = keyEncryptionKeyId(kek);
    const pgPort = await freePort();
    const pgUrl = `http://127.0.0.1:${pgPort}`;
    detail(`database ${database.name} created in ${seconds(performance.now() - pgCreated)} (${redactedDatabaseUrl(database.url)})`);
    detail(`KEK: 32 random bytes (id ${kekId}), as RECEIPT_KEY_ENCRYPTION_KEY in the docker client's environment (docker run -e RECEIPT_KEY_ENCRYPTION_KEY)`);
    detail(`port ${pgPort}; exchange ${pgTopology.exchange}, queue ${pgTopology.queue}; no data volume (the image's VOLUME /data is an anonymous one, removed with the container)`);

    // ---- 10 --------------------------------------------------------------------------------------
    say(`10. docker run --network host ${IMAGE} with DATABASE_URL, until the HEALTHCHECK reports healthy`);
    containers.push({ name: pgName, topology: pgTopology });
    const pgStarted = await startContainer(
      pgName,
      { PORT: String(pgPort), HOST: '127.0.0.1', ...topologyEnv(pgTopology), DATABASE_URL: database.url, DATABASE_POOL_SIZE: '5', RELAY_LEASE_SECONDS: '5', LOG_LEVEL: 'info' },
      ['-v', `${configDir}:/app/config:ro`],
      { RECEIPT_KEY_ENCRYPTION_KEY: kekBase64 },
    );
    const pgReady = await waitReady(pgUrl, 30_000, (body) => body.checks?.store?.writable === true);
    detail(`/readyz 200 ${pgReady.elapsed}: store (PostgreSQL) writable, broker connected`);

    // ---- 11 --------------------------------------------------------------------------------------
    say(`11. A temporary queue bound to ${pgTopology.exchange}; the partner tool signs and sends ${SAMPLE} (--stamp)`);
    const { expected: pgExpected } = await sendAndReceive(pgUrl, pgTopology, privateKey, consumers);

    // ---- 12 --------------------------------------------------------------------------------------
    say('12. /readyz, nothing in /data, docker stop (SIGTERM), the store in PostgreSQL');
    const pgAfter = await waitReady(pgUrl, 10_000, (body) => body.checks?.outbox?.backlog === 0);
    detail(`/readyz 200: ${JSON.stringify(pgAfter.body)}`);
    const dataDir = await docker(['exec', pgName, 'ls', '-A', '/data'], 'listing /data in the running container');
    if (dataDir.stdout.trim() !== '') fail(`the gateway on PostgreSQL wrote to /data: ${dataDir.stdout.trim()}`);
    detail('/data is empty: on PostgreSQL the instance keeps no state of its own (no store file, no generated KEK)');
    const pgStop = await stopContainer(pgName);
    const pgLog = pgStop.logLines;
    if (!pgLog.some((l) => l.includes('"message":"store opened"') && l.includes('"store":"postgres"'))) fail(`the log does not say that the gateway opened the PostgreSQL store:\n${pgLog.slice(0, 10).join('\n')}`);
    const leaseLine = pgLog.find((l) => l.includes('outbox relay lease acquired: this instance publishes')) ?? fail('the log does not say that the gateway took the outbox relay lease');
    const lease = JSON.parse(leaseLine) as { message: string; epoch?: number };
    if (pgLog.some((l) => l.includes(kekBase64) || l.includes(kek.toString('base64url')))) fail('the log shows the key-encryption key');
    detail(`the log says: store opened (postgres); ${lease.message} (epoch ${String(lease.epoch)}); it never shows the KEK`);
    const counts = await withPostgres(database.url, async (client) => (await client.query<PostgresStoreCounts>(POSTGRES_STORE_QUERY)).rows[0]!);
    if (counts.messages !== 1 || counts.records !== pgExpected || counts.unpublished !== 0) fail(`the PostgreSQL store holds ${JSON.stringify({ ...counts, receiptKeys: counts.receiptKeys?.length })}; expected 1 message and ${pgExpected} records, all confirmed`);
    const receiptKeys = (counts.receiptKeys ?? []).map((value) => JSON.parse(value) as unknown);
    if (receiptKeys.length === 0) fail('the PostgreSQL store holds no receipt key');
    for (const key of receiptKeys) {
      if (!isSealed(key)) fail('a receipt private key is stored in plaintext');
      if (key.kek !== kekId) fail(`a receipt private key is sealed under KEK ${key.kek}, not the one given (${kekId})`);
    }
    detail(
      `${database.name} holds ${counts.messages} message, ${counts.members} members, ${counts.records} outbox records (${counts.unpublished} unconfirmed), ${counts.partnerKeys} partner key, ` +
        `${receiptKeys.length} receipt key${receiptKeys.length === 1 ? '' : 's'} sealed under KEK ${kekId}; relay lease epoch ${counts.leaseEpoch}`,
    );

    // ---- 13 --------------------------------------------------------------------------------------
    say('13. Clean-up');
    if (!(await cleanup())) fail('clean-up was incomplete (see above)');
    say(
      `container check passed: image ${megabytes(image.Size)}, built in ${seconds(build.ms)}${layerSteps.length > 0 ? ` (${cachedSteps} of ${layerSteps.length} steps cached)` : ''}; ` +
        `SQLite: healthy after ${seconds(sqliteStarted.healthyAfter)}, ${expected} records received, stopped in ${seconds(stop.ms)} with exit code 0; ` +
        `PostgreSQL ${postgresVersion.split(' ')[0]!}: healthy after ${seconds(pgStarted.healthyAfter)}, ${pgExpected} records received, stopped in ${seconds(pgStop.ms)} with exit code 0`,
    );
  } catch (error) {
    say('clean-up after the failure');
    await cleanup();
    throw error;
  }
}

/** The console ships in the image: /console/ is its page, under the console's policy, and the script it names loads. */
async function checkConsole(url: string): Promise<void> {
  const page = await fetch(`${url}/console/`);
  const html = await page.text();
  const csp = page.headers.get('content-security-policy') ?? '';
  if (page.status !== 200 || !csp.includes("script-src 'self'")) fail(`/console/ answered ${page.status} with CSP "${csp}":\n${html.slice(0, 300)}`);
  const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  if (script === undefined) fail(`/console/ names no script under /console/assets/:\n${html.slice(0, 300)}`);
  const bundle = await fetch(`${url}${script}`);
  const size = (await bundle.arrayBuffer()).byteLength;
  if (bundle.status !== 200 || !(bundle.headers.get('cache-control') ?? '').includes('immutable')) fail(`${script} answered ${bundle.status}, Cache-Control ${bundle.headers.get('cache-control')}`);
  detail(`/console/ 200 (CSP ${csp.split(';')[0]}; ...), ${script} ${size} bytes, cached immutable`);
}

function topologyEnv(topology: TopologyNames): Record<string, string> {
  return {
    AMQP_URL,
    AMQP_EXCHANGE: topology.exchange,
    AMQP_QUEUE: topology.queue,
    AMQP_DEAD_LETTER_EXCHANGE: topology.deadLetterExchange,
    AMQP_DEAD_LETTER_QUEUE: topology.deadLetterQueue,
  };
}

/**
 * `docker run -d --network host` of the image, then waits until Docker's HEALTHCHECK says healthy.
 * `secretEnv` goes into the docker client's environment and is named, not valued, on its command line.
 */
async function startContainer(name: string, env: Record<string, string>, args: readonly string[], secretEnv: Record<string, string> = {}): Promise<{ healthyAfter: number }> {
  const url = `http://127.0.0.1:${env.PORT}`;
  const runStart = performance.now();
  await docker(
    ['run', '-d', '--name', name, '--network', 'host', ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), ...Object.keys(secretEnv).flatMap((k) => ['-e', k]), ...args, IMAGE],
    'starting the container',
    { env: secretEnv },
  );
  let answeredAfter: number | undefined;
  let healthyAfter: number | undefined;
  while (healthyAfter === undefined) {
    const state = JSON.parse((await docker(['inspect', '--format', '{{json .State}}', name], 'inspecting the container')).stdout) as {
      Status: string;
      ExitCode: number;
      Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] };
    };
    if (state.Status !== 'running') fail(`the container stopped (status ${state.Status}, exit code ${state.ExitCode}); its log:\n${await containerLog(name)}`);
    if (answeredAfter === undefined && (await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) answeredAfter = performance.now() - runStart;
    if (state.Health?.Status === 'healthy') healthyAfter = performance.now() - runStart;
    else if (state.Health?.Status === 'unhealthy') fail(`the HEALTHCHECK reports unhealthy: ${JSON.stringify(state.Health.Log?.slice(-1))}\n${await containerLog(name)}`);
    else if (performance.now() - runStart > 120_000) fail(`not healthy after 120 s (health: ${state.Health?.Status ?? 'none'}); its log:\n${await containerLog(name)}`);
    else await sleep(250);
  }
  detail(`/healthz answered ${answeredAfter === undefined ? '(not seen)' : `${seconds(answeredAfter)}`} after docker run; Docker reported healthy after ${seconds(healthyAfter)} (its first probe runs one interval after start)`);
  return { healthyAfter };
}

/**
 * A temporary queue bound to the run's exchange, the EU sample signed and sent by the partner tool, and
 * every record its receipt announces received there (from that message of EU).
 */
async function sendAndReceive(url: string, topology: TopologyNames, privateKey: string, consumers: amqp.ChannelModel[]): Promise<{ expected: number }> {
  const consumer = await amqp.connect(AMQP_URL);
  consumers.push(consumer);
  const channel = await consumer.createChannel();
  await channel.checkExchange(topology.exchange);
  const { queue: tempQueue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
  await channel.bindQueue(tempQueue, topology.exchange, '#');
  const received: ReceivedRecord[] = [];
  await channel.consume(
    tempQueue,
    (message) => {
      if (!message) return;
      received.push({ routingKey: message.fields.routingKey, messageId: message.properties.messageId as string | undefined, body: JSON.parse(message.content.toString('utf8')) as ReceivedRecord['body'] });
    },
    { noAck: true },
  );
  detail(`${tempQueue} (exclusive, auto-delete) bound with #`);
  const send = await partnerTool(PARTNER_TOOL.send(url, privateKey, path.join(ROOT, SAMPLE)));
  if (send.code !== 0) fail(`the partner tool's send failed (exit ${send.code}):\n${lastLines(send.stderr, 15)}\n${lastLines(send.stdout, 15)}`);
  const receipt = JSON.parse(send.stdout) as Receipt;
  for (const line of send.stderr.trim().split('\n')) detail(`partner: ${line}`);
  detail(`receipt for ${receipt.messageId} (${seconds(send.ms)} with the tool's start-up): ${Object.entries(receipt.counts).map(([k, v]) => `${k} ${v}`).join(', ')}; ${receipt.warnings.length} warnings`);
  const expected = ['added', 'updated', 'statusChanged', 'removed'].reduce((sum, k) => sum + (receipt.counts[k] ?? 0), 0);
  if (expected === 0) fail('the receipt announces no record: the sample should add members to an empty store');
  const waitStart = performance.now();
  while (new Set(received.map((r) => r.messageId)).size < expected && performance.now() - waitStart < 30_000) await sleep(50);
  const distinct = new Set(received.map((r) => r.messageId)).size;
  if (distinct < expected) fail(`${distinct} of ${expected} records arrived within 30 s`);
  detail(`${expected} records on the temporary queue, the last ${seconds(performance.now() - waitStart)} after the partner tool exited (it exits once it has verified the receipt):`);
  for (const r of received) {
    const m = r.body.member ?? {};
    detail(`  ${r.routingKey.padEnd(22)} ${String(r.body.change).padEnd(8)} ${String(m.key).padEnd(26)} ${String(m.status).padEnd(10)} recognized ${m.recognized === true ? 'yes' : 'no '} ${String(m.certificateType).padEnd(5)} ${m.legalName ?? ''}`);
    if (r.body.administration?.code !== 'EU' || r.body.source?.messageId !== receipt.messageId) fail(`record ${r.messageId} is not from ${receipt.messageId} of EU`);
  }
  await consumer.close();
  consumers.splice(consumers.indexOf(consumer), 1);
  return { expected };
}

/** `docker stop` (SIGTERM): exit code 0, "stopping" (SIGTERM) and "gateway stopped" in the log, no error line. */
async function stopContainer(name: string): Promise<{ ms: number; logLines: string[] }> {
  const stop = await docker(['stop', '--time', '30', name], 'stopping the container');
  const stopped = JSON.parse((await docker(['inspect', '--format', '{{json .State}}', name], 'inspecting the stopped container')).stdout) as { ExitCode: number; OOMKilled: boolean };
  const log = await containerLog(name);
  const logLines = log.trim().split('\n');
  const errors = logLines.filter((l) => l.includes('"level":"error"'));
  if (stopped.ExitCode !== 0) fail(`the gateway exited with code ${stopped.ExitCode} on SIGTERM (137: killed after the stop timeout); its log ends:\n${lastLines(log, 10)}`);
  if (!logLines.some((l) => l.includes('"message":"stopping"') && l.includes('"signal":"SIGTERM"')) || !logLines.some((l) => l.includes('"message":"gateway stopped"'))) {
    fail(`the log does not say that the gateway stopped on SIGTERM; it ends:\n${lastLines(log, 10)}`);
  }
  if (errors.length > 0) fail(`the gateway logged errors:\n${errors.join('\n')}`);
  detail(`stopped in ${seconds(stop.ms)}, exit code 0; ${logLines.length} log lines, no errors; the last two:`);
  for (const line of logLines.slice(-2)) detail(`  ${line}`);
  return { ms: stop.ms, logLines };
}

async function withPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Polls /readyz until 200 (and `accept`), or fails with its last answer. */
async function waitReady(url: string, timeoutMs: number, accept: (body: ReadyBody) => boolean = () => true): Promise<{ body: ReadyBody; elapsed: string }> {
  const t0 = performance.now();
  let last = '';
  while (performance.now() - t0 < timeoutMs) {
    try {
      const response = await fetch(`${url}/readyz`);
      const text = await response.text();
      last = `${response.status} ${text}`;
      if (response.status === 200) {
        const body = JSON.parse(text) as ReadyBody;
        if (accept(body)) return { body, elapsed: `after ${seconds(performance.now() - t0)} more` };
      }
    } catch (error) {
      last = String(error);
    }
    await sleep(200);
  }
  return fail(`/readyz did not answer as expected within ${seconds(timeoutMs)}: ${last}`);
}

interface ReadyBody {
  status?: string;
  checks?: { store?: { writable?: boolean }; outbox?: { backlog?: number } };
}

async function containerLog(name: string): Promise<string> {
  const result = await run('docker', ['logs', name]);
  return `${result.stdout}${result.stderr}`;
}

/** Compares the packages found in the image with package-lock.json. */
function dependencyCheck(present: readonly string[]): { dev: string[]; missing: string[]; unknown: string[]; devInLock: number } {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean; link?: boolean }> };
  const entries = Object.entries(lock.packages).filter(([p]) => p !== '');
  const installed = new Set(present);
  const inLock = new Map(entries);
  return {
    dev: present.filter((p) => inLock.get(p)?.dev === true),
    unknown: present.filter((p) => !inLock.has(p)),
    missing: entries.filter(([p, e]) => !e.dev && !e.optional && !e.devOptional && !e.link && !installed.has(p)).map(([p]) => p),
    devInLock: entries.filter(([, e]) => e.dev === true).length,
  };
}

function sizeInBytes(text: string): number {
  const match = /^([\d.]+)\s*([kMG]?)B$/.exec(text.trim());
  if (!match) return 0;
  return Number(match[1]) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[match[2]!]!;
}


main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`\ncontainer check FAILED: ${error instanceof Error ? (error instanceof CheckFailure ? error.message : (error.stack ?? error.message)) : String(error)}`);
    process.exit(1);
  },
);
