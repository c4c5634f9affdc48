import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MemberVersionEntry } from '../../src/domain/intake/intake-store.js';
import type { VersionedMember } from '../../src/domain/member/change-plan.js';
import { nameKey } from '../../src/domain/member/member-search-keys.js';
import type { NormalizedMember } from '../../src/domain/member/normalized-member.js';
import { createLogger } from '../../src/logging/logger.js';
import type { MemberListQuery } from '../../src/register/member-register-store.js';
import { migrate, postgresMigrations } from '../../src/store/postgres/postgres-migrations.js';
import { PostgresGatewayStore } from '../../src/store/postgres/postgres-gateway-store.js';
import { SqliteGatewayStore } from '../../src/store/sqlite/sqlite-gateway-store.js';
import { migrations as sqliteMigrations } from '../../src/store/sqlite/sqlite-migrations.js';
import { createTestDatabase } from '../support/postgres-database.js';
import { storeAdapters, type OpenedStore } from './store-adapters.js';
import { normalizedMember } from './store-fixtures.js';

const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;

function versioned(member: NormalizedMember, version: number): VersionedMember {
  return { member, fingerprint: `fp-${member.memberId}-${version}`, json: JSON.stringify(member), version };
}

function entry(member: NormalizedMember, version: number, change: MemberVersionEntry['change'], day: number): MemberVersionEntry {
  return { memberId: member.memberId, version, change, receivedAt: at(day), messageId: `m${day}`, record: JSON.stringify({ change, member: { ...member, version } }) };
}

const societe = normalizedMember('EU', 'DE1', {
  legalName: 'Société Générale S.A.',
  tradeNames: ['SG Paris', 'Société Parisienne'],
  roles: ['manufacturer', 'exporter'],
  mids: [{ value: 'FRSOCGEN1PAR', source: 'partner' }],
});
const acme = normalizedMember('EU', 'DE2', { legalName: 'Acme GmbH', roles: ['importer'], status: 'suspended', recognized: false, address: { lines: ['Hauptstr. 1'], city: 'Berlin', country: 'DE' } });
const gone = normalizedMember('EU', 'DE3', { legalName: 'Acme Gone', mids: [{ value: 'DEACMGON1BER', source: 'derived' }] });
const japan = normalizedMember('JP', '1234567890123', {
  idScheme: 'JCN',
  legalName: 'ACME Japan KK',
  roles: ['manufacturer'],
  address: { lines: ['1-1 Marunouchi'], city: 'Tokyo', country: 'JP' },
  mids: [{ value: 'JPACMJAP1TOK', source: 'derived' }],
});

