import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminTool } from '../../src/cli/admin/admin-tool.js';
import { EXIT_CODES } from '../../src/cli/cli-error.js';
import { COPIED_TABLES, EMBEDDED_SCHEMA_TABLES, EMBEDDED_TABLES, GATEWAY_DATA_TABLES, POSTGRES_COORDINATION_TABLES, type StoreCopyResult } from '../../src/store/store-copy.js';
import { createLogger } from '../../src/logging/logger.js';
import { migrate, postgresMigrations } from '../../src/store/postgres/postgres-migrations.js';
import { SqliteGatewayStore } from '../../src/store/sqlite/sqlite-gateway-store.js';
import { membersOf } from '../support/administration-members.js';
import { adminCall, adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { deleteTopology, TestConsumer } from '../support/broker.js';
import { captureIo } from '../support/cli-capture.js';
import { auditDelivery, SubmissionLog, waitUntil, type OutboxRow } from '../support/delivery-audit.js';
import { freePort } from '../support/gateway-process.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { embeddedDb, removeTestFiles, startTestGateway, TEST_KEY_ENCRYPTION_KEY, waitForOutboxDrained, type TestGateway } from '../support/test-gateway.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

interface CliRun {
  code: number;
  stderr: string;
  json: unknown;
}

async function storeCopy(...argv: string[]): Promise<CliRun> {
  const io = captureIo();
  const code = await runAdminTool(['store', 'copy', ...argv], io);
  let json: unknown;
  try {
    json = JSON.parse(io.out());
  } catch {
    json = undefined;
  }
  return { code, stderr: io.err(), json };
}

/** The embedded gateways use the test KEK, so the gateways on the copy open the receipt keys they sealed. */
const KEK_ENV = { RECEIPT_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY };

const euMembers = (from: number, n: number): Member[] =>
  Array.from({ length: n }, (_, i) => euMember({ memberId: `DE${String(from + i).padStart(13, '0')}`, legalName: `Copy Member ${from + i} GmbH` }));

interface Sent {
  jws: string;
  status: number;
  receipt: string;
}

/** Rows per table in the embedded store. */
function sqliteCounts(test: TestGateway): Record<string, number> {
  const db = embeddedDb(test.gateway);
  return Object.fromEntries(COPIED_TABLES.map((t) => [t.table, db.prepare(`SELECT COUNT(*) FROM ${t.table}`).pluck().get() as number]));
}

describe('mra admin store copy: an embedded store into PostgreSQL', () => {
  let euKey: PartnerSigningKey;
  let gbKey: PartnerSigningKey;
  let laterEuKey: PartnerSigningKey;
  let admin: AdminSigningKey;
  let consumer: TestConsumer | undefined;
  let embedded: TestGateway | undefined;
  let embeddedRunning = false;
  let onPostgres: TestGateway | undefined;
  let target: TestDatabase;
  let sql: pg.Pool;
  const log = new SubmissionLog();
  const sent: Sent[] = [];
  let usedToken: string;
  let expected: Record<string, number>;
  let pendingEventIds: string[];
  let publishedEventIds: string[];
  let sqliteRows: { receiptKeys: unknown[]; audit: unknown[]; outbox: unknown[]; partnerKeys: unknown[]; tokens: unknown[]; submissions: unknown[] };
  let copyResult: StoreCopyResult;

  const send = async (test: TestGateway, list: ReturnType<typeof memberList>, key: PartnerSigningKey): Promise<Sent> => {
    const jws = await signCompact(list, key);
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(jws);
    log.add(list.messageId, list.messageId, response);
    const entry = { jws, status: response.status, receipt: (response.body as { receipt: string }).receipt };
    sent.push(entry);
    return entry;
  };

  beforeAll(async () => {
    euKey = await createPartnerKey('EU');
    gbKey = await createPartnerKey('GB');
    laterEuKey = await createPartnerKey('EU');
    admin = await createAdminKey();
    target = await createTestDatabase('mra_copy');
    sql = new pg.Pool({ connectionString: target.url, max: 2 });

    // 1. On the embedded store with the broker there: a list published, admin changes audited.
    const first = await startTestGateway({ keys: [euKey, gbKey], adminKeys: [admin.publicJwk], env: KEK_ENV });
    embedded = first;
    embeddedRunning = true;
    consumer = await TestConsumer.bind(first.topology.exchange);
    expect((await send(first, memberList(euMembers(0, 5)), euKey)).status).toBe(202);
    await consumer.waitForCount(5);
    await waitForOutboxDrained(first);
    expect((await adminCall(first.http, admin, 'post', '/administrations/EU/keys', { jwk: laterEuKey.publicJwk })).status).toBe(201);
    expect((await adminCall(first.http, admin, 'post', '/receipt-keys/rotate')).status).toBe(201);
    usedToken = await adminToken(admin);
    expect((await first.http.get('/admin/v1/administrations').set('Authorization', `Bearer ${usedToken}`)).status).toBe(200);
    await first.stop();
    embeddedRunning = false;

    // 2. Restarted with no broker: what it accepts now stays in the outbox, unpublished.
    const second = await startTestGateway({ reuse: first, amqpUrl: `amqp://guest:guest@127.0.0.1:${await freePort()}`, env: KEK_ENV });
    embedded = second;
    embeddedRunning = true;
    expect((await send(second, memberList(membersOf('GB', 4), { administration: 'GB' }), gbKey)).status).toBe(202);
    // Signed with the key registered through the admin API; 5 unchanged, 2 added.
    const grown = await send(second, memberList(euMembers(0, 7)), laterEuKey);
    expect(grown.status).toBe(202);
    expect(second.counts().unpublished).toBe(6);
    expect(consumer.records).toHaveLength(5);
    const db = embeddedDb(second.gateway);
    expected = sqliteCounts(second);
    pendingEventIds = db.prepare('SELECT event_id FROM outbox WHERE seq > (SELECT published_through FROM outbox_cursor) ORDER BY seq').pluck().all() as string[];
    publishedEventIds = db.prepare('SELECT event_id FROM outbox WHERE seq <= (SELECT published_through FROM outbox_cursor) ORDER BY seq').pluck().all() as string[];
    sqliteRows = {
      receiptKeys: db.prepare('SELECT kid, private_jwk, public_jwk, created_at, retired_at FROM receipt_keys ORDER BY kid').all(),
      audit: db.prepare('SELECT seq, at, actor_kid, action, administration, kid, before, after FROM audit_log ORDER BY seq').all(),
      outbox: db.prepare('SELECT seq, event_id, administration, CAST(body AS TEXT) AS body, created_at FROM outbox ORDER BY seq').all(),
      partnerKeys: db.prepare('SELECT administration, kid, jwk, not_before, not_after, added_at FROM partner_keys ORDER BY administration, kid').all(),
      tokens: db.prepare('SELECT kid, jti, expires_at FROM admin_token_uses ORDER BY kid, jti').all(),
      submissions: db.prepare('SELECT id, received_at, administration, message_id, outcome, status, counts, duration_us, receipt FROM submission_log ORDER BY id').all(),
    };
  });

  afterAll(async () => {
    await onPostgres?.stop();
    if (embeddedRunning) await embedded?.stop();
    await consumer?.close();
    if (embedded) {
      await deleteTopology(embedded.topology);
      removeTestFiles(embedded);
    }
    await sql?.end();
    await target?.drop();
  });

  it('refuses the store while a gateway runs on it, and leaves the target untouched', async () => {
    const result = await storeCopy('--from', embedded!.dataDir, '--to', target.url);
    expect(result.code).toBe(EXIT_CODES.file);
    expect(result.stderr).toMatch(/in use/);
    const { rows } = await sql.query("SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'");
    expect(rows[0]).toEqual({ n: 0 });
    await embedded!.stop();
    embeddedRunning = false;
  });

  it('copies every table into the empty database, with the relay progress per administration', async () => {
    const file = path.join(embedded!.dataDir, 'gateway.db');
    const digest = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    const before = digest();
    const result = await storeCopy('--from', embedded!.dataDir, '--to', target.url);
    // Read only: the file is as it was, and nothing was left beside it.
    expect(digest()).toBe(before);
    expect(readdirSync(embedded!.dataDir).filter((f) => f.startsWith('gateway.db'))).toEqual(['gateway.db']);
    expect(result.stderr, result.stderr).toMatch(/copied \d+ rows/);
    expect(result.code).toBe(EXIT_CODES.ok);
    copyResult = result.json as StoreCopyResult;
    expect(copyResult.tables).toEqual({ ...expected, outbox_cursors: 2 });
    expect(expected).toMatchObject({ accepted_messages: 3, members: 11, outbox: 11, receipt_keys: 2, audit_log: 2, partner_keys: 3, submission_log: 3 });
    expect(expected.admin_token_uses).toBeGreaterThanOrEqual(3);

    for (const table of GATEWAY_DATA_TABLES) {
      const { rows } = await sql.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table}`);
      expect({ table, rows: rows[0]!.n }).toEqual({ table, rows: copyResult.tables[table] });
    }

    // EU's first five records were confirmed, its last two and all of GB's were not.
    const euSeqs = (sqliteRows.outbox as { seq: number; administration: string }[]).filter((r) => r.administration === 'EU').map((r) => r.seq);
    expect(copyResult.outbox.cursors).toEqual({ EU: { publishedThrough: euSeqs[4], pending: 2 }, GB: { publishedThrough: 0, pending: 4 } });
    const { rows: cursors } = await sql.query('SELECT administration, published_through::int FROM outbox_cursors ORDER BY administration');
    expect(cursors).toEqual([
      { administration: 'EU', published_through: euSeqs[4] },
      { administration: 'GB', published_through: 0 },
    ]);

    // Values as they were: seqs kept, times the same instants, receipt private keys exactly as stored.
    const ms = (value: Date | null) => (value === null ? null : value.getTime());
    const receiptKeys = (await sql.query('SELECT kid, private_jwk, public_jwk, created_at, retired_at FROM receipt_keys ORDER BY kid')).rows.map((r: Record<string, unknown>) => ({
      ...r,
      created_at: ms(r.created_at as Date),
      retired_at: ms(r.retired_at as Date | null),
    }));
    expect(receiptKeys).toEqual(sqliteRows.receiptKeys);
    const audit = (await sql.query('SELECT seq::int, at, actor_kid, action, administration, kid, before, after FROM audit_log ORDER BY seq')).rows.map((r: Record<string, unknown>) => ({ ...r, at: ms(r.at as Date) }));
    expect(audit).toEqual(sqliteRows.audit);
    const outbox = (await sql.query('SELECT seq::int, event_id, administration, body, created_at FROM outbox ORDER BY seq')).rows.map((r: Record<string, unknown>) => ({ ...r, created_at: ms(r.created_at as Date) }));
    expect(outbox).toEqual(sqliteRows.outbox);
    const partnerKeys = (await sql.query('SELECT administration, kid, jwk, not_before, not_after, added_at FROM partner_keys ORDER BY administration, kid')).rows.map((r: Record<string, unknown>) => ({
      ...r,
      not_before: ms(r.not_before as Date | null),
      not_after: ms(r.not_after as Date | null),
      added_at: ms(r.added_at as Date),
    }));
    expect(partnerKeys).toEqual(sqliteRows.partnerKeys);
    const tokens = (await sql.query('SELECT kid, jti, expires_at FROM admin_token_uses ORDER BY kid, jti')).rows.map((r: Record<string, unknown>) => ({ ...r, expires_at: ms(r.expires_at as Date) }));
    expect(tokens).toEqual(sqliteRows.tokens);
    const submissions = (await sql.query('SELECT id, received_at, administration, message_id, outcome, status::int, counts, duration_us::int, receipt FROM submission_log ORDER BY id')).rows.map(
      (r: Record<string, unknown>) => ({ ...r, received_at: ms(r.received_at as Date) }),
    );
    expect(submissions).toEqual(sqliteRows.submissions);

    // The identity sequences continue after the copied rows.
    const maxOutbox = Math.max(...(sqliteRows.outbox as { seq: number }[]).map((r) => r.seq));
    expect(copyResult.outbox.nextSeq).toBe(maxOutbox + 1);
  });

  it('refuses a second copy into the same database, with its own exit code, and changes nothing there', async () => {
    const before = (await sql.query('SELECT COUNT(*)::int AS n FROM members')).rows[0] as { n: number };
    const again = await storeCopy('--from', embedded!.dataDir, '--to', target.url);
    expect(again.code).toBe(EXIT_CODES.file);
    expect(again.stderr).toMatch(/already holds gateway data/);
    expect(again.json).toBeUndefined();
    expect((await sql.query('SELECT COUNT(*)::int AS n FROM members')).rows[0]).toEqual(before);
  });

  it('a gateway on the copy publishes exactly the records left unpublished, replays with the same receipts, and refuses used admin tokens', async () => {
    onPostgres = await startTestGateway({ reuse: embedded, databaseUrl: target.url });
    const records = await consumer!.waitForCount(5 + 6);
    await waitUntil('the copied backlog is confirmed', async () => (await onPostgres!.gateway.outbox.backlog()).count === 0);
    expect(records.slice(0, 5).map((r) => r.body.eventId)).toEqual(publishedEventIds);
    expect(new Set(records.slice(5).map((r) => r.body.eventId))).toEqual(new Set(pendingEventIds));

    // Replays of messages accepted by the embedded gateway: 200 and the original receipt (signed with either receipt key).
    for (const original of sent) {
      const replay = await onPostgres.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(original.jws);
      expect(replay.status).toBe(200);
      expect((replay.body as { receipt: string }).receipt).toBe(original.receipt);
    }

    // A token used before the move stays used; a new one works, and the audit log continues its seq.
    const replayedToken = await onPostgres.http.get('/admin/v1/administrations').set('Authorization', `Bearer ${usedToken}`);
    expect(replayedToken.status).toBe(401);
    expect((await adminCall(onPostgres.http, admin, 'post', '/receipt-keys/rotate')).status).toBe(201);
    const audit = (await adminCall(onPostgres.http, admin, 'get', '/audit')).body as { entries: { seq: number; action: string }[] };
    expect(audit.entries.map((e) => e.seq)).toEqual([1, 2, 3]);

    // A new list: its records take seqs after the copied ones and are published.
    const more = await send(onPostgres, memberList(euMembers(0, 8)), laterEuKey);
    expect(more.status).toBe(202);
    await consumer!.waitForCount(12);
    const { rows } = await sql.query<{ seq: number; event_id: string; member_key: string; body: string; published: boolean }>(
      `SELECT o.seq::int, o.event_id, o.member_key, o.body, o.seq <= c.published_through AS published
       FROM outbox o JOIN outbox_cursors c USING (administration) ORDER BY o.seq`,
    );
    expect(rows.at(-1)!.seq).toBe(copyResult.outbox.nextSeq);
    await waitUntil('everything is confirmed', async () => (await onPostgres!.gateway.outbox.backlog()).count === 0);
    const outbox: OutboxRow[] = rows.map((r) => ({
      seq: r.seq,
      eventId: r.event_id,
      memberKey: r.member_key,
      messageId: (JSON.parse(r.body) as { source: { messageId: string } }).source.messageId,
      published: true,
    }));
    const delivery = auditDelivery({ log, outbox, arrivals: consumer!.records });
    expect(delivery).toMatchObject({ receipted: 12, stored: 12, delivered: 12, lost: 0, duplicates: 0, unexpected: 0, outOfOrder: 0, unstableIds: 0 });
  });

  it("refuses a database with data before migrating it: an older gateway's schema stays as it was", async () => {
    const older = await createTestDatabase('mra_copy_older');
    const client = new pg.Client({ connectionString: older.url });
    await client.connect();
    try {
      await migrate(client, createLogger('error'), postgresMigrations.slice(0, 1));
      await client.query("INSERT INTO audit_log (at, actor_kid, actor_sub, action) VALUES (now(), 'k', 's', 'receipt-key.rotate')");
      const refused = await storeCopy('--from', embedded!.dataDir, '--to', older.url);
      expect(refused.code).toBe(EXIT_CODES.file);
      expect(refused.stderr).toMatch(/already holds gateway data \(rows in audit_log\)/);
      expect((await client.query('SELECT COUNT(*)::int AS n FROM schema_migrations')).rows[0]).toEqual({ n: 1 });
    } finally {
      await client.end();
      await older.drop();
    }
  });

  it('copies a store whose gateway did not stop cleanly: what is only in the WAL is copied too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mra-store-copy-crashed-'));
    const fresh = await createTestDatabase('mra_copy_crashed');
    try {
      await SqliteGatewayStore.open(dir).close();
      // Another process commits and dies without closing the database: its commit is in gateway.db-wal only.
      const script = `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
        const db = new Database(${JSON.stringify(path.join(dir, 'gateway.db'))});
        db.pragma('journal_mode = WAL');
        db.prepare("INSERT INTO members (administration, member_id, fingerprint, member) VALUES ('EU', 'DE0000000000001', 'f', '{}')").run();
        process.exit(0);`;
      await run(process.execPath, ['-e', script]);
      expect(readdirSync(dir)).toContain('gateway.db-wal');
      const result = await storeCopy('--from', dir, '--to', fresh.url);
      expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
      expect((result.json as StoreCopyResult).tables.members).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await fresh.drop();
    }
  });

  it('refuses what it cannot copy: a wrong --to, a missing store, an unreachable server', async () => {
    const notUrl = await storeCopy('--from', embedded!.dataDir, '--to', 'mysql://localhost/gateway');
    expect(notUrl.code).toBe(EXIT_CODES.usage);
    const noDatabase = await storeCopy('--from', embedded!.dataDir, '--to', 'postgres://postgres@127.0.0.1:5432');
    expect(noDatabase.code).toBe(EXIT_CODES.usage);
    const empty = mkdtempSync(path.join(tmpdir(), 'mra-store-copy-'));
    try {
      const missing = await storeCopy('--from', empty, '--to', target.url);
      expect(missing.code).toBe(EXIT_CODES.file);
      expect(missing.stderr).toMatch(/gateway\.db does not exist/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const unreachable = await storeCopy('--from', embedded!.dataDir, '--to', `postgres://postgres@127.0.0.1:${await freePort()}/nowhere`);
    expect(unreachable.code).toBe(EXIT_CODES.unreachable);
    const missingOption = await storeCopy('--from', embedded!.dataDir);
    expect(missingOption.code).toBe(EXIT_CODES.usage);
  });

  it('knows every table and column of both schemas (a new migration must extend the copy)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mra-store-copy-schema-'));
    const store = SqliteGatewayStore.open(dir);
    try {
      const tables = store.database.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
      expect(tables).toEqual([...EMBEDDED_TABLES, ...EMBEDDED_SCHEMA_TABLES].sort());
      for (const table of COPIED_TABLES) {
        const columns = store.database.db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(table.table) as string[];
        expect({ table: table.table, columns: columns.sort() }).toEqual({ table: table.table, columns: table.columns.map((c) => c.name).sort() });
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const { rows: pgTables } = await sql.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
    expect(pgTables.map((r) => r.table_name)).toEqual([...GATEWAY_DATA_TABLES, ...POSTGRES_COORDINATION_TABLES].sort());
    for (const table of COPIED_TABLES) {
      const { rows } = await sql.query<{ column_name: string; data_type: string }>(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name",
        [table.table],
      );
      const pgType = (t: string) => (t === 'timestamp with time zone' ? 'timestamptz' : t);
      expect({ table: table.table, columns: rows.map((r) => [r.column_name, pgType(r.data_type)]) }).toEqual({
        table: table.table,
        columns: [...table.columns].sort((a, b) => a.name.localeCompare(b.name)).map((c) => [c.name, c.type]),
      });
    }
  });
});
