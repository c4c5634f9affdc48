import Database from 'better-sqlite3';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ArrangementAdmin } from '../../../src/admin/arrangement-admin.js';
import { AuditLog } from '../../../src/admin/audit-log.js';
import { PartnerKeyAdmin } from '../../../src/admin/partner-key-admin.js';
import { ArrangementRegistry } from '../../../src/domain/arrangement.js';
import { systemClock } from '../../../src/domain/clock.js';
import { createLogger } from '../../../src/logging/logger.js';
import { SqliteAdminStore } from '../../../src/store/sqlite/sqlite-admin-store.js';
import { SqliteDatabase } from '../../../src/store/sqlite/sqlite-database.js';
import { temporaryDirectories } from '../../support/temp-dirs.js';

const temporaryDirectory = temporaryDirectories('admin-reads-');
const EU = { code: 'EU', administration: 'European Union', program: 'AEO', signedOn: '2012-05', status: 'active', countries: ['DE'], certificateTypes: ['AEOS'], recognizedCertificateTypes: ['AEOS'] } as const;
const actor = { kid: 'alice-2026', sub: 'alice' };

describe('admin reads', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** The admin services on a fresh store, and a second connection to the same file that holds its write lock. */
  function setUp() {
    const dir = temporaryDirectory();
    const database = SqliteDatabase.open(dir);
    cleanup.push(() => database.close());
    // Give up at once instead of waiting 5 s for a lock that is not released.
    database.db.pragma('busy_timeout = 50');
    const arrangements = new ArrangementRegistry([{ ...EU, countries: [...EU.countries], certificateTypes: [...EU.certificateTypes], recognizedCertificateTypes: [...EU.recognizedCertificateTypes] }]);
    const store = new SqliteAdminStore(database);
    const audit = new AuditLog(store, systemClock, createLogger('error', new Writable({ write: (_chunk, _encoding, done) => done() })));
    const other = new Database(path.join(dir, 'gateway.db'));
    cleanup.push(() => {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    });
    return {
      arrangements: new ArrangementAdmin({ arrangements, store, audit, clock: systemClock }),
      partnerKeys: new PartnerKeyAdmin({ arrangements, store, audit, clock: systemClock, allowedAlgorithms: ['ES256'] }),
      audit,
      store,
      holdWriteLock: () => other.exec('BEGIN IMMEDIATE'),
      releaseWriteLock: () => other.exec('ROLLBACK'),
    };
  }

  it('read arrangements, partner keys, receipt keys and the audit log without taking the write lock', async () => {
    const admin = setUp();
    await admin.arrangements.changeStatus(actor, 'EU', { status: 'suspended', reason: 'review' });
    admin.holdWriteLock();

    expect(await admin.arrangements.get('EU')).toMatchObject({ code: 'EU', status: 'suspended', statusChange: { reason: 'review', changedBy: actor } });
    expect(await admin.arrangements.list()).toHaveLength(1);
    expect(await admin.partnerKeys.list('EU')).toEqual([]);
    expect(await admin.store.receiptKeys()).toEqual([]);
    expect((await admin.audit.page(0, 10)).entries).toHaveLength(1);
    // A change does need the lock: the set-up really holds it.
    await expect(admin.arrangements.changeStatus(actor, 'EU', { status: 'active', reason: 'done' })).rejects.toThrow(/locked|busy/i);

    admin.releaseWriteLock();
    expect(await admin.arrangements.changeStatus(actor, 'EU', { status: 'active', reason: 'done' })).toMatchObject({ status: 'active' });
  });
});