/** The register's listing (ICD 5) on both stores: filters, lookups, keyset pages. */
describe.each(storeAdapters)('member listing contract: $name', (adapter) => {
  let opened: OpenedStore;
  const commit = (administration: string, day: number, writes: { upserts?: VersionedMember[]; removals?: { memberId: string; version: number; removedAt: string }[]; history: MemberVersionEntry[] }) =>
    opened.store.intakeStore().intake(administration, async (tx) => {
      await tx.write({ upserts: writes.upserts ?? [], removals: writes.removals ?? [], records: [], history: writes.history });
      await tx.accept({
        message: { administration, messageId: `m${day}`, digest: 'd', payloadDigest: 'p', kind: 'delta', sequence: null, issuedAt: at(day), receivedAt: at(day), kid: 'k', receipt: { messageId: `m${day}` } as never },
        cursor: { lastSequence: null, lastSnapshotIssuedAt: null },
      });
    });
  const list = async (query: Partial<MemberListQuery>) => (await opened.store.register.list({ includeRemoved: false, limit: 100, ...query })).map((v) => `${v.administration}:${v.memberId}@${v.version}`);

  beforeEach(async () => {
    opened = await adapter.open();
    await commit('EU', 1, { upserts: [societe, acme, gone].map((m) => versioned(m, 1)), history: [societe, acme, gone].map((m) => entry(m, 1, 'added', 1)) });
    await commit('JP', 3, { upserts: [versioned(japan, 1)], history: [entry(japan, 1, 'added', 3)] });
    await commit('EU', 5, { removals: [{ memberId: 'DE3', version: 2, removedAt: at(5) }], history: [entry(gone, 2, 'removed', 5)] });
  });
  afterEach(async () => {
    await opened.dispose();
  });

  it('lists latest versions in key order, removed members only when asked', async () => {
    expect(await list({})).toEqual(['EU:DE1@1', 'EU:DE2@1', 'JP:1234567890123@1']);
    expect(await list({ includeRemoved: true })).toEqual(['EU:DE1@1', 'EU:DE2@1', 'EU:DE3@2', 'JP:1234567890123@1']);
    expect(await list({ administration: 'JP' })).toEqual(['JP:1234567890123@1']);
    expect(await list({ administration: 'EU', after: { administration: 'EU', memberId: 'DE1' } })).toEqual(['EU:DE2@1']);
    expect(await list({ administration: 'EU', after: { administration: 'JP', memberId: '' } })).toEqual([]);
    expect(await list({ administration: 'JP', after: { administration: 'EU', memberId: 'DE9' } })).toEqual(['JP:1234567890123@1']);
    const [removed] = await opened.store.register.list({ includeRemoved: true, limit: 1, after: { administration: 'EU', memberId: 'DE2' } });
    expect(removed).toMatchObject({ administration: 'EU', memberId: 'DE3', version: 2, change: 'removed', acceptedAt: at(5) });
    expect(JSON.parse(removed!.record!)).toMatchObject({ change: 'removed', member: { memberId: 'DE3', version: 2 } });
  });

  it('filters by recognition, status, role, country and change time', async () => {
    expect(await list({ recognized: false })).toEqual(['EU:DE2@1']);
    expect(await list({ recognized: true })).toEqual(['EU:DE1@1', 'JP:1234567890123@1']);
    expect(await list({ status: 'suspended' })).toEqual(['EU:DE2@1']);
    expect(await list({ role: 'manufacturer' })).toEqual(['EU:DE1@1', 'JP:1234567890123@1']);
    expect(await list({ role: 'exporter', administration: 'JP' })).toEqual([]);
    expect(await list({ country: 'DE' })).toEqual(['EU:DE2@1']);
    expect(await list({ changedSince: at(2) })).toEqual(['JP:1234567890123@1']);
    expect(await list({ changedSince: at(2), includeRemoved: true })).toEqual(['EU:DE3@2', 'JP:1234567890123@1']);
  });

  it('looks members up by MID, identifier and folded name prefix, each member once', async () => {
    expect(await list({ mid: 'FRSOCGEN1PAR' })).toEqual(['EU:DE1@1']);
    expect(await list({ mid: 'JPACMJAP1TOK' })).toEqual(['JP:1234567890123@1']);
    expect(await list({ mid: 'DEACMGON1BER' })).toEqual([]);
    expect(await list({ mid: 'DEACMGON1BER', includeRemoved: true })).toEqual(['EU:DE3@2']);
    expect(await list({ identifier: { scheme: 'JCN', memberId: '1234567890123' } })).toEqual(['JP:1234567890123@1']);
    expect(await list({ identifier: { scheme: 'EORI', memberId: '1234567890123' } })).toEqual([]);
    expect(await list({ namePrefix: nameKey('acme') })).toEqual(['EU:DE2@1', 'JP:1234567890123@1']);
    // Accents, case and punctuation fold away; a trade name counts; two matching names list the member once.
    expect(await list({ namePrefix: nameKey('SOCIETE GENERALE SA') })).toEqual(['EU:DE1@1']);
    expect(await list({ namePrefix: nameKey('soc') })).toEqual(['EU:DE1@1']);
    expect(await list({ namePrefix: nameKey('sg par') })).toEqual(['EU:DE1@1']);
    expect(await list({ namePrefix: nameKey('acme g'), includeRemoved: true })).toEqual(['EU:DE2@1', 'EU:DE3@2']);
    expect(await list({ namePrefix: nameKey('acme'), country: 'JP' })).toEqual(['JP:1234567890123@1']);
  });

  it('pages by key: each member once, whatever changes between pages', async () => {
    const first = await opened.store.register.list({ includeRemoved: true, limit: 2 });
    expect(first.map((v) => v.memberId)).toEqual(['DE1', 'DE2']);
    // A change between pages: DE1 (already listed) updated, a new EU member added after the cursor.
    const updated = { ...societe, legalName: 'Société Générale' };
    const added = normalizedMember('EU', 'DE4');
    await commit('EU', 7, { upserts: [versioned(updated, 2), versioned(added, 1)], history: [entry(updated, 2, 'updated', 7), entry(added, 1, 'added', 7)] });
    const rest = await opened.store.register.list({ includeRemoved: true, limit: 10, after: { administration: 'EU', memberId: 'DE2' } });
    expect(rest.map((v) => `${v.administration}:${v.memberId}`)).toEqual(['EU:DE3', 'EU:DE4', 'JP:1234567890123']);
  });

  it('replaces a member’s lookups when it changes', async () => {
    const renamed = { ...acme, legalName: 'Zenith AG', recognized: true, status: 'certified' as const, mids: [{ value: 'DEZENAG1BER', source: 'partner' as const }] };
    await commit('EU', 7, { upserts: [versioned(renamed, 2)], history: [entry(renamed, 2, 'updated', 7)] });
    expect(await list({ namePrefix: nameKey('acme'), administration: 'EU' })).toEqual([]);
    expect(await list({ namePrefix: nameKey('zenith') })).toEqual(['EU:DE2@2']);
    expect(await list({ mid: 'DEZENAG1BER' })).toEqual(['EU:DE2@2']);
    expect(await list({ recognized: false })).toEqual([]);
  });

  it('lists a member stored before versions existed, from its stored state', async () => {
    await opened.sql(
      "INSERT INTO members (administration, member_id, fingerprint, member, id_scheme, status, recognized, country, roles) VALUES ('EU', 'DE0', 'f', '{\"memberId\":\"DE0\"}', 'EORI', 'certified', 1, 'FR', '|exporter|')",
    );
    const [legacy] = await opened.store.register.list({ includeRemoved: false, limit: 1 });
    expect(legacy).toEqual({ administration: 'EU', memberId: 'DE0', version: 1, change: 'added', acceptedAt: null, record: null, member: '{"memberId":"DE0"}' });
  });
});

