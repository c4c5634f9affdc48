/**
 * `npm run demo`: the whole flow on this machine, against the real RabbitMQ (AMQP_URL, default
 * amqp://guest:guest@127.0.0.1:5672). It starts a gateway of its own (`src/main.ts`, in a temporary
 * directory, on a free port, with exchange and queue names of its own so it never touches a real
 * topology) with a throwaway administrator key in its admin-keys.json; creates throwaway partner keys
 * for EU, JP, CA and MX and registers them through the admin API (POST
 * /admin/v1/administrations/{code}/keys, as CBP does at onboarding); sends the samples of examples/
 * with the partner tool (sign, push, verify the receipt); and prints the resulting records with the
 * consumer tool. Everything it made is removed at the end.
 */
import amqp from 'amqplib';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { tailRecords } from '../src/cli/consumer/tail-records.js';
import { generatePartnerKey } from '../src/cli/partner/partner-key-files.js';
import { runPartnerTool } from '../src/cli/partner/partner-commands.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const SAMPLES = [
  { code: 'EU', file: 'eu-member-list.json' },
  { code: 'JP', file: 'jp-member-list.json' },
  { code: 'CA', file: 'ca-member-list.json' },
  { code: 'MX', file: 'mx-member-list.json' },
];

export interface DemoResult {
  accepted: number;
  /** Warnings on the receipts (the samples should have none). */
  warnings: number;
  records: number;
}

