import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MemberVersionEntry } from '../../src/domain/intake/intake-store.js';
import type { VersionedMember } from '../../src/domain/member/change-plan.js';
import { normalizedMember } from './store-fixtures.js';
import { storeAdapters, type OpenedStore } from './store-adapters.js';

function member(memberId: string, version: number): VersionedMember {
  const normalized = normalizedMember('EU', memberId, { legalName: `${memberId} v${version}` });
  return { member: normalized, fingerprint: `fp-${memberId}-${version}`, json: JSON.stringify(normalized), version };
}

const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;

function entry(memberId: string, version: number, change: MemberVersionEntry['change'], day: number): MemberVersionEntry {
  return { memberId, version, change, receivedAt: at(day), messageId: `m${day}`, record: JSON.stringify({ change, member: { memberId, version } }) };
}

describe.each(storeAdapters)('member register contract: $name', (adapter) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await adapter.open();
    const intake = opened.store.intakeStore();
    const commit = (day: number, writes: { upserts?: VersionedMember[]; removals?: { memberId: string; version: number; removedAt: string }[]; history: MemberVersionEntry[] }) =>
      intake.intake('EU', async (tx) => {
        await tx.write({ upserts: writes.upserts ?? [], removals: writes.removals ?? [], records: [], history: writes.history });
        await tx.accept({
          message: { administration: 'EU', messageId: `m${day}`, digest: 'd', payloadDigest: 'p', kind: 'delta', sequence: null, issuedAt: at(day), receivedAt: at(day), kid: 'k', receipt: { messageId: `m${day}` } as never },
          cursor: { lastSequence: null, lastSnapshotIssuedAt: null },
        });
      });
    // a: added on the 1st, updated on the 3rd, removed on the 5th.
    await commit(1, { upserts: [member('a', 1)], history: [entry('a', 1, 'added', 1)] });
    await commit(3, { upserts: [member('a', 2)], history: [entry('a', 2, 'updated', 3)] });
    await commit(5, { removals: [{ memberId: 'a', version: 3, removedAt: at(5) }], history: [entry('a', 3, 'removed', 5)] });
  });
  afterEach(async () => {
    await opened.dispose();
  });

  it('gives the latest version, a removal included', async () => {
    expect(await opened.store.register.latest('EU', 'a')).toMatchObject({ version: 3, change: 'removed', acceptedAt: at(5) });
    expect(await opened.store.register.latest('EU', 'nobody')).toBeUndefined();
    expect(await opened.store.register.latest('JP', 'a')).toBeUndefined();
  });

  it('gives the version in force at an instant, by acceptance time', async () => {
    const register = opened.store.register;
    expect(await register.asOf('EU', 'a', '2025-12-31T23:59:59.999Z')).toBeUndefined();
    expect(await register.asOf('EU', 'a', at(1))).toMatchObject({ version: 1 });
    expect(await register.asOf('EU', 'a', at(4))).toMatchObject({ version: 2, change: 'updated' });
    expect(await register.asOf('EU', 'a', at(9))).toMatchObject({ version: 3, change: 'removed' });
  });

  it('pages the history oldest first', async () => {
    const register = opened.store.register;
    const first = await register.history('EU', 'a', 0, 2);
    expect(first.map((v) => v.version)).toEqual([1, 2]);
    expect((await register.history('EU', 'a', 2, 2)).map((v) => v.version)).toEqual([3]);
    expect(await register.history('EU', 'a', 3, 2)).toEqual([]);
    expect(JSON.parse(first[0]!.record!)).toEqual({ change: 'added', member: { memberId: 'a', version: 1 } });
  });

  it('shows a member stored before versions existed at version 1, with no record', async () => {
    await opened.sql("INSERT INTO members (administration, member_id, fingerprint, member) VALUES ('EU', 'old', 'f', '{\"memberId\":\"old\"}')");
    expect(await opened.store.register.latest('EU', 'old')).toEqual({ version: 1, change: 'added', acceptedAt: null, record: null, member: '{"memberId":"old"}' });
    expect(await opened.store.register.history('EU', 'old', 0, 10)).toHaveLength(1);
  });
});
