import amqp from 'amqplib';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import type { TopologyNames } from '../../src/messaging/amqp-topology.js';
import { membersOf, nextSnapshot } from './administration-members.js';
import { BROKER_URL, deleteTopology, TestConsumer, uniqueTopology } from './broker.js';
import { auditDelivery, readOutbox, sleep, SubmissionLog, waitForDelivery, waitUntil, type DeliveryAudit, type OutboxRow } from './delivery-audit.js';
import { GatewayProcess } from './gateway-process.js';
import { signCompact } from './jws.js';
import { memberList, type Member, type MemberList } from './member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from './partner-keys.js';
import { TcpProxy } from './tcp-proxy.js';
import { removeTestFiles, startTestGateway, writeConfig, type TestGateway, embeddedDb } from './test-gateway.js';

/** What one fault scenario did and what it measured; tests assert on it, the report prints it. */
export interface ScenarioResult {
  name: string;
  /** What was done to the gateway, in a sentence. */
  tried: string;
  log: SubmissionLog;
  audit: DeliveryAudit;
  /** Scenario-specific measurements (arrivals when the fault began, records delivered only after it ...). */
  observed: Record<string, number | boolean>;
  durationMs: number;
}

export interface ScenarioOptions {
  /** Members of the large snapshot (default 5,000). */
  members?: number;
}

type Http = ReturnType<typeof supertest>;

/**
 * The link to the broker is limited to this many bytes per second while a large snapshot is being
 * published (about 1.5 s for 5,000 records), so that "half has arrived at the consumer" is also half
 * published on a fast machine: unthrottled, the relay can hand the broker the whole snapshot before
 * the consumer (in the same process) has taken half of it, and the fault would come after the fact.
 */
export const SLOW_LINK_BYTES_PER_SECOND = 5_000_000;

/** Fails at once, and says why, when the broker the scenarios need is not there: they never skip. */
export async function requireBroker(): Promise<void> {
  try {
    const connection = await amqp.connect(BROKER_URL);
    await connection.close();
  } catch (error) {
    throw new Error(`RabbitMQ is not reachable at ${BROKER_URL}; start it (rabbitmq-server -detached). ${String(error)}`);
  }
}

/** Signs and posts member lists as a partner, logging each outcome under a label. */
export class Partner {
  readonly log = new SubmissionLog();
  private readonly bodies = new Map<string, string>();

  constructor(
    private http: Http,
    readonly key: PartnerSigningKey,
  ) {}

  /** Sends to another gateway from now on (after a restart on a new port). */
  useGateway(http: Http): void {
    this.http = http;
  }

  async submit(label: string, list: MemberList): Promise<number> {
    const body = await signCompact(list, this.key);
    this.bodies.set(label, body);
    return this.post(label, list.messageId, body);
  }

  /** Sends one signed body twice at the same moment (a partner whose retry overtakes its first try). */
  async submitTwiceAtOnce(labels: readonly [string, string], list: MemberList): Promise<number[]> {
    const body = await signCompact(list, this.key);
    this.bodies.set(labels[0], body);
    return Promise.all(labels.map((label) => this.post(label, list.messageId, body)));
  }

  /** Sends exactly the body sent earlier under `label` again (a partner retrying). */
  resend(label: string, asLabel: string): Promise<number> {
    const body = this.bodies.get(label);
    const original = this.log.entries.find((e) => e.label === label);
    if (body === undefined || !original) throw new Error(`nothing was sent as ${label}`);
    return this.post(asLabel, original.messageId, body);
  }

  private async post(label: string, messageId: string, body: string): Promise<number> {
    let response: supertest.Response;
    try {
      response = await this.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body);
    } catch {
      // No answer (the gateway died mid-request): the partner does not know what happened and will retry.
      return this.log.addUnanswered(label, messageId).status;
    }
    return this.log.add(label, messageId, response).status;
  }
}

/** A gateway in this process whose broker connection runs through a TCP proxy, and a consumer on its exchange. */
class ProxiedGateway {
  private constructor(
    readonly proxy: TcpProxy,
    readonly test: TestGateway,
    readonly consumer: TestConsumer,
    readonly partner: Partner,
  ) {}

