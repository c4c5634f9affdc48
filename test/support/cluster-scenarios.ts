import { membersOf, nextSnapshot, type ScenarioAdministration } from './administration-members.js';
import { auditDelivery, sleep, SubmissionLog, waitForDelivery, waitUntil } from './delivery-audit.js';
import { GatewayCluster } from './gateway-cluster.js';
import { memberList, type Member } from './member-lists.js';
import { createPartnerKey } from './partner-keys.js';
import { PrivatePostgres } from './private-postgres.js';
import { Partner, requireBroker, type ScenarioResult } from './reliability-scenarios.js';

/** The administrations that send at once in the multi-instance scenarios. */
const ADMINISTRATIONS: readonly ScenarioAdministration[] = ['EU', 'GB', 'JP', 'MX', 'KR'];

/** A partner's view of the cluster: it sends each list to the next instance, as a load balancer would. */
class ClusterPartner {
  readonly partner: Partner;
  private next = 0;

  constructor(
    private readonly cluster: GatewayCluster,
    readonly administration: ScenarioAdministration,
    key: ConstructorParameters<typeof Partner>[1],
  ) {
    this.partner = new Partner(cluster.members[0]!.http, key);
  }

  private rotate(): void {
    const live = this.cluster.members.filter((m) => m.process.pid !== undefined && !this.cluster.isGone(m));
    this.partner.useGateway(live[this.next++ % live.length]!.http);
  }

  /**
   * Sends a list and, like a careful partner, sends exactly the same body again (to the next instance)
   * while the answer is 503 or none came, until it gets one that settles it.
   */
  async send(label: string, members: Member[], kind: 'snapshot' | 'delta' = 'snapshot'): Promise<number> {
    this.rotate();
    let status = await this.partner.submit(label, memberList(members, { administration: this.administration, kind }));
    for (let attempt = 1; (status === 0 || status === 503) && attempt < 60; attempt++) {
      await sleep(250);
      this.rotate();
      status = await this.partner.resend(label, `${label} retry ${attempt}`);
    }
    return status;
  }
}

interface ClusterScenario {
  name: string;
  tried: string;
  /** Instances, members per list, rounds of snapshots per administration. */
  instances: number;
  members: number;
  rounds: number;
  /** A private PostgreSQL server instead of a database on the shared one (for restarting it). */
  privateServer?: boolean;
  /** What is done to the cluster while the partners send; returns what it observed. */
  fault(context: { cluster: GatewayCluster; server: PrivatePostgres | undefined; arrivals: () => number }): Promise<Record<string, number | boolean>>;
}

async function runClusterScenario(scenario: ClusterScenario): Promise<ScenarioResult> {
  const started = Date.now();
  await requireBroker();
  const keys = await Promise.all(ADMINISTRATIONS.map((code) => createPartnerKey(code)));
  const server = scenario.privateServer ? await PrivatePostgres.start() : undefined;
  const cluster = await GatewayCluster.start(scenario.instances, { keys }, server ? { url: server.url, name: 'gateway', drop: async () => undefined } : undefined);
  try {
    const partners = ADMINISTRATIONS.map((code, i) => new ClusterPartner(cluster, code, keys[i]!));
    const sending = partners.map(async (p) => {
      let members = membersOf(p.administration, scenario.members, 'A');
      for (let round = 1; round <= scenario.rounds; round++) {
        await p.send(`${p.administration} snapshot ${round}`, members);
        members = nextSnapshot(members, membersOf(p.administration, 5, `R${round}`), round);
      }
    });
    const observed = await scenario.fault({ cluster, server, arrivals: () => cluster.consumer.records.length });
    await Promise.all(sending);
    const outbox = await cluster.outbox();
    const completeInTime = await waitForDelivery(cluster.consumer, outbox.map((r) => r.eventId), () => cluster.drained(), { timeoutMs: 60_000 });
    const log = new SubmissionLog();
    for (const p of partners) log.entries.push(...p.partner.log.entries);
    const audit = auditDelivery({ log, outbox: await cluster.outbox(), arrivals: cluster.consumer.records });
    const crashed = await cluster.crashed();
    for (const member of crashed) process.stderr.write(`instance ${member.process.url} exited unexpectedly:\n${member.process.output.slice(-60).join('\n')}\n`);
    return { name: scenario.name, tried: scenario.tried, log, audit, observed: { ...observed, completeInTime, instancesCrashed: crashed.length }, durationMs: Date.now() - started };
  } finally {
    await cluster.dispose();
    await server?.destroy();
  }
}

