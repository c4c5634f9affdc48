import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDirectories } from '../../../support/temp-dirs.js';
import { SqliteDatabase } from '../../../../src/store/sqlite/sqlite-database.js';
import { migrations } from '../../../../src/store/sqlite/sqlite-migrations.js';
import { SqliteOutboxStore } from '../../../../src/store/sqlite/sqlite-outbox-store.js';

const dataDir = temporaryDirectories('outbox-store-');

const DAY = 86_400_000;

function insertRecords(db: Database.Database, createdAt: number[], publishedAt?: (number | null)[]): void {
  const columns = publishedAt ? ', published_at' : '';
  const insert = db.prepare(
    `INSERT INTO outbox (event_id, administration, member_key, change, routing_key, occurred_at, body, created_at${columns})
     VALUES (?, 'EU', ?, 'added', 'member.added.eu', '2026-01-01T00:00:00Z', ?, ?${publishedAt ? ', ?' : ''})`,
  );
  createdAt.forEach((at, i) => insert.run(`e${i}`, `EU:m${i}`, Buffer.from('{}'), at, ...(publishedAt ? [publishedAt[i]] : [])));
}

describe('SQLite outbox store', () => {
  it('carries the published stamps of an older store over as the confirmed position', async () => {
    const dir = dataDir();
    const old = new Database(path.join(dir, 'gateway.db'));
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    migrations.slice(0, 2).forEach(({ sql }, i) => {
      old.exec(sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(i + 1, new Date().toISOString());
    });
    // 1..3 confirmed, 4 not, 5 confirmed out of turn: 5 is published again (at least once).
    insertRecords(old, [1, 2, 3, 4, 5], [10, 10, 10, null, 10]);
    old.close();

    const database = SqliteDatabase.open(dir);
    const outbox = new SqliteOutboxStore(database);
    expect(await outbox.begin()).toBe(3);
    expect((await outbox.pending(await outbox.begin(), 10)).map((r) => r.seq)).toEqual([4, 5]);
    await database.close();
  });

  it('keeps the confirmed position across restarts and counts the backlog after it', async () => {
    const dir = dataDir();
    let database = SqliteDatabase.open(dir);
    const now = Date.now();
    insertRecords(database.db, [now - 3000, now - 2000, now - 1000]);
    let outbox = new SqliteOutboxStore(database);
    expect(await outbox.backlog()).toEqual({ count: 3, oldestCreatedAt: new Date(now - 3000) });
    await outbox.markPublishedThrough(2);
    await outbox.markPublishedThrough(1); // never moves back
    expect(await outbox.backlog()).toEqual({ count: 1, oldestCreatedAt: new Date(now - 1000) });
    await database.close();

    database = SqliteDatabase.open(dir);
    outbox = new SqliteOutboxStore(database);
    expect(await outbox.begin()).toBe(2);
    expect((await outbox.pending(await outbox.begin(), 10)).map((r) => r.seq)).toEqual([3]);
    await outbox.markPublishedThrough(3);
    expect(await outbox.backlog()).toEqual({ count: 0, oldestCreatedAt: null });
    await database.close();
  });

  it('prunes only records that are both confirmed and past retention', async () => {
    const database = SqliteDatabase.open(dataDir());
    const now = Date.now();
    // 1..3 are ten days old, 4..5 from today.
    insertRecords(database.db, [now - 10 * DAY, now - 10 * DAY, now - 10 * DAY, now, now]);
    const outbox = new SqliteOutboxStore(database);
    await outbox.markPublishedThrough(2);
    expect(await outbox.prunePublished(new Date(now - 7 * DAY))).toBe(2);
    await outbox.markPublishedThrough(5);
    expect(await outbox.prunePublished(new Date(now - 7 * DAY))).toBe(1);
    expect((database.db.prepare('SELECT seq FROM outbox ORDER BY seq').pluck().all() as number[])).toEqual([4, 5]);
    await database.close();
  });
});