  /** `heartbeatSeconds` goes into the AMQP URL (amqplib's `heartbeat` parameter) when given. */
  static async start(options: { heartbeatSeconds?: number } = {}): Promise<ProxiedGateway> {
    await requireBroker();
    const key = await createPartnerKey('EU');
    const proxy = await TcpProxy.start(5672);
    const amqpUrl = options.heartbeatSeconds === undefined ? proxy.url : `${proxy.url}?heartbeat=${options.heartbeatSeconds}`;
    const test = await startTestGateway({ keys: [key], amqpUrl });
    let consumer: TestConsumer | undefined;
    try {
      consumer = await TestConsumer.bind(test.topology.exchange);
      await waitUntil('the gateway is connected to the broker', () => test.gateway.publisher.connected);
      return new ProxiedGateway(proxy, test, consumer, new Partner(test.http, key));
    } catch (error) {
      await new ProxiedGateway(proxy, test, consumer!, new Partner(test.http, key)).close();
      throw error;
    }
  }

  drained = (): boolean => this.test.counts().unpublished === 0 && this.test.gateway.relay.inFlightCount === 0;

  /** Outbox rows marked published so far (the broker confirmed them). */
  confirmed(): number {
    const counts = this.test.counts();
    return counts.outbox - counts.unpublished;
  }

  async finish(name: string, tried: string, started: number, observed: Record<string, number | boolean>): Promise<ScenarioResult> {
    const outbox = readOutbox(embeddedDb(this.test.gateway));
    const complete = await waitForDelivery(this.consumer, outbox.map((r) => r.eventId), this.drained);
    const audit = auditDelivery({ log: this.partner.log, outbox, arrivals: this.consumer.records });
    return { name, tried, log: this.partner.log, audit, observed: { ...observed, completeInTime: complete }, durationMs: Date.now() - started };
  }

  async close(): Promise<void> {
    await this.consumer?.close();
    await this.test.stop();
    await this.proxy.close();
    await deleteTopology(this.test.topology);
    removeTestFiles(this.test);
  }
}

/** Records (of message `messageId`, or any) that first arrived from position `from` of the consumer's arrivals on. */
function firstArrivalsSince(consumer: TestConsumer, from: number, messageId?: string): number {
  const before = new Set(consumer.records.slice(0, from).map((r) => r.body.eventId));
  const later = consumer.records.slice(from).filter((r) => messageId === undefined || (r.body.source as { messageId?: string }).messageId === messageId);
  return new Set(later.map((r) => r.body.eventId).filter((id) => !before.has(id))).size;
}

/** `count()` once it gave the same value twice 200 ms apart (at most 3 s). */
async function settledCount(count: () => number): Promise<number> {
  let previous = count();
  for (let i = 0; i < 15; i++) {
    await sleep(200);
    const now = count();
    if (now === previous) return now;
    previous = now;
  }
  return previous;
}

function distinct(consumer: TestConsumer): number {
  return new Set(consumer.records.map((r) => r.body.eventId)).size;
}

/** The follow-up traffic of every fault scenario: a change snapshot, a stale one, an invalid one, and a replay. */
async function followUps(partner: Partner, first: MemberList, sequence: number): Promise<void> {
  const second = memberList(nextSnapshot(first.members as Member[], membersOf('EU', 20, 'N')), { sequence });
  await partner.submit('S2 changes', second);
  // Same sequence as S2, with members of its own: 409, and none of it may ever reach a consumer.
  await partner.submit('R1 stale sequence', memberList([...(second.members as Member[]), ...membersOf('EU', 10, 'X')], { sequence }));
  // A member with a certificate type the EU does not issue: 422, the whole message refused.
  await partner.submit('R2 invalid member', memberList([...membersOf('EU', 10, 'Y'), { ...membersOf('EU', 1, 'Z')[0]!, certificateType: 'GOLD' }], { sequence: sequence + 1 }));
  await partner.resend('S1 snapshot', 'S1 replayed');
}

/**
 * The broker is gone before the partner submits: intake goes on, records wait in the outbox, and flow
 * once the broker is back.
 */
