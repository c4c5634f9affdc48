import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDirectories } from '../../../support/temp-dirs.js';
import { SqliteDatabase } from '../../../../src/store/sqlite/sqlite-database.js';

const dataDir = temporaryDirectories('sqlite-database-');

describe('SQLite store file', () => {
  it('creates a new store with 16 KiB pages in WAL mode', async () => {
    const database = SqliteDatabase.open(dataDir());
    expect(database.db.pragma('page_size', { simple: true })).toBe(16384);
    expect(database.db.pragma('journal_mode', { simple: true })).toBe('wal');
    await database.close();
  });

  it('opens a store made with 4 KiB pages as it is, and migrates it', async () => {
    const dir = dataDir();
    const old = new Database(path.join(dir, 'gateway.db'));
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE keep_me (x)');
    old.prepare('INSERT INTO keep_me VALUES (42)').run();
    old.close();
    const database = SqliteDatabase.open(dir);
    expect(database.db.pragma('page_size', { simple: true })).toBe(4096);
    expect(database.db.prepare('SELECT x FROM keep_me').pluck().get()).toBe(42);
    expect(database.db.prepare('SELECT published_through FROM outbox_cursor').pluck().get()).toBe(0);
    await database.close();
  });
});