/** Three instances under load from five administrations, nothing broken: the reference. */
export function clusterUnderLoad(): Promise<ScenarioResult> {
  return runClusterScenario({
    name: 'clusterUnderLoad',
    tried: 'three instances on one PostgreSQL database; five administrations send three snapshots each (1,000 members, then changes), each list to the next instance',
    instances: 3,
    members: 1000,
    rounds: 3,
    fault: async () => ({}),
  });
}

/** SIGKILL of the instance holding the relay lease while it publishes. */
export function relayHolderKilled(): Promise<ScenarioResult> {
  return runClusterScenario({
    name: 'relayHolderKilled',
    tried: 'as clusterUnderLoad; once records flow, the instance that publishes is killed (SIGKILL) and another takes over',
    instances: 3,
    members: 1000,
    rounds: 3,
    fault: async ({ cluster, arrivals }) => {
      await waitUntil('records flow', () => arrivals() > 500, 60_000);
      const pid = await cluster.relayHolderPid();
      const holder = cluster.members.find((m) => m.process.pid === pid);
      const progress = async () => (await cluster.query<{ epoch: number; confirmed: number }>(
        'SELECT (SELECT epoch::int FROM relay_lease) AS epoch, (SELECT COALESCE(SUM(published_through), 0)::float8 FROM outbox_cursors) AS confirmed',
      ))[0]!;
      const atKill = { arrivals: arrivals(), ...(await progress()) };
      const killedAt = Date.now();
      await holder?.process.kill('SIGKILL');
      if (holder) cluster.markGone(holder);
      // Taken over once a relay under a new lease has recorded confirms of its own.
      await waitUntil('another instance publishes', async () => {
        const now = await progress();
        return now.epoch > atKill.epoch && now.confirmed > atKill.confirmed;
      }, 60_000);
      return { arrivalsAtKill: atKill.arrivals, takeoverMs: Date.now() - killedAt, killed: holder !== undefined };
    },
  });
}

/** Every gateway connection to the database terminated, twice, while the lists arrive. */
export function connectionsCutMidIntake(): Promise<ScenarioResult> {
  return runClusterScenario({
    name: 'connectionsCutMidIntake',
    tried: "as clusterUnderLoad; twice while lists are being written, every gateway connection to the database is terminated (pg_terminate_backend); partners resend on 503 or no answer",
    instances: 3,
    members: 1000,
    rounds: 3,
    fault: async ({ cluster }) => {
      let cut = 0;
      for (let i = 0; i < 2; i++) {
        // An intake holds its administration's lock beside the relay's (or, late in the run, none does: cut anyway).
        await waitUntil('an intake is writing', async () => (await cluster.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted")).length > 1, 5_000).catch(() => undefined);
        const rows = await cluster.query<{ n: number }>(
          "SELECT COUNT(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'mra-gateway'",
        );
        cut += rows[0]!.n;
        await sleep(1500);
      }
      return { connectionsCut: cut };
    },
  });
}

/** The database server itself restarted while the lists arrive. */
export function postgresRestarted(): Promise<ScenarioResult> {
  return runClusterScenario({
    name: 'postgresRestarted',
    tried: 'as clusterUnderLoad, on a PostgreSQL server of its own; while lists are being written the server is stopped (immediate), kept down 3 s and started again; partners resend on 503 or no answer',
    instances: 3,
    members: 1000,
    rounds: 3,
    privateServer: true,
    fault: async ({ cluster, server }) => {
      await waitUntil('an intake is writing', async () => (await cluster.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted")).length > 1, 5_000).catch(() => undefined);
      const stoppedAt = Date.now();
      await cluster.sql.end().catch(() => undefined);
      await server!.stop('immediate');
      await sleep(3000);
      await server!.start();
      cluster.reconnect();
      return { downMs: Date.now() - stoppedAt };
    },
  });
}

export const clusterScenarios = [clusterUnderLoad, relayHolderKilled, connectionsCutMidIntake, postgresRestarted];