export async function brokerGoneBeforeSubmission(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const started = Date.now();
  const rig = await ProxiedGateway.start();
  try {
    rig.proxy.refuse();
    await waitUntil('the gateway sees the broker gone', () => !rig.test.gateway.publisher.connected);
    const first = memberList(membersOf('EU', options.members ?? 1000), { sequence: 1 });
    await rig.partner.submit('S1 snapshot', first);
    await followUps(rig.partner, first, 2);
    await sleep(500);
    const arrivedDuringOutage = rig.consumer.records.length;
    const waitingInOutbox = rig.test.counts().unpublished;
    rig.proxy.accept();
    return await rig.finish('broker gone before submission', 'broker refused before 2 accepted, 2 rejected and 1 replayed submission; back after 0.5 s', started, {
      arrivedDuringOutage,
      waitingInOutbox,
    });
  } finally {
    await rig.close();
  }
}

/**
 * The broker connection is cut while a 5,000-member snapshot is being published (when about half has
 * reached the consumer); a change snapshot and two refused ones arrive during the outage; then the
 * broker comes back.
 */
export async function brokerLostMidPublish(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const started = Date.now();
  const rig = await ProxiedGateway.start();
  try {
    const size = options.members ?? 5000;
    const first = memberList(membersOf('EU', size), { sequence: 1 });
    rig.proxy.throttle(SLOW_LINK_BYTES_PER_SECOND);
    const half = rig.consumer.waitForCount(Math.floor(size / 2), 30_000).then(() => {
      rig.proxy.refuse();
      rig.proxy.throttle(undefined);
      return { arrivedAtCut: rig.consumer.records.length, notMarkedPublishedAtCut: rig.test.counts().unpublished };
    });
    await rig.partner.submit('S1 snapshot', first);
    const cut = await half;
    await waitUntil('the gateway sees the broker gone', () => !rig.test.gateway.publisher.connected);
    await followUps(rig.partner, first, 2);
    await sleep(500);
    const resumedAt = rig.consumer.records.length;
    rig.proxy.accept();
    const result = await rig.finish(
      'broker lost mid-publish',
      `connection (limited to 5 MB/s) cut when about half of a ${size}-member snapshot had arrived; 2 accepted, 2 rejected, 1 replayed during the outage; broker back after about 1 s`,
      started,
      { ...cut },
    );
    result.observed.firstSnapshotRecordsDeliveredOnlyAfterReconnect = firstArrivalsSince(rig.consumer, resumedAt, first.messageId);
    return result;
  } finally {
    await rig.close();
  }
}

/**
 * The network stalls (connection kept, no bytes forwarded) while a 5,000-member snapshot is being
 * published; intake goes on; after 2 s the network forwards again.
 */
export async function stallMidPublish(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const started = Date.now();
  const rig = await ProxiedGateway.start();
  try {
    const size = options.members ?? 5000;
    const first = memberList(membersOf('EU', size), { sequence: 1 });
    rig.proxy.throttle(SLOW_LINK_BYTES_PER_SECOND);
    const half = rig.consumer.waitForCount(Math.floor(size / 2), 30_000).then(() => {
      rig.proxy.stall();
      rig.proxy.throttle(undefined);
      return { arrivedAtStall: rig.consumer.records.length, notMarkedPublishedAtStall: rig.test.counts().unpublished };
    });
    await rig.partner.submit('S1 snapshot', first);
    const stall = await half;
    // Confirms that crossed before the stall are still being marked; once the count holds still,
    // nothing more may be confirmed until the network is back.
    const stallStarted = Date.now();
    const confirmedEarly = await settledCount(() => rig.confirmed());
    await followUps(rig.partner, first, 2);
    await sleep(Math.max(0, 2000 - (Date.now() - stallStarted)));
    const confirmedDuringStall = rig.confirmed() - confirmedEarly;
    const connectedThroughStall = rig.test.gateway.publisher.connected;
    const resumedAt = rig.consumer.records.length;
    rig.proxy.resume();
    const result = await rig.finish(
      'network stall mid-publish',
      `no bytes forwarded (connection kept) for 2 s from about half of a ${size}-member snapshot (link limited to 5 MB/s until then); 2 accepted, 2 rejected, 1 replayed during the stall`,
      started,
      { ...stall, confirmedDuringStall, connectedThroughStall },
    );
    result.observed.firstSnapshotRecordsDeliveredOnlyAfterResume = firstArrivalsSince(rig.consumer, resumedAt, first.messageId);
    return result;
  } finally {
    await rig.close();
  }
}

