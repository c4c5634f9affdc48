import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { temporaryDirectories } from '../../../support/temp-dirs.js';
import { SqliteDatabase } from '../../../../src/store/sqlite/sqlite-database.js';
import { WalDurability } from '../../../../src/store/sqlite/wal-durability.js';

const dataDir = temporaryDirectories('commit-groups-');
const opened: SqliteDatabase[] = [];

afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
});

function open(dir = dataDir()): SqliteDatabase {
  const database = SqliteDatabase.open(dir);
  database.db.exec('CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)');
  opened.push(database);
  return database;
}

const keys = (database: SqliteDatabase) => database.db.prepare('SELECT k FROM t ORDER BY k').pluck().all();
const insert = (database: SqliteDatabase, k: string) => database.db.prepare('INSERT INTO t (k) VALUES (?)').run(k);

describe('writes that wait for the connection commit together', () => {
  it('rolls back a failed write alone: the writes queued beside it commit', async () => {
    const database = open();
    // Held busy, so that the next three queue and run as one group.
    const busy = database.exclusive(() => new Promise((resolve) => setTimeout(resolve, 50)));
    const results = await Promise.allSettled([
      database.transaction(async () => insert(database, 'a')),
      database.transaction(async () => {
        insert(database, 'b');
        throw new Error('refused');
      }),
      database.transaction(async () => {
        // Sees the write before it in its group, as after a commit.
        expect(keys(database)).toEqual(['a']);
        insert(database, 'c');
      }),
      database.write(() => insert(database, 'd')),
    ]);
    await busy;
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(keys(database)).toEqual(['a', 'c', 'd']);
  });

  it('takes back a write alone that throws, and a write that breaks a constraint, and goes on', async () => {
    const database = open();
    await expect(database.transaction(async () => {
      insert(database, 'x');
      throw new Error('refused');
    })).rejects.toThrow('refused');
    await database.transaction(async () => insert(database, 'y'));
    await expect(database.transaction(async () => insert(database, 'y'))).rejects.toThrow(/UNIQUE/);
    expect(keys(database)).toEqual(['y']);
    expect(database.db.inTransaction).toBe(false);
  });

  it('starts no wait for the disk for writes that do not ask for one: closing right after them is clean', async () => {
    // An fsync begun for them would be nobody's to wait for: on a file closed meanwhile it rejects (EBADF) unheard.
    const waits = vi.spyOn(WalDurability.prototype, 'durable');
    try {
      const database = SqliteDatabase.open(dataDir());
      database.db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
      await Promise.all([database.write(() => insert(database, 'a')), database.write(() => insert(database, 'b'))]);
      expect(waits).not.toHaveBeenCalled();
      await database.transaction(async () => insert(database, 'c'));
      expect(waits).toHaveBeenCalledTimes(1);
      await database.close();
    } finally {
      waits.mockRestore();
    }
  });

  it('copies the WAL into the database file on a thread of its own, not at COMMIT', async () => {
    const dir = dataDir();
    const database = open(dir);
    const file = path.join(dir, 'gateway.db');
    const before = statSync(file).size;
    await database.transaction(async () => {
      for (let i = 0; i < 500; i++) insert(database, `${i}`.padStart(1000, 'x'));
    });
    // The connection never checkpoints by itself: the file grows only once the thread has copied the WAL.
    expect(database.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const deadline = Date.now() + 5000;
    while (statSync(file).size <= before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(statSync(file).size).toBeGreaterThan(before + 400_000);
    await database.close();
    opened.length = 0;
    const reopened = new Database(file, { readonly: true });
    expect(reopened.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(500);
    reopened.close();
  });
});
