import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteAdminTokenLedger } from '../../../src/store/sqlite/sqlite-admin-token-ledger.js';
import { SqliteDatabase } from '../../../src/store/sqlite/sqlite-database.js';

describe('SqliteAdminTokenLedger', () => {
  const opened: { dir: string; database: SqliteDatabase }[] = [];
  const open = (dir = mkdtempSync(path.join(tmpdir(), 'token-ledger-'))) => {
    const database = SqliteDatabase.open(dir);
    opened.push({ dir, database });
    return { dir, database, ledger: new SqliteAdminTokenLedger(database) };
  };
  afterEach(async () => {
    for (const { dir, database } of opened.splice(0)) {
      await database.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const t = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);

  it('accepts a (kid, jti) once, keeps it until it expires, then lets it go', async () => {
    const { database, ledger } = open();
    expect(await ledger.useOnce('alice', 'j1', t(90), t(0))).toBe(true);
    expect(await ledger.useOnce('alice', 'j1', t(90), t(1))).toBe(false);
    expect(await ledger.useOnce('bob', 'j1', t(90), t(1))).toBe(true);
    expect(await ledger.useOnce('alice', 'j1', t(90), t(89))).toBe(false);
    // Expired ids are pruned, so the table holds only tokens that could still be presented.
    expect(await ledger.useOnce('alice', 'j2', t(200), t(90))).toBe(true);
    const rows = database.db.prepare('SELECT kid, jti FROM admin_token_uses ORDER BY kid, jti').all();
    expect(rows).toEqual([{ kid: 'alice', jti: 'j2' }]);
  });

  it('remembers used ids across a reopen of the same DATA_DIR', async () => {
    const first = open();
    expect(await first.ledger.useOnce('alice', 'j1', t(90), t(0))).toBe(true);
    await first.database.close();
    const second = open(first.dir);
    expect(await second.ledger.useOnce('alice', 'j1', t(90), t(10))).toBe(false);
  });
});
