import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { loadConfig } from '../../src/config/app-config.js';
import type { Arrangement } from '../../src/domain/arrangement.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { createLogger } from '../../src/logging/logger.js';
import type { TopologyNames } from '../../src/messaging/amqp-topology.js';
import { SqliteGatewayStore } from '../../src/store/sqlite/sqlite-gateway-store.js';
import { BROKER_URL, deleteTopology, uniqueTopology } from './broker.js';
import { keySetFile, type PartnerSigningKey } from './partner-keys.js';

/** The key-encryption key test gateways on a shared store use (every instance needs the same one). */
export const TEST_KEY_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

const REPO_CONFIG = path.resolve(import.meta.dirname, '../../config');

export interface TestGatewaySetup {
  keys?: readonly PartnerSigningKey[];
  /** Validity windows for bootstrap keys, by kid. */
  keyWindows?: Record<string, { notBefore?: string; notAfter?: string }>;
  /** CONFIG_DIR/admin-keys.json: a JWK Set of these keys, or this exact text; absent when not given. */
  adminKeys?: readonly object[] | string;
  /** Changes to the shipped arrangement registry, by code. */
  arrangements?: Record<string, Partial<Arrangement>>;
  env?: Record<string, string>;
  amqpUrl?: string;
  /** DATABASE_URL: the shared PostgreSQL store instead of the embedded one (with the test KEK). */
  databaseUrl?: string;
  /** Reuse the directories and topology of an earlier gateway (a restart). */
  reuse?: TestGateway;
  options?: GatewayOptions;
}

/** A gateway started on port 0 with its own directories, topology and captured log. */
export interface TestGateway {
  gateway: Gateway;
  http: ReturnType<typeof supertest>;
  topology: TopologyNames;
  root: string;
  configDir: string;
  dataDir: string;
  logs: string[];
  /** Messages in the ledger and records in the outbox, to prove nothing was stored. */
  counts(): { messages: number; outbox: number; members: number; unpublished: number };
  stop(): Promise<void>;
}

export async function startTestGateway(setup: TestGatewaySetup = {}): Promise<TestGateway> {
  const root = setup.reuse?.root ?? mkdtempSync(path.join(tmpdir(), 'mra-gateway-test-'));
  const configDir = path.join(root, 'config');
  const dataDir = path.join(root, 'data');
  const topology = setup.reuse?.topology ?? uniqueTopology();
  if (!setup.reuse) writeConfig(configDir, setup);

  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    AMQP_URL: setup.amqpUrl ?? BROKER_URL,
    CONFIG_DIR: configDir,
    DATA_DIR: dataDir,
    AMQP_EXCHANGE: topology.exchange,
    AMQP_QUEUE: topology.queue,
    AMQP_DEAD_LETTER_EXCHANGE: topology.deadLetterExchange,
    AMQP_DEAD_LETTER_QUEUE: topology.deadLetterQueue,
    ...(setup.databaseUrl !== undefined ? { DATABASE_URL: setup.databaseUrl, RECEIPT_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY, RELAY_LEASE_SECONDS: '2' } : {}),
    ...setup.env,
  });
  const gateway = await startGateway(config, {
    logger: createLogger('debug', sink),
    relay: { pollIntervalMs: 100, retryDelayMs: 50, maxRetryDelayMs: 500 },
    ...setup.options,
  });
  // Counted on the embedded store only (a test on PostgreSQL asks its database).
  const lazyDb = (): ReturnType<typeof embeddedDb> => embeddedDb(gateway);
  return {
    gateway,
    http: supertest(gateway.url),
    topology,
    root,
    configDir,
    dataDir,
    logs,
    counts: () => ({
      messages: (lazyDb().prepare('SELECT COUNT(*) AS n FROM accepted_messages').get() as { n: number }).n,
      outbox: (lazyDb().prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n,
      members: (lazyDb().prepare('SELECT COUNT(*) AS n FROM members WHERE removed_at IS NULL').get() as { n: number }).n,
      unpublished: (lazyDb().prepare('SELECT COUNT(*) AS n FROM outbox WHERE seq > (SELECT published_through FROM outbox_cursor)').get() as { n: number }).n,
    }),
    stop: () => gateway.close(),
  };
}

/** The embedded store's SQLite connection, for tests that look at or alter rows directly. */
export function embeddedDb(gateway: Gateway): SqliteGatewayStore['database']['db'] {
  if (!(gateway.store instanceof SqliteGatewayStore)) throw new Error('this test reads the embedded SQLite store directly');
  return gateway.store.database.db;
}

/** Writes CONFIG_DIR as startTestGateway does (registry, admin keys, bootstrap partner keys), e.g. for a gateway process. */
export function writeConfig(configDir: string, setup: TestGatewaySetup): void {
  mkdirSync(path.join(configDir, 'partner-keys'), { recursive: true });
  const registry = JSON.parse(readFileSync(path.join(REPO_CONFIG, 'mras.json'), 'utf8')) as { arrangements: Arrangement[] };
  registry.arrangements = registry.arrangements.map((a) => ({ ...a, ...setup.arrangements?.[a.code] }));
  writeFileSync(path.join(configDir, 'mras.json'), JSON.stringify(registry));
  if (setup.adminKeys !== undefined) {
    writeFileSync(path.join(configDir, 'admin-keys.json'), typeof setup.adminKeys === 'string' ? setup.adminKeys : JSON.stringify({ keys: setup.adminKeys }));
  }
  const byAdministration = new Map<string, PartnerSigningKey[]>();
  for (const key of setup.keys ?? []) byAdministration.set(key.administration, [...(byAdministration.get(key.administration) ?? []), key]);
  for (const [code, keys] of byAdministration) {
    writeFileSync(path.join(configDir, 'partner-keys', `${code}.json`), keySetFile(keys, setup.keyWindows));
  }
}

/** Deletes a test gateway's directories (after its last restart). */
export function removeTestFiles(gateway: TestGateway): void {
  rmSync(gateway.root, { recursive: true, force: true });
}

/** Waits until the gateway's outbox has nothing unpublished and nothing in flight. */
export async function waitForOutboxDrained(test: TestGateway, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (test.counts().unpublished === 0 && test.gateway.relay.inFlightCount === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`outbox still has ${test.counts().unpublished} unpublished records after ${timeoutMs} ms`);
}

/** Stops a test gateway and removes what it left: its exchanges and queues on the broker, its files. */
export async function disposeTestGateway(test: TestGateway | undefined): Promise<void> {
  if (!test) return;
  await test.stop();
  await deleteTopology(test.topology);
  removeTestFiles(test);
}