/**
 * The network stalls mid-publish for longer than the AMQP heartbeat timeout (heartbeat 1 s here, so
 * the test is short): both ends must declare the silent connection dead, the gateway must reconnect
 * once bytes flow again, and publish what was never confirmed.
 */
export async function stallPastHeartbeat(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const started = Date.now();
  const rig = await ProxiedGateway.start({ heartbeatSeconds: 1 });
  try {
    const size = options.members ?? 5000;
    const first = memberList(membersOf('EU', size), { sequence: 1 });
    let disconnections = 0;
    rig.test.gateway.publisher.on('disconnected', () => disconnections++);
    rig.proxy.throttle(SLOW_LINK_BYTES_PER_SECOND);
    const half = rig.consumer.waitForCount(Math.floor(size / 2), 30_000).then(() => {
      rig.proxy.stall();
      rig.proxy.throttle(undefined);
      return { arrivedAtStall: rig.consumer.records.length, notMarkedPublishedAtStall: rig.test.counts().unpublished };
    });
    await rig.partner.submit('S1 snapshot', first);
    const stall = await half;
    await followUps(rig.partner, first, 2);
    // Heartbeats every 1 s: a peer that missed two is dead, so 5 s of silence is well past the timeout.
    await sleep(5000);
    const connectedAtEndOfStall = rig.test.gateway.publisher.connected;
    const resumedAt = rig.consumer.records.length;
    rig.proxy.resume();
    await waitUntil('the gateway is connected again', () => rig.test.gateway.publisher.connected, 20_000).catch(() => undefined);
    const result = await rig.finish(
      'network stall past the heartbeat timeout',
      `no bytes forwarded for 5 s (heartbeat 1 s) from about half of a ${size}-member snapshot (link limited to 5 MB/s until then); 2 accepted, 2 rejected, 1 replayed during the stall`,
      started,
      { ...stall, connectedAtEndOfStall },
    );
    result.observed.disconnections = disconnections;
    result.observed.firstSnapshotRecordsDeliveredOnlyAfterResume = firstArrivalsSince(rig.consumer, resumedAt, first.messageId);
    return result;
  } finally {
    await rig.close();
  }
}

/** How a graceful stop went while the broker connection was stalled. */
export interface StopDuringStallResult {
  /** Milliseconds Gateway.close() took, or null when it had not returned after `limitMs`. */
  stopMs: number | null;
  limitMs: number;
}

/**
 * Stalls the broker connection while records are in flight and stops the gateway as SIGTERM would
 * (Gateway.close()). A stop should not depend on an unresponsive broker: what is unconfirmed stays in
 * the outbox for the next start. The network is resumed afterwards either way, to clean up.
 */
export async function stopDuringStall(limitMs = 5000): Promise<StopDuringStallResult> {
  const rig = await ProxiedGateway.start();
  let stopping: Promise<number> | undefined;
  try {
    await rig.partner.submit('S1 snapshot', memberList(membersOf('EU', 500), { sequence: 1 }));
    rig.proxy.stall();
    const started = Date.now();
    stopping = rig.test.stop().then(() => Date.now() - started);
    const outcome = await Promise.race([stopping, sleep(limitMs).then(() => null)]);
    return { stopMs: outcome, limitMs };
  } finally {
    rig.proxy.resume();
    await stopping;
    await rig.close();
  }
}

/**
 * A gateway process (started from the sources, so it can be killed) with its own directories and
 * topology, its broker connection through a TCP proxy, and a consumer on its exchange.
 */
class GatewayProcessRig {
  gateway: GatewayProcess | undefined;
  consumer: TestConsumer | undefined;
  partner!: Partner;

  private constructor(
    readonly proxy: TcpProxy,
    readonly root: string,
    readonly topology: TopologyNames,
    readonly key: PartnerSigningKey,
  ) {}