/** The listing's order is code point order on PostgreSQL too, whatever the database's locale. */
describe('member listing on a database with a linguistic collation', () => {
  it('orders and pages by code point, as SQLite does', async () => {
    const database = await createTestDatabase('mra_listing_icu', { icuLocale: 'en-US' });
    const store = await PostgresGatewayStore.open({ url: database.url, poolSize: 2, relayLeaseMs: 2000 }, createLogger('error'));
    try {
      // en-US would sort these a, B, _1 (case and punctuation set aside); code point order is B, _1, a.
      const members = ['DEa', 'DE_1', 'DEB'].map((id) => normalizedMember('EU', id));
      await store.intakeStore().intake('EU', async (tx) => {
        await tx.write({ upserts: members.map((m) => versioned(m, 1)), removals: [], records: [], history: members.map((m) => entry(m, 1, 'added', 1)) });
      });
      const all = await store.register.list({ includeRemoved: false, limit: 10 });
      expect(all.map((v) => v.memberId)).toEqual(['DEB', 'DE_1', 'DEa']);
      const paged: string[] = [];
      let after: MemberListQuery['after'];
      for (;;) {
        const page = await store.register.list({ includeRemoved: false, limit: 1, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        paged.push(page[0]!.memberId);
        after = { administration: page[0]!.administration, memberId: page[0]!.memberId };
      }
      expect(paged).toEqual(['DEB', 'DE_1', 'DEa']);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});

/** A large intake refreshes the planner's statistics of the member tables (PostgreSQL). */
describe('member statistics after a large intake', () => {
  it('analyzes the member tables once an intake has written 10,000 members, not after a small one', async () => {
    const database = await createTestDatabase('mra_listing_stats');
    const store = await PostgresGatewayStore.open({ url: database.url, poolSize: 2, relayLeaseMs: 2000 }, createLogger('error'));
    const analyzed = async () =>
      (await store.database.query<{ relname: string }>("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname IN ('members', 'member_versions', 'member_lookups') ORDER BY relname")).rows.map((r) => r.relname);
    const intake = (from: number, count: number) =>
      store.intakeStore().intake('EU', async (tx) => {
        for (let start = from; start < from + count; start += 2000) {
          const members = Array.from({ length: Math.min(2000, from + count - start) }, (_, i) => normalizedMember('EU', `DE${String(start + i).padStart(9, '0')}`));
          await tx.write({ upserts: members.map((m) => versioned(m, 1)), removals: [], records: [], history: members.map((m) => entry(m, 1, 'added', 1)) });
        }
      });
    try {
      await intake(0, 100);
      await store.memberStatistics.settled();
      expect(await analyzed()).toEqual([]);
      await intake(100, 10_000);
      await store.memberStatistics.settled();
      expect(await analyzed()).toEqual(['member_lookups', 'member_versions', 'members']);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});

/** Members stored before the listing existed are indexed by the migration that adds it. */
describe('member listing migration', () => {
  const quiet = createLogger('error');
  const stored = JSON.stringify({ ...societe, mids: undefined, tradeNames: undefined });
  const expected = ['EU:DE1'];

  it('SQLite: step 7 indexes the members already stored', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'listing-migration-'));
    try {
      const db = new Database(path.join(dir, 'gateway.db'));
      db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, oldest_compatible INTEGER)');
      sqliteMigrations.slice(0, 6).forEach((m, i) => {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, new Date().toISOString());
      });
      db.prepare("INSERT INTO members (administration, member_id, fingerprint, member) VALUES ('EU', 'DE1', 'f', ?)").run(stored);
      db.close();
      const store = SqliteGatewayStore.open(dir);
      try {
        const found = async (query: Partial<MemberListQuery>) => (await store.register.list({ includeRemoved: false, limit: 10, ...query })).map((v) => `${v.administration}:${v.memberId}`);
        expect(await found({ namePrefix: nameKey('societe gen'), role: 'manufacturer', country: 'FR', recognized: true })).toEqual(expected);
        expect(await found({ identifier: { scheme: 'EORI', memberId: 'DE1' } })).toEqual(expected);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: migration 4 indexes the members already stored', async () => {
    const database = await createTestDatabase('mra_listing_migration');
    const client = new pg.Client(database.url);
    await client.connect();
    try {
      await migrate(client, quiet, postgresMigrations.slice(0, 3));
      await client.query("INSERT INTO members (administration, member_id, fingerprint, member) VALUES ('EU', 'DE1', 'f', $1)", [stored]);
      const store = await PostgresGatewayStore.open({ url: database.url, poolSize: 2, relayLeaseMs: 2000 }, quiet);
      try {
        const found = async (query: Partial<MemberListQuery>) => (await store.register.list({ includeRemoved: false, limit: 10, ...query })).map((v) => `${v.administration}:${v.memberId}`);
        expect(await found({ namePrefix: nameKey('societe gen'), role: 'manufacturer', country: 'FR', recognized: true })).toEqual(expected);
        expect(await found({ identifier: { scheme: 'EORI', memberId: 'DE1' } })).toEqual(expected);
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
      await database.drop();
    }
  });
});
