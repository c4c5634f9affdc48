import amqp from 'amqplib';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminTool } from '../../src/cli/admin/admin-tool.js';
import { runConsumerTool } from '../../src/cli/consumer/consumer-commands.js';
import { lineFromView, MemberState, type MemberLine } from '../../src/cli/consumer/member-state.js';
import { EXIT_CODES } from '../../src/cli/cli-error.js';
import { problemTypeUri } from '../../src/domain/problem-types.js';
import { memberOf } from '../support/administration-members.js';
import { adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { BROKER_URL } from '../support/broker.js';
import { captureIo } from '../support/cli-capture.js';
import { signCompact } from '../support/jws.js';
import { memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { disposeTestGateway, startTestGateway, waitForOutboxDrained, type TestGateway } from '../support/test-gateway.js';

interface View {
  key: string;
  version: number;
  change: string;
  member: { memberId: string; legalName: string; mids: { value: string; source: string }[] };
}

const SNAPSHOT_SIZE = 400;

/** Waits until `condition` holds; fails at once if `running` settled first (the command ended early). */
async function until(condition: () => boolean, running: Promise<unknown>, what: string, timeoutMs = 30_000): Promise<void> {
  let settled = false;
  void running.finally(() => (settled = true));
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (settled) throw new Error(`the command ended before ${what}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function queueDepth(queue: string): Promise<number> {
  const connection = await amqp.connect(BROKER_URL);
  try {
    return (await (await connection.createChannel()).checkQueue(queue)).messageCount;
  } finally {
    await connection.close();
  }
}

/** The gateway's members as an intake test partner keeps them, to send valid deltas of every kind. */
class Partner {
  readonly current = new Map<string, Member>();
  readonly removed: Member[] = [];
  private added = 0;

  constructor(
    private readonly test: () => TestGateway,
    private readonly key: PartnerSigningKey,
  ) {}

  async send(members: Member[], kind: 'snapshot' | 'delta', removals: string[] = []): Promise<void> {
    const list = memberList([...members, ...removals.map((memberId) => ({ memberId, removed: true as const }))], { kind });
    const response = await this.test().http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(list, this.key));
    expect(response.status).toBe(202);
    for (const member of members) this.current.set(member.memberId, member);
    for (const memberId of removals) {
      this.removed.push(this.current.get(memberId)!);
      this.current.delete(memberId);
    }
  }

  /**
   * One delta spread over the whole key range: renames, a status change, removals, additions and a
   * member coming back after its removal, so that some changes land on pages the export has read and
   * some on pages it has not.
   */
  async churn(round: number): Promise<void> {
    const live = [...this.current.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    const pick = (k: number) => live[(round * 37 + k * 97) % live.length]!;
    const picked = [...new Map([0, 1, 2, 3, 4, 5, 6].map((k) => [pick(k).memberId, pick(k)])).values()];
    const [suspended, ...rest] = picked;
    const removals = rest.slice(0, 2).map((m) => m.memberId);
    const renamed = rest.slice(2).map((m) => ({ ...m, legalName: `${m.legalName.replace(/ \(.*$/, '')} (round ${round})` }));
    const changes: Member[] = [...renamed, { ...suspended!, status: suspended!.status === 'certified' ? 'suspended' : 'certified', statusSince: '2026-11-30' }];
    for (let j = 0; j < 2; j++) changes.push(memberOf('EU', 5000 + this.added++, 'S'));
    const back = this.removed.shift();
    if (back && !changes.some((m) => m.memberId === back.memberId)) changes.push({ ...back, legalName: `${back.legalName.replace(/ \(.*$/, '')} (back)` });
    await this.send(changes, 'delta', removals);
  }
}

describe('mra consumer sync and lookup, on a real gateway and broker', () => {
  let test: TestGateway;
  let proxy: TcpProxy;
  let partner: Partner;
  let reader: AdminSigningKey;
  let auditor: AdminSigningKey;
  let dir: string;
  let readerKeyFile: string;
  let auditorKeyFile: string;
  const connection = (keyFile = readerKeyFile, url = test.gateway.url) => ['--gateway-url', url, '--key', keyFile];

  /** Every page of GET /v1/members with `query`, read directly (not through the tool). */
  const listing = async (query: string): Promise<View[]> => {
    const token = await adminToken(reader);
    const items: View[] = [];
    let cursor: string | undefined;
    do {
      const response = await test.http.get(`/v1/members?${query}&limit=1000${cursor !== undefined ? `&cursor=${encodeURIComponent(cursor)}` : ''}`).set('Authorization', `Bearer ${token}`);
      expect(response.status).toBe(200);
      const page = response.body as { members: View[]; next: string | null };
      items.push(...page.members);
      cursor = page.next ?? undefined;
    } while (cursor !== undefined);
    return items;
  };

  /** What a sync file should hold: the register's answer for every member, without the arrangement. */
  const expectFileEqualsRegister = async (file: string): Promise<MemberLine[]> => {
    const lines = MemberState.parse(readFileSync(file, 'utf8'));
    const everyone = (await listing('includeRemoved=true')).map(lineFromView);
    expect(lines.map((l) => l.key)).toEqual(everyone.map((l) => l.key));
    expect(lines).toEqual(everyone);
    const current = await listing('includeRemoved=false');
    expect(lines.filter((l) => l.change !== 'removed')).toEqual(current.map(lineFromView));
    return lines;
  };

  beforeAll(async () => {
    let eu: PartnerSigningKey;
    [eu, reader, auditor] = await Promise.all([createPartnerKey('EU'), createAdminKey({ roles: ['members:read'] }), createAdminKey({ roles: ['audit'] })]);
    // Deltas come faster than a partner sends them: more than the default 120 a minute.
    test = await startTestGateway({ keys: [eu], adminKeys: [reader.publicJwk, auditor.publicJwk], env: { RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: '100000', RATE_LIMIT_PER_CLIENT_PER_MINUTE: '100000' } });
    const deadline = Date.now() + 20_000;
    while ((await test.http.get('/readyz')).status !== 200) {
      if (Date.now() > deadline) throw new Error('the test gateway did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    dir = mkdtempSync(path.join(tmpdir(), 'mra-consumer-sync-'));
    readerKeyFile = path.join(dir, 'reader.jwk');
    auditorKeyFile = path.join(dir, 'auditor.jwk');
    writeFileSync(readerKeyFile, JSON.stringify(reader.privateJwk), { mode: 0o600 });
    writeFileSync(auditorKeyFile, JSON.stringify(auditor.privateJwk), { mode: 0o600 });
    partner = new Partner(() => test, eu);
    await partner.send(Array.from({ length: SNAPSHOT_SIZE }, (_, i) => memberOf('EU', i, 'S')), 'snapshot');
    // The tool reads the register through a slow link, so that the export takes seconds and intake
    // goes on while it runs; the partner sends directly.
    proxy = await TcpProxy.start(Number(new URL(test.gateway.url).port));
    proxy.throttle(150_000);
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await disposeTestGateway(test);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports the register while intake goes on, applies the records, and ends equal to the register', async () => {
    const out = path.join(dir, 'state', 'members.jsonl');
    const io = captureIo();
    const sync = runConsumerTool(
      ['sync', '--out', out, ...connection(readerKeyFile, `http://127.0.0.1:${proxy.port}`), '--amqp-url', BROKER_URL, '--exchange', test.topology.exchange, '--page-size', '20', '--idle', '3', '--write-interval', '0.5'],
      io,
      {},
    );
    await until(() => io.err().includes('sync: consuming'), sync, 'the queue opened');
    let duringExport = 0;
    for (let round = 0; !io.err().includes('sync: exported'); round++) {
      if (round >= 200) throw new Error('the export did not end');
      await partner.churn(round);
      if (!io.err().includes('sync: exported')) duringExport++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // And some after the export, applied as they arrive.
    for (let round = 200; round < 204; round++) await partner.churn(round);
    await waitForOutboxDrained(test);

    expect(await sync).toBe(EXIT_CODES.ok);
    expect(duringExport).toBeGreaterThanOrEqual(3);
    const stderr = io.err();
    expect(stderr).toMatch(/applying the [1-9]\d* record\(s\) that arrived meanwhile/);
    const summary = /exported (\d+) member\(s\) in (\d+) page\(s\); records: (\d+) applied, (\d+) ignored \(at or below the version held\), 0 gap\(s\)/.exec(stderr);
    expect(summary, stderr).not.toBeNull();
    const [, exported, pages, applied] = summary!.map(Number);
    expect(exported).toBeGreaterThanOrEqual(SNAPSHOT_SIZE);
    expect(pages).toBeGreaterThan(SNAPSHOT_SIZE / 20);
    expect(applied).toBeGreaterThan(0);

    const lines = await expectFileEqualsRegister(out);
    expect(lines.some((l) => l.change === 'removed')).toBe(true);
    expect(lines.some((l) => l.change === 'status-changed')).toBe(true);
    expect(lines.some((l) => l.change === 'added' && l.version > 1)).toBe(true); // came back after its removal
    expect(lines.every((l) => l.member.version === l.version)).toBe(true);
    expect(readFileSync(out, 'utf8').endsWith('\n')).toBe(true);
  }, 90_000);

  it('syncs from the durable queue, ignores what the export already showed, and takes what it applied from the queue', async () => {
    await waitForOutboxDrained(test);
    const queue = test.topology.queue;
    expect(await queueDepth(queue)).toBeGreaterThanOrEqual(SNAPSHOT_SIZE); // every record since the gateway started
    const out = path.join(dir, 'queue-members.jsonl');
    const io = captureIo();
    const sync = runConsumerTool(['sync', '--out', out, ...connection(), '--amqp-url', BROKER_URL, '--queue', queue, '--idle', '2', '--prefetch', '100'], io, {});
    await until(() => io.err().includes('sync: wrote'), sync, 'the first write');
    await partner.churn(300);
    await waitForOutboxDrained(test);
    expect(await sync).toBe(EXIT_CODES.ok);
    const summary = /records: (\d+) applied, (\d+) ignored/.exec(io.err());
    expect(Number(summary?.[2])).toBeGreaterThan(SNAPSHOT_SIZE);
    expect(Number(summary?.[1])).toBeGreaterThan(0);
    await expectFileEqualsRegister(out);
    expect(await queueDepth(queue)).toBe(0);
  }, 90_000);

  it('stops on a signal after the export, writing the state first', async () => {
    const out = path.join(dir, 'signal-members.jsonl');
    const stop = new AbortController();
    const io = captureIo();
    const sync = runConsumerTool(['sync', '--out', out, ...connection(), '--amqp-url', BROKER_URL, '--exchange', test.topology.exchange, '--administration', 'eu', '--follow'], io, {}, stop.signal);
    await until(() => io.err().includes('sync: wrote'), sync, 'the first write');
    expect(io.err()).toContain('member.*.eu');
    stop.abort();
    expect(await sync).toBe(EXIT_CODES.ok);
    expect(MemberState.parse(readFileSync(out, 'utf8')).length).toBeGreaterThan(SNAPSHOT_SIZE);
  }, 60_000);

  it('reports a record that skips versions as a gap, ignores a duplicate, and rejects what is not a member record', async () => {
    const out = path.join(dir, 'gap-members.jsonl');
    const io = captureIo();
    const sync = runConsumerTool(['sync', '--out', out, ...connection(), '--amqp-url', BROKER_URL, '--exchange', test.topology.exchange, '--idle', '1.5', '--write-interval', '0.2'], io, {});
    await until(() => io.err().includes('sync: wrote'), sync, 'the first write');
    const key = `EU:${memberOf('EU', 7, 'S').memberId}`;
    const held = (await test.http.get(`/v1/members/${key}`).set('Authorization', `Bearer ${await adminToken(reader)}`)).body as View & { acceptedAt: string; source: unknown };
    const record = (version: number) => ({
      specVersion: '1.1',
      eventId: `injected-${version}`,
      change: 'updated',
      occurredAt: held.acceptedAt,
      administration: { code: 'EU', name: 'European Union', program: 'AEO', mraSignedOn: '2012-05' },
      member: { ...held.member, version },
      source: held.source,
    });
    const broker = await amqp.connect(BROKER_URL);
    try {
      const channel = await broker.createConfirmChannel();
      channel.publish(test.topology.exchange, 'member.updated.eu', Buffer.from(JSON.stringify(record(held.version))));
      channel.publish(test.topology.exchange, 'member.updated.eu', Buffer.from(JSON.stringify(record(held.version + 2))));
      channel.publish(test.topology.exchange, 'member.updated.eu', Buffer.from('not a record'));
      await channel.waitForConfirms();
    } finally {
      await broker.close();
    }
    expect(await sync).toBe(EXIT_CODES.ok);
    const stderr = io.err();
    expect(stderr).toContain(`gap: ${key} version ${held.version + 2} arrived with version ${held.version} before it: 1 version(s) never arrived`);
    expect(stderr).toMatch(/records: 1 applied, 1 ignored \(at or below the version held\), 1 gap\(s\) \(1 version\(s\) missing\), 1 rejected/);
    expect(MemberState.parse(readFileSync(out, 'utf8')).find((l) => l.key === key)?.version).toBe(held.version + 2);
  }, 60_000);

  it('looks members up by MID, identifier and name prefix', async () => {
    const member = memberOf('EU', 12, 'S');
    const view = (await listing(`identifier=EORI:${member.memberId}&includeRemoved=true`))[0]!;
    const mid = view.member.mids[0]!.value;

    const byMid = captureIo();
    expect(await runConsumerTool(['lookup', '--mid', mid.toLowerCase(), '--include-removed', ...connection()], byMid, {})).toBe(EXIT_CODES.ok);
    const found = byMid.out().trim().split('\n').map((line) => JSON.parse(line) as View & { arrangement: unknown });
    expect(found.map((v) => v.key)).toContain(`EU:${member.memberId}`);
    expect(found.every((v) => v.member.mids.some((m) => m.value === mid))).toBe(true);
    expect(found[0]).toHaveProperty('arrangement');

    const byIdentifier = captureIo();
    expect(await runConsumerTool(['lookup', '--identifier', `eori:${member.memberId}`, '--include-removed', ...connection()], byIdentifier, {})).toBe(EXIT_CODES.ok);
    expect(byIdentifier.out().trim().split('\n').map((line) => (JSON.parse(line) as View).key)).toEqual([`EU:${member.memberId}`]);

    const byName = captureIo();
    expect(await runConsumerTool(['lookup', '--name', 'eu s member 1', '--administration', 'EU', '--format', 'table', '--limit', '5', ...connection()], byName, {})).toBe(EXIT_CODES.ok);
    const rows = byName.out().trimEnd().split('\n');
    expect(rows[0]).toMatch(/^MEMBER +VERSION +CHANGE +STATUS +RECOGNIZED +CERT +MIDS +LEGAL NAME$/);
    expect(rows).toHaveLength(6);
    expect(rows.slice(1).every((row) => row.startsWith('EU:DES') && /EU S member 1/.test(row))).toBe(true);
    expect(byName.err()).toMatch(/5 member\(s\) match; more may/);
  });

  it('says so when no member matches, with exit code 0 and nothing on standard output', async () => {
    const io = captureIo();
    expect(await runConsumerTool(['lookup', '--mid', 'ZZNOBODY999XYZ', ...connection()], io, {})).toBe(EXIT_CODES.ok);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('no member matches (mid=ZZNOBODY999XYZ)');
  });

  it('prints the problem and exits 6 when the key lacks the role members:read, and writes no file', async () => {
    const lookup = captureIo();
    expect(await runConsumerTool(['lookup', '--mid', 'DEEUS12POR', ...connection(auditorKeyFile)], lookup, {})).toBe(EXIT_CODES.refused);
    expect((JSON.parse(lookup.out()) as { type: string }).type).toBe(problemTypeUri('forbidden'));
    expect(lookup.err()).toMatch(/refused \(403 forbidden\).*members:read/);

    const out = path.join(dir, 'refused.jsonl');
    const sync = captureIo();
    expect(await runConsumerTool(['sync', '--out', out, ...connection(auditorKeyFile), '--amqp-url', BROKER_URL, '--exchange', test.topology.exchange, '--idle', '1'], sync, {})).toBe(EXIT_CODES.refused);
    expect(existsSync(out)).toBe(false);
    expect(sync.err()).toContain('403 forbidden');
  });

  it('refuses wrong usage with exit code 2 before reading anything', async () => {
    const out = path.join(dir, 'usage.jsonl');
    const cases = [
      ['sync', ...connection()],
      ['sync', '--out', out, '--follow', '--idle', '5', ...connection()],
      ['sync', '--out', out, '--queue', 'q', '--exchange', 'x', ...connection()],
      ['sync', '--out', out, '--page-size', '1001', ...connection()],
      ['sync', '--out', out, '--idle', 'soon', ...connection()],
      ['sync', '--out', out, '--administration', 'Europe', ...connection()],
      ['sync', '--out', out, '--gateway-url', test.gateway.url],
      ['lookup', '--mid', 'not a mid!', ...connection()],
      ['lookup', '--identifier', 'SSN:123', ...connection()],
      ['lookup', ...connection()],
      ['lookup', '--mid', 'DEEUS12POR', '--limit', '0', ...connection()],
      ['lookup', '--mid', 'DEEUS12POR', '--gateway-url', 'ftp://example', '--key', readerKeyFile],
    ];
    for (const args of cases) {
      const io = captureIo();
      expect({ args, code: await runConsumerTool(args, io, {}) }).toEqual({ args, code: EXIT_CODES.usage });
      expect(io.err()).toMatch(/--help/);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('mra admin token prints a reusable register token, alone on standard output', async () => {
    const io = captureIo();
    expect(await runAdminTool(['token', '--key', readerKeyFile, '--sub', 'curl-user', '--lifetime', '60'], io, {})).toBe(EXIT_CODES.ok);
    const token = io.out().trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const key = `EU:${memberOf('EU', 3, 'S').memberId}`;
    for (let i = 0; i < 2; i++) expect((await test.http.get(`/v1/members/${key}`).set('Authorization', `Bearer ${token}`)).status).toBe(200);
    // Without a jti it never acts on the admin API.
    expect((await test.http.get('/admin/v1/audit').set('Authorization', `Bearer ${token}`)).status).toBe(401);
    expect(await runAdminTool(['token', '--key', readerKeyFile, '--lifetime', '301'], captureIo(), {})).toBe(EXIT_CODES.usage);
    expect(await runAdminTool(['token'], captureIo(), {})).toBe(EXIT_CODES.usage);
  });

  it('explains sync, lookup and admin token with --help, naming every option and the exit codes', async () => {
    for (const [run, words] of [
      [runConsumerTool, ['sync']],
      [runConsumerTool, ['lookup']],
      [runAdminTool, ['token']],
    ] as const) {
      const io = captureIo();
      expect(await run([...words, '--help'], io, {})).toBe(EXIT_CODES.ok);
      const flags = words[0] === 'sync'
        ? ['--out', '--administration', '--amqp-url', '--exchange', '--queue', '--follow', '--idle', '--write-interval', '--prefetch', '--page-size', '--gateway-url', '--key', '--sub']
        : words[0] === 'lookup'
          ? ['--mid', '--identifier', '--name', '--administration', '--include-removed', '--format', '--limit', '--gateway-url', '--key', '--sub']
          : ['--key', '--sub', '--lifetime'];
      for (const flag of flags) expect({ words, flag, named: io.out().includes(flag) }).toEqual({ words, flag, named: true });
      expect(io.out()).toMatch(/^ {2}6 {2}/m);
    }
  });
});
