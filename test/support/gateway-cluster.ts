import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import supertest from 'supertest';
import type { TopologyNames } from '../../src/messaging/amqp-topology.js';
import { BROKER_URL, deleteTopology, TestConsumer, uniqueTopology } from './broker.js';
import type { OutboxRow } from './delivery-audit.js';
import { GatewayProcess } from './gateway-process.js';
import { createTestDatabase, type TestDatabase } from './postgres-database.js';
import { TEST_KEY_ENCRYPTION_KEY, writeConfig, type TestGatewaySetup } from './test-gateway.js';

/** One gateway process of a cluster, with an HTTP client for it. */
export interface ClusterMember {
  process: GatewayProcess;
  http: ReturnType<typeof supertest>;
}

/**
 * Several gateway processes on one PostgreSQL test database (dropped afterwards), one CONFIG_DIR and
 * one broker topology, as instances behind a load balancer, plus a consumer bound to the exchange.
 */
export class GatewayCluster {
  private readonly gone = new Set<ClusterMember>();

  private constructor(
    readonly members: ClusterMember[],
    readonly database: TestDatabase,
    private pool: pg.Pool,
    readonly topology: TopologyNames,
    readonly consumer: TestConsumer,
    private readonly root: string,
    private readonly env: Record<string, string>,
  ) {}

  /** `database`: where the instances keep their state (default: a fresh database on the shared server). */
  static async start(size: number, setup: TestGatewaySetup = {}, database?: TestDatabase): Promise<GatewayCluster> {
    database ??= await createTestDatabase('mra_cluster');
    const root = mkdtempSync(path.join(tmpdir(), 'mra-cluster-'));
    const configDir = path.join(root, 'config');
    writeConfig(configDir, setup);
    const topology = uniqueTopology();
    const env = {
      AMQP_URL: BROKER_URL,
      CONFIG_DIR: configDir,
      DATA_DIR: path.join(root, 'data'),
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '4',
      RECEIPT_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
      RELAY_LEASE_SECONDS: '2',
      AMQP_EXCHANGE: topology.exchange,
      AMQP_QUEUE: topology.queue,
      AMQP_DEAD_LETTER_EXCHANGE: topology.deadLetterExchange,
      AMQP_DEAD_LETTER_QUEUE: topology.deadLetterQueue,
      LOG_LEVEL: 'info',
      ...setup.env,
    };
    const consumer = await TestConsumer.bind(topology.exchange);
    const members: ClusterMember[] = [];
    // One after the other: the first migrates and imports the bootstrap keys; the others find them.
    for (let i = 0; i < size; i++) {
      const process = await GatewayProcess.start(env);
      members.push({ process, http: supertest(process.url) });
    }
    return new GatewayCluster(members, database, new pg.Pool({ connectionString: database.url, max: 3 }), topology, consumer, root, env);
  }

  /** The test's own connections to the database. */
  get sql(): pg.Pool {
    return this.pool;
  }

  /** New test connections after the server was restarted (the gateways reconnect by themselves). */
  reconnect(): void {
    this.pool = new pg.Pool({ connectionString: this.database.url, max: 3 });
  }

  /** An instance killed on purpose: partners stop sending to it. */
  markGone(member: ClusterMember): void {
    this.gone.add(member);
  }

  isGone(member: ClusterMember): boolean {
    return this.gone.has(member);
  }

  /** Instances that exited without being killed on purpose (a crash is a broken promise of its own). */
  async crashed(): Promise<ClusterMember[]> {
    const exited = await Promise.all(this.members.map((m) => Promise.race([m.process.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10))])));
    return this.members.filter((m, i) => exited[i] && !this.gone.has(m));
  }

  /** Starts one more instance (e.g. to replace one that was killed), with `env` changed for it alone. */
  async add(env: Record<string, string> = {}): Promise<ClusterMember> {
    const process = await GatewayProcess.start({ ...this.env, ...env });
    const member = { process, http: supertest(process.url) };
    this.members.push(member);
    return member;
  }

  /** Every outbox row in order, marked published when its administration's cursor is past it. */
  async outbox(): Promise<OutboxRow[]> {
    const rows = await this.query<{ seq: number; event_id: string; member_key: string; body: string; published: boolean }>(
      `SELECT o.seq::int AS seq, o.event_id, o.member_key, o.body, o.seq <= COALESCE(c.published_through, 0) AS published
       FROM outbox o LEFT JOIN outbox_cursors c USING (administration) ORDER BY o.seq`,
    );
    return rows.map((row) => ({
      seq: row.seq,
      eventId: row.event_id,
      memberKey: row.member_key,
      messageId: (JSON.parse(row.body) as { source: { messageId: string } }).source.messageId,
      published: row.published,
    }));
  }

  /** Whether nothing is left to publish (every administration's cursor at its last record). */
  async drained(): Promise<boolean> {
    const [row] = await this.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM outbox o LEFT JOIN outbox_cursors c USING (administration) WHERE o.seq > COALESCE(c.published_through, 0)',
    );
    return row!.n === 0;
  }

  async query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.sql.query<R>(text, values)).rows;
  }

  /** The pid of the process that holds the relay lease now (from the lease row's holder id). */
  async relayHolderPid(): Promise<number | undefined> {
    const [row] = await this.query<{ holder: string | null }>('SELECT holder FROM relay_lease WHERE id = 1');
    const pid = row?.holder?.split(':')[1];
    return pid === undefined ? undefined : Number(pid);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.members.map((m) => m.process.stop(5_000).catch(() => undefined)));
    await this.consumer.close();
    await this.pool.end().catch(() => undefined);
    await this.database.drop();
    await deleteTopology(this.topology);
    rmSync(this.root, { recursive: true, force: true });
  }
}