export async function runDemo(options: { amqpUrl: string; out: Writable }): Promise<DemoResult> {
  const say = (line = '') => options.out.write(`${line}\n`);
  const root = mkdtempSync(path.join(tmpdir(), 'mra-demo-'));
  const id = randomUUID().slice(0, 8);
  const topology = { exchange: `mra-demo.${id}.members`, queue: `mra-demo.${id}.risk`, dlx: `mra-demo.${id}.dlx`, dlq: `mra-demo.${id}.dlq` };
  let gateway: ChildProcess | undefined;
  // If this process ends early (Ctrl-C, a closed pipe), its gateway must not outlive it.
  const stopGateway = (): void => {
    gateway?.kill('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', stopGateway);
  try {
    say('1. A gateway of our own, with a throwaway administrator key');
    const configDir = path.join(root, 'config');
    mkdirSync(configDir, { recursive: true });
    mkdirSync(path.join(root, 'keys'));
    copyFileSync(path.join(ROOT, 'config/mras.json'), path.join(configDir, 'mras.json'));
    const admin = await createAdminKey();
    writeFileSync(path.join(configDir, 'admin-keys.json'), JSON.stringify({ keys: [admin.publicJwk] }, null, 2));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    gateway = startGateway(root, configDir, port, options.amqpUrl, topology);
    await waitUntilReady(url, gateway, path.join(root, 'gateway.log'));
    say(`   ${url} is ready (log: ${path.join(root, 'gateway.log')})`);

    say('\n2. Throwaway partner keys (mra partner keygen), registered through the admin API');
    for (const { code } of SAMPLES) {
      const key = await generatePartnerKey({ administration: code, alg: 'ES256', privateKeyFile: path.join(root, 'keys', `${code}.jwk.json`) });
      await registerPartnerKey(url, admin, code, key.publicJwk);
      say(`   ${code}: ${key.kid}`);
    }

    say('\n3. Partners sign and send their lists (mra partner send --stamp); receipts are verified');
    let accepted = 0;
    let records = 0;
    let warnings = 0;
    for (const { code, file } of SAMPLES) {
      const receiptOut = capture();
      const exitCode = await runPartnerTool(
        ['send', '--gateway-url', url, '--key', path.join(root, 'keys', `${code}.jwk.json`), '--list', path.join(ROOT, 'examples', file), '--stamp'],
        { stdout: receiptOut.stream, stderr: indented(options.out) },
      );
      if (exitCode !== 0) throw new Error(`sending ${file} failed with exit code ${exitCode}`);
      const receipt = JSON.parse(receiptOut.text()) as { counts: Record<string, number>; warnings: unknown[] };
      const counts = receipt.counts;
      warnings += receipt.warnings.length;
      accepted++;
      records += (counts.added ?? 0) + (counts.updated ?? 0) + (counts.statusChanged ?? 0) + (counts.removed ?? 0);
    }

    say(`\n4. What a CBP consumer receives (mra consumer tail --queue ${topology.queue} --format table)`);
    const { printed } = await tailRecords({ amqpUrl: options.amqpUrl, source: { queue: topology.queue }, format: 'table', output: options.out, limit: records });

    say('\n5. Readiness and a few metrics');
    say(`   /readyz: ${await (await fetch(`${url}/readyz`)).text()}`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    for (const line of metrics.split('\n').filter((l) => /^mra_(submissions_total|records_published_total|partner_key_expiry_horizon_seconds)\{/.test(l))) say(`   ${line}`);
    return { accepted, warnings, records: printed };
  } finally {
    process.off('exit', stopGateway);
    if (gateway) await stopProcess(gateway);
    await deleteTopology(options.amqpUrl, topology).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

interface AdminKey {
  privateKey: CryptoKey;
  publicJwk: JWK & { kid: string };
}

async function createAdminKey(): Promise<AdminKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid: `demo-admin-${randomUUID().slice(0, 8)}` } };
}

/** POST /admin/v1/administrations/{code}/keys with a fresh single-use admin token (ICD 3). */
async function registerPartnerKey(url: string, admin: AdminKey, code: string, publicJwk: JWK): Promise<void> {
  const token = await new SignJWT({ sub: 'demo-admin' })
    .setProtectedHeader({ alg: 'ES256', kid: admin.publicJwk.kid, typ: 'JWT' })
    .setAudience('mra-gateway-admin')
    .setIssuedAt()
    .setExpirationTime('60s')
    .setJti(randomUUID())
    .sign(admin.privateKey);
  const response = await fetch(`${url}/admin/v1/administrations/${code}/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ jwk: publicJwk }),
  });
  if (response.status !== 201) throw new Error(`registering the ${code} key answered ${response.status}: ${await response.text()}`);
}

function startGateway(root: string, configDir: string, port: number, amqpUrl: string, topology: Record<'exchange' | 'queue' | 'dlx' | 'dlq', string>): ChildProcess {
  const log = openSync(path.join(root, 'gateway.log'), 'a');
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      AMQP_URL: amqpUrl,
      CONFIG_DIR: configDir,
      DATA_DIR: path.join(root, 'data'),
      AMQP_EXCHANGE: topology.exchange,
      AMQP_QUEUE: topology.queue,
      AMQP_DEAD_LETTER_EXCHANGE: topology.dlx,
      AMQP_DEAD_LETTER_QUEUE: topology.dlq,
      LOG_LEVEL: 'info',
    },
  });
}

async function waitUntilReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway stopped (exit ${child.exitCode}):\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the gateway did not become ready in 30 s; is RabbitMQ running? Log:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function deleteTopology(amqpUrl: string, topology: Record<'exchange' | 'queue' | 'dlx' | 'dlq', string>): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    for (const queue of [topology.queue, topology.dlq]) await channel.deleteQueue(queue);
    for (const exchange of [topology.exchange, topology.dlx]) await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function capture(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(Buffer.from(chunk));
        done();
      },
    }),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

/** Passes lines on to `out`, indented under the demo's step headings. */
function indented(out: Writable): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      out.write(text.replace(/^(?=.)/gm, '   '));
      done(); // at once, so these lines keep their place among the demo's own
    },
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.once('SIGINT', () => process.exit(130));
  process.stdout.on('error', () => process.exit(1));
  runDemo({ amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672', out: process.stdout }).then(
    (result) => console.log(`\nDemo done: ${result.accepted} lists accepted, ${result.records} records received.`),
    (error: unknown) => {
      console.error(`Demo failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
