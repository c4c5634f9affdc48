import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_DATA_TABLES } from '../../src/store/store-copy.js';
import { membersOf } from '../support/administration-members.js';
import { deleteTopology, TestConsumer } from '../support/broker.js';
import { auditDelivery, SubmissionLog, waitUntil, type OutboxRow } from '../support/delivery-audit.js';
import { freePort } from '../support/gateway-process.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { postgresBinDir } from '../support/private-postgres.js';
import { removeTestFiles, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const run = promisify(execFile);

/** A client program of the machine's PostgreSQL (pg_dump, pg_restore): the server's own version if there, else from PATH. */
function pgTool(name: string): string {
  try {
    const file = path.join(postgresBinDir(), name);
    if (existsSync(file)) return file;
  } catch {
    // From PATH.
  }
  return name;
}

const euMembers = (from: number, n: number): Member[] =>
  Array.from({ length: n }, (_, i) => euMember({ memberId: `DE${String(from + i).padStart(13, '0')}`, legalName: `Restored Member ${from + i} GmbH` }));

async function tableCounts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of GATEWAY_DATA_TABLES) counts[table] = ((await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table}`)).rows[0]!).n;
    return counts;
  } finally {
    await client.end();
  }
}

/**
 * The backup and restore that docs/notes/backup-restore.md describes for the shared store: pg_dump -Fc
 * of the database, pg_restore into an empty one with the gateways stopped, and a gateway on the
 * restored database carries on where the backup left off.
 */
describe('backup and restore of the PostgreSQL store (pg_dump -Fc, pg_restore)', () => {
  let euKey: PartnerSigningKey;
  let gbKey: PartnerSigningKey;
  let original: TestDatabase;
  let restored: TestDatabase;
  let first: TestGateway | undefined;
  let second: TestGateway | undefined;
  let consumer: TestConsumer | undefined;
  let dir: string;
  const log = new SubmissionLog();
  const sent: { jws: string; receipt: string }[] = [];

  const send = async (test: TestGateway, list: ReturnType<typeof memberList>, key: PartnerSigningKey) => {
    const jws = await signCompact(list, key);
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(jws);
    log.add(list.messageId, list.messageId, response);
    sent.push({ jws, receipt: (response.body as { receipt: string }).receipt });
    return response;
  };

  beforeAll(async () => {
    euKey = await createPartnerKey('EU');
    gbKey = await createPartnerKey('GB');
    original = await createTestDatabase('mra_backup');
    restored = await createTestDatabase('mra_restore');
    dir = mkdtempSync(path.join(tmpdir(), 'mra-store-restore-'));
  });

  afterAll(async () => {
    await second?.stop();
    await consumer?.close();
    if (first) {
      await deleteTopology(first.topology);
      removeTestFiles(first);
    }
    await original?.drop();
    await restored?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a gateway on the restored database publishes the records left pending, keeps the receipts, and continues the seqs', async () => {
    // A gateway on PostgreSQL with no broker to publish to: everything it accepts stays pending.
    const gateway = await startTestGateway({ keys: [euKey, gbKey], databaseUrl: original.url, amqpUrl: `amqp://guest:guest@127.0.0.1:${await freePort()}` });
    first = gateway;
    expect((await send(gateway, memberList(euMembers(0, 5)), euKey)).status).toBe(202);
    expect((await send(gateway, memberList(membersOf('GB', 3), { administration: 'GB' }), gbKey)).status).toBe(202);
    expect((await gateway.gateway.outbox.backlog()).count).toBe(8);
    await gateway.stop();

    // The backup, and the restore into an empty database with no gateway running on it.
    const dump = path.join(dir, 'gateway.dump');
    await run(pgTool('pg_dump'), ['-Fc', '--dbname', original.url, '--file', dump]);
    expect(statSync(dump).size).toBeGreaterThan(0);
    await run(pgTool('pg_restore'), ['--exit-on-error', '--single-transaction', '--no-owner', '--dbname', restored.url, dump]);
    const before = await tableCounts(original.url);
    expect(await tableCounts(restored.url)).toEqual(before);
    expect(before).toMatchObject({ accepted_messages: 2, outbox: 8, members: 8 });

    consumer = await TestConsumer.bind(gateway.topology.exchange);
    second = await startTestGateway({ reuse: gateway, databaseUrl: restored.url });
    await consumer.waitForCount(8);
    await waitUntil('the restored backlog is confirmed', async () => (await second!.gateway.outbox.backlog()).count === 0);

    // Replays of what was accepted before the backup: 200 and the receipt the partner holds.
    for (const earlier of [...sent]) {
      const replay = await second.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(earlier.jws);
      expect(replay.status).toBe(200);
      expect((replay.body as { receipt: string }).receipt).toBe(earlier.receipt);
    }

    // A new list: the identity sequence came back with the dump, so its record comes after the others.
    expect((await send(second, memberList(euMembers(0, 6)), euKey)).status).toBe(202);
    await consumer.waitForCount(9);
    await waitUntil('everything is confirmed', async () => (await second!.gateway.outbox.backlog()).count === 0);

    const client = new pg.Client({ connectionString: restored.url });
    await client.connect();
    let rows: { seq: number; event_id: string; member_key: string; body: string }[];
    try {
      rows = (await client.query<{ seq: number; event_id: string; member_key: string; body: string }>('SELECT seq::int, event_id, member_key, body FROM outbox ORDER BY seq')).rows;
    } finally {
      await client.end();
    }
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const outbox: OutboxRow[] = rows.map((r) => ({
      seq: r.seq,
      eventId: r.event_id,
      memberKey: r.member_key,
      messageId: (JSON.parse(r.body) as { source: { messageId: string } }).source.messageId,
      published: true,
    }));
    const delivery = auditDelivery({ log, outbox, arrivals: consumer.records });
    expect(delivery).toMatchObject({ receipted: 9, stored: 9, delivered: 9, lost: 0, duplicates: 0, unexpected: 0, outOfOrder: 0, unstableIds: 0, fromRejected: 0 });
  });
});
