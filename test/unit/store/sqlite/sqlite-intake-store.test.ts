import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AcceptedMessage } from '../../../../src/domain/intake/intake-store.js';
import { SqliteDatabase } from '../../../../src/store/sqlite/sqlite-database.js';
import { SqliteIntakeStore } from '../../../../src/store/sqlite/sqlite-intake-store.js';
import { migrations } from '../../../../src/store/sqlite/sqlite-migrations.js';
import { SqliteOutboxStore } from '../../../../src/store/sqlite/sqlite-outbox-store.js';
import { temporaryDirectories } from '../../../support/temp-dirs.js';

const dataDir = temporaryDirectories('intake-store-');

const receipt: AcceptedMessage['receipt'] = {
  messageId: 'm1',
  administration: 'EU',
  receivedAt: '2026-01-01T00:00:00.000Z',
  outcome: 'accepted',
  counts: { members: 0, added: 0, updated: 0, statusChanged: 0, removed: 0, unchanged: 0, notRecognized: 0 },
  warnings: [],
  receipt: 'signed',
};

/** The statement a gateway before migration 4 inserts accepted messages with. */
const INSERT_WITHOUT_PAYLOAD_DIGEST = `INSERT INTO accepted_messages (administration, message_id, digest, kind, sequence, issued_at, received_at, kid, receipt)
  VALUES ('EU', ?, 'body-digest', 'snapshot', NULL, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z', 'k', ?)`;

function storeAt(dir: string) {
  const database = SqliteDatabase.open(dir);
  return { database, store: new SqliteIntakeStore(database, new SqliteOutboxStore(database).watermark) };
}

describe('SQLite intake store', () => {
  it('hands the relay the first records of a commit up to its byte budget, and leaves the rest to the outbox', async () => {
    const database = SqliteDatabase.open(dataDir());
    const outbox = new SqliteOutboxStore(database);
    const handed: number[][] = [];
    const store = new SqliteIntakeStore(database, outbox.watermark, (records) => handed.push(records.map((r) => r.seq)), 2500);
    const record = (n: number) => ({
      eventId: `e${n}`,
      administration: 'EU',
      memberKey: `EU:M${n}`,
      change: 'added' as const,
      routingKey: 'member.added.EU',
      occurredAt: '2026-01-01T00:00:00.000Z',
      body: 'x'.repeat(1000),
    });
    // Two records of 1,000 bytes fit in 2,500; the relay reads the other eight from the store.
    await store.intake('EU', (tx) => tx.write({ upserts: [], removals: [], history: [], records: Array.from({ length: 10 }, (_, n) => record(n)) }));
    expect(handed).toEqual([[1, 2]]);
    // Every record of the commit is durable and waiting in the outbox, whatever was handed over.
    expect(outbox.watermark.durableSeq).toBe(10);
    expect((await outbox.pending(0, 100)).map((r) => r.eventId)).toEqual(Array.from({ length: 10 }, (_, n) => `e${n}`));
    // The next commit starts its budget afresh.
    await store.intake('EU', (tx) => tx.write({ upserts: [], removals: [], history: [], records: [record(10)] }));
    expect(handed).toEqual([[1, 2], [11]]);
    await database.close();
  });

  it('migration 4 adds a nullable payload digest: messages stored before it read back with none', async () => {
    const dir = dataDir();
    const old = new Database(path.join(dir, 'gateway.db'));
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    migrations.slice(0, 3).forEach(({ sql }, i) => {
      old.exec(sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(i + 1, new Date().toISOString());
    });
    old.prepare(INSERT_WITHOUT_PAYLOAD_DIGEST).run('m1', JSON.stringify(receipt));
    old.close();

    const { database, store } = storeAt(dir);
    const found = await store.intake('EU', (tx) => tx.findMessage('EU', 'm1'));
    expect(found).toMatchObject({ messageId: 'm1', digest: 'body-digest', payloadDigest: null, receipt });
    // Expand only: what an older gateway writes still works on the migrated table.
    database.db.prepare(INSERT_WITHOUT_PAYLOAD_DIGEST).run('m2', JSON.stringify({ ...receipt, messageId: 'm2' }));
    expect(await store.intake('EU', (tx) => tx.findMessage('EU', 'm2'))).toMatchObject({ payloadDigest: null });
    await database.close();
  });

  it('stores the payload digest with each accepted message', async () => {
    const { database, store } = storeAt(dataDir());
    const message: AcceptedMessage = {
      administration: 'EU',
      messageId: 'm1',
      digest: 'body-digest',
      payloadDigest: 'payload-digest',
      kind: 'delta',
      sequence: 3,
      issuedAt: '2026-01-01T00:00:00Z',
      receivedAt: '2026-01-01T00:00:01.000Z',
      kid: 'k',
      receipt,
    };
    await store.intake('EU', (tx) => tx.accept({ message, cursor: { lastSequence: 3, lastSnapshotIssuedAt: null } }));
    expect(await store.intake('EU', (tx) => tx.findMessage('EU', 'm1'))).toEqual(message);
    await database.close();
  });

  it('reads partner keys and the stored arrangement status inside the transaction', async () => {
    const { database, store } = storeAt(dataDir());
    const db = database.db;
    db.prepare("INSERT INTO partner_keys (administration, kid, jwk, not_before, not_after, revoked_at, revocation_reason, added_at) VALUES ('EU', 'k1', '{\"kty\":\"EC\"}', NULL, 5000, 4000, 'exposed', 1000)").run();
    db.prepare("INSERT INTO partner_keys (administration, kid, jwk, not_before, not_after, revoked_at, revocation_reason, added_at) VALUES ('JP', 'k1', '{\"kty\":\"OKP\"}', NULL, NULL, NULL, NULL, 1000)").run();
    db.prepare("INSERT INTO arrangement_status (administration, status, reason, changed_at, changed_by) VALUES ('EU', 'suspended', 'review', 1, '{}')").run();

    const seen = await store.intake('EU', async (tx) => ({
      eu: await tx.partnerKey('EU', 'k1'),
      jp: await tx.partnerKey('JP', 'k1'),
      none: await tx.partnerKey('EU', 'k2'),
      euStatus: await tx.arrangementStatus('EU'),
      jpStatus: await tx.arrangementStatus('JP'),
    }));
    expect(seen.eu).toEqual({
      administration: 'EU',
      kid: 'k1',
      jwk: { kty: 'EC' },
      notBefore: null,
      notAfter: new Date(5000),
      revokedAt: new Date(4000),
      revocationReason: 'exposed',
      addedAt: new Date(1000),
    });
    expect(seen.jp).toMatchObject({ administration: 'JP', jwk: { kty: 'OKP' }, revokedAt: null });
    expect(seen.none).toBeUndefined();
    expect(seen.euStatus).toBe('suspended');
    expect(seen.jpStatus).toBeUndefined();
    await database.close();
  });
});