  static async create(): Promise<GatewayProcessRig> {
    await requireBroker();
    const key = await createPartnerKey('EU');
    const proxy = await TcpProxy.start(5672);
    const rig = new GatewayProcessRig(proxy, mkdtempSync(path.join(tmpdir(), 'mra-gateway-kill-')), uniqueTopology(), key);
    writeConfig(path.join(rig.root, 'config'), { keys: [key] });
    return rig;
  }

  get dataDir(): string {
    return path.join(this.root, 'data');
  }

  /** Starts (or starts again, on the same CONFIG_DIR and DATA_DIR) the gateway process. */
  async start(): Promise<GatewayProcess> {
    this.gateway = await GatewayProcess.start(gatewayEnv(this.topology, path.join(this.root, 'config'), this.dataDir, this.proxy.url));
    this.consumer ??= await TestConsumer.bind(this.topology.exchange);
    if (this.partner) this.partner.useGateway(supertest(this.gateway.url));
    else this.partner = new Partner(supertest(this.gateway.url), this.key);
    return this.gateway;
  }

  async readiness(): Promise<{ checks: { broker: { connected: boolean }; outbox: { backlog: number | null } } }> {
    return (await (await fetch(`${this.gateway!.url}/readyz`)).json()) as { checks: { broker: { connected: boolean }; outbox: { backlog: number | null } } };
  }

  drained = async (): Promise<boolean> => (await this.readiness()).checks.outbox.backlog === 0;

  /** Waits for delivery of the whole outbox, stops the gateway, and audits what arrived. */
  async finish(): Promise<{ audit: DeliveryAudit; completeInTime: boolean }> {
    const expected = readOutboxOfRunning(this.dataDir);
    const completeInTime = await waitForDelivery(this.consumer!, expected.map((r) => r.eventId), this.drained);
    await this.gateway!.stop();
    const outbox = readOutboxFile(this.dataDir);
    return { audit: auditDelivery({ log: this.partner.log, outbox, arrivals: this.consumer!.records }), completeInTime };
  }

  async close(): Promise<void> {
    await this.gateway?.kill('SIGKILL');
    await this.consumer?.close();
    await this.proxy.close();
    await deleteTopology(this.topology);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * The gateway process is killed with SIGKILL while publishing from a full outbox (two snapshots
 * receipted during a broker outage), and started again on the same DATA_DIR. The restarted gateway
 * still knows the messages (a replay gets the original receipt) and publishes what was left.
 */
export async function gatewayKilled(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const started = Date.now();
  const rig = await GatewayProcessRig.create();
  try {
    const size = options.members ?? 5000;
    rig.proxy.refuse();
    const gateway = await rig.start();
    const consumer = rig.consumer!;
    const first = memberList(membersOf('EU', size), { sequence: 1 });
    await rig.partner.submit('S1 snapshot', first);
    await followUps(rig.partner, first, 2);
    const receipted = rig.partner.log.receiptedRecords;

    const killed = consumer.waitForCount(Math.floor(receipted / 2), 30_000).then(async () => {
      const arrivedAtKill = consumer.records.length;
      const distinctAtKill = distinct(consumer);
      const status = await gateway.kill('SIGKILL');
      rig.proxy.throttle(undefined);
      return { arrivedAtKill, distinctAtKill, killedBySignal: status.signal === 'SIGKILL' };
    });
    rig.proxy.throttle(SLOW_LINK_BYTES_PER_SECOND);
    rig.proxy.accept();
    const kill = await killed;

    await rig.start();
    const restartedAt = consumer.records.length;
    await rig.partner.resend('S2 changes', 'S2 replayed after restart');
    await rig.partner.resend('R1 stale sequence', 'R1 resent after restart');
    const { audit, completeInTime } = await rig.finish();
    return {
      name: 'gateway killed (SIGKILL) mid-publish',
      tried: `gateway process killed with SIGKILL when half of ${receipted} receipted records had arrived (outbox filled during a broker outage, then published over a link limited to 5 MB/s), restarted on the same DATA_DIR; 1 replay and 1 stale resend after the restart`,
      log: rig.partner.log,
      audit,
      observed: { ...kill, deliveredOnlyAfterRestart: firstArrivalsSince(consumer, restartedAt), completeInTime },
      durationMs: Date.now() - started,
    };
  } finally {
    await rig.close();
  }
}

/**
 * The gateway process is killed with SIGKILL while it is taking in a large change snapshot (no answer
 * reaches the partner), restarted on the same DATA_DIR, and the partner sends the same body again. The
 * message must be in the store whole or not at all, and the retry must produce its records once: a
 * replay (200, original receipt) if it had been committed, a new acceptance (202) if not.
 */
export async function gatewayKilledDuringIntake(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const started = Date.now();
  const rig = await GatewayProcessRig.create();
  try {
    const size = options.members ?? 5000;
    const gateway = await rig.start();
    await waitUntil('the gateway process is connected to the broker', async () => (await rig.readiness()).checks.broker.connected);
    const first = memberList(membersOf('EU', size), { sequence: 1 });
    const before = Date.now();
    await rig.partner.submit('S1 snapshot', first);
    const intakeMs = Date.now() - before;

    // Every member changes, so the message is as large to apply as the first; the kill comes about
    // half-way through the time the first one took.
    const second = memberList(first.members.map((m) => ({ ...(m as Member), legalName: `${(m as Member).legalName} (renamed)` })), { sequence: 2 });
    const sending = rig.partner.submit('S2 killed in flight', second);
    await sleep(Math.round(intakeMs / 2));
    await gateway.kill('SIGKILL');
    const answeredBeforeKill = (await sending) !== 0;

    // What the crash left, read before anyone touches the store: all of S2's records or none.
    await rig.start();
    const left = readOutboxOfRunning(rig.dataDir).filter((row) => row.messageId === second.messageId).length;
    await rig.partner.resend('S2 killed in flight', 'S2 resent after restart');
    const retry = rig.partner.log.get('S2 resent after restart')!;
    const { audit, completeInTime } = await rig.finish();
    return {
      name: 'gateway killed (SIGKILL) during intake',
      tried: `gateway process killed with SIGKILL about half-way through taking in a ${size}-member change snapshot (${intakeMs} ms for the first); restarted on the same DATA_DIR; the partner resent the same body`,
      log: rig.partner.log,
      audit,
      observed: {
        answeredBeforeKill,
        recordsOfKilledMessageInStore: left,
        wholeOrNothing: left === 0 || left === size,
        committedBeforeKill: retry.status === 200,
        completeInTime,
      },
      durationMs: Date.now() - started,
    };
  } finally {
    await rig.close();
  }
}

export function gatewayEnv(topology: TopologyNames, configDir: string, dataDir: string, amqpUrl: string): Record<string, string> {
  return {
    AMQP_URL: amqpUrl,
    CONFIG_DIR: configDir,
    DATA_DIR: dataDir,
    AMQP_EXCHANGE: topology.exchange,
    AMQP_QUEUE: topology.queue,
    AMQP_DEAD_LETTER_EXCHANGE: topology.deadLetterExchange,
    AMQP_DEAD_LETTER_QUEUE: topology.deadLetterQueue,
  };
}

/** The outbox of a stopped gateway's store. */
export function readOutboxFile(dataDir: string): OutboxRow[] {
  const db = new Database(path.join(dataDir, 'gateway.db'), { fileMustExist: true });
  try {
    return readOutbox(db);
  } finally {
    db.close();
  }
}

/** The outbox of a running gateway process's store, read beside it (WAL lets a reader in). */
function readOutboxOfRunning(dataDir: string): OutboxRow[] {
  const db = new Database(path.join(dataDir, 'gateway.db'), { readonly: true, fileMustExist: true });
  try {
    return readOutbox(db);
  } finally {
    db.close();
  }
}

/** Every fault scenario, in the order the report lists them. */
export const faultScenarios: readonly ((options?: ScenarioOptions) => Promise<ScenarioResult>)[] = [
  brokerGoneBeforeSubmission,
  brokerLostMidPublish,
  stallMidPublish,
  stallPastHeartbeat,
  gatewayKilled,
  gatewayKilledDuringIntake,
];
