import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AcceptedMessage, MemberVersionEntry } from '../../src/domain/intake/intake-store.js';
import type { VersionedMember } from '../../src/domain/member/change-plan.js';
import { normalizedMember, outboxRecord } from './store-fixtures.js';
import { storeAdapters, type OpenedStore } from './store-adapters.js';

const receipt = (messageId: string): AcceptedMessage['receipt'] => ({
  messageId,
  administration: 'EU',
  receivedAt: '2026-01-01T00:00:00.000Z',
  outcome: 'accepted',
  counts: { members: 0, added: 0, updated: 0, statusChanged: 0, removed: 0, unchanged: 0, notRecognized: 0 },
  warnings: [],
  receipt: 'signed',
});

function message(messageId: string, administration = 'EU', overrides: Partial<AcceptedMessage> = {}): AcceptedMessage {
  return {
    administration,
    messageId,
    digest: `body-${messageId}`,
    payloadDigest: `payload-${messageId}`,
    kind: 'delta',
    sequence: null,
    issuedAt: '2026-01-01T00:00:00Z',
    receivedAt: '2026-01-01T00:00:01.000Z',
    kid: 'k',
    receipt: { ...receipt(messageId), administration },
    ...overrides,
  };
}

function member(memberId: string, fingerprint = `fp-${memberId}`, version = 1): VersionedMember {
  const normalized = normalizedMember('EU', memberId);
  return { member: normalized, fingerprint, json: JSON.stringify(normalized), version };
}

function version(memberId: string, n: number, change: MemberVersionEntry['change'], messageId: string): MemberVersionEntry {
  return { memberId, version: n, change, receivedAt: `2026-01-0${n}T00:00:00.000Z`, messageId, record: JSON.stringify({ memberId, version: n, change }) };
}

const noCursor = { lastSequence: null, lastSnapshotIssuedAt: null };

describe.each(storeAdapters)('intake store contract: $name', (adapter) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await adapter.open();
  });
  afterEach(async () => {
    await opened.dispose();
  });

  it('keeps an accepted message, its cursor and its payload digest', async () => {
    const intake = opened.store.intakeStore();
    const accepted = message('m1', 'EU', { sequence: 3 });
    await intake.intake('EU', (tx) => tx.accept({ message: accepted, cursor: { lastSequence: 3, lastSnapshotIssuedAt: '2026-01-01T00:00:00Z' } }));
    const seen = await intake.intake('EU', async (tx) => ({ found: await tx.findMessage('EU', 'm1'), cursor: await tx.cursor('EU'), other: await tx.cursor('JP') }));
    expect(seen.found).toEqual(accepted);
    expect(seen.cursor).toEqual({ lastSequence: 3, lastSnapshotIssuedAt: '2026-01-01T00:00:00Z' });
    expect(seen.other).toEqual(noCursor);
  });

  it('writes members in batches and reads them back by id and as fingerprints', async () => {
    const intake = opened.store.intakeStore();
    await intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [member('a'), member('b')], removals: [], records: [], history: [] });
      await tx.write({ upserts: [member('c')], removals: [], records: [], history: [] });
      await tx.accept({ message: message('m1'), cursor: noCursor });
    });
    await intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [member('a', 'fp-a2', 2)], removals: [{ memberId: 'b', version: 2, removedAt: '2026-01-02T00:00:00.000Z' }], records: [], history: [] });
      await tx.accept({ message: message('m2'), cursor: noCursor });
    });
    const seen = await intake.intake('EU', async (tx) => ({
      all: await tx.fingerprints('EU'),
      some: await tx.fingerprints('EU', ['a', 'b', 'zzz']),
      loaded: await tx.loadMembers('EU', ['a', 'b']),
      jp: await tx.fingerprints('JP'),
    }));
    expect(Object.fromEntries(seen.all)).toEqual({ a: 'fp-a2', c: 'fp-c' });
    expect(Object.fromEntries(seen.some)).toEqual({ a: 'fp-a2' });
    expect([...seen.loaded.keys()]).toEqual(['a']);
    expect(seen.loaded.get('a')).toMatchObject({ fingerprint: 'fp-a2', member: { memberId: 'a' } });
    expect(seen.jp.size).toBe(0);
  });

  it('keeps every version: a removed member stays as removed, out of the current state, and comes back on from its version', async () => {
    const intake = opened.store.intakeStore();
    await intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [member('a'), member('b')], removals: [], records: [], history: [version('a', 1, 'added', 'm1'), version('b', 1, 'added', 'm1')] });
      await tx.accept({ message: message('m1'), cursor: noCursor });
    });
    await intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [], removals: [{ memberId: 'b', version: 2, removedAt: '2026-01-02T00:00:00.000Z' }], records: [], history: [version('b', 2, 'removed', 'm2')] });
      await tx.accept({ message: message('m2'), cursor: noCursor });
    });
    const seen = await intake.intake('EU', async (tx) => ({
      all: await tx.fingerprints('EU'),
      named: await tx.fingerprints('EU', ['a', 'b']),
      loaded: await tx.loadMembers('EU', ['a', 'b']),
      removed: await tx.removedVersions('EU', ['a', 'b', 'never']),
      allRemoved: await tx.removedVersions('EU'),
      otherRemoved: await tx.removedVersions('JP'),
    }));
    expect(Object.fromEntries(seen.allRemoved)).toEqual({ b: 2 });
    expect(seen.otherRemoved.size).toBe(0);
    expect([...seen.all.keys()]).toEqual(['a']);
    expect([...seen.named.keys()]).toEqual(['a']);
    expect([...seen.loaded.values()].map((m) => [m.member.memberId, m.version])).toEqual([['a', 1]]);
    expect(Object.fromEntries(seen.removed)).toEqual({ b: 2 });

    await intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [member('b', 'fp-b3', 3)], removals: [], records: [], history: [version('b', 3, 'added', 'm3')] });
      await tx.accept({ message: message('m3'), cursor: noCursor });
    });
    const back = await intake.intake('EU', async (tx) => ({ loaded: await tx.loadMembers('EU', ['b']), removed: await tx.removedVersions('EU', ['b']) }));
    expect(back.loaded.get('b')).toMatchObject({ version: 3, fingerprint: 'fp-b3' });
    expect(back.removed.size).toBe(0);
    const history = await opened.sql<{ member_id: string; version: number; change: string; message_id: string }>(
      'SELECT member_id, version, change, message_id FROM member_versions ORDER BY member_id, version',
    );
    expect(history.map((h) => [h.member_id, Number(h.version), h.change, h.message_id])).toEqual([
      ['a', 1, 'added', 'm1'],
      ['b', 1, 'added', 'm1'],
      ['b', 2, 'removed', 'm2'],
      ['b', 3, 'added', 'm3'],
    ]);
  });

  it("prunes history older than the retention, but never a member's latest version", async () => {
    const intake = opened.store.intakeStore();
    // a: versions 1 (Jan 1) and 2 (Jan 2); b: version 1 only (Jan 1), removed as version 2 on Jan 3.
    await intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [member('a'), member('b')], removals: [], records: [], history: [version('a', 1, 'added', 'm1'), version('b', 1, 'added', 'm1')] });
      await tx.accept({ message: message('m1'), cursor: noCursor });
    });
    await intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [member('a', 'fp-a2', 2)], removals: [], records: [], history: [version('a', 2, 'updated', 'm2')] });
      await tx.accept({ message: message('m2'), cursor: noCursor });
    });
    await intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [], removals: [{ memberId: 'b', version: 2, removedAt: '2026-01-02T00:00:00.000Z' }], records: [], history: [version('b', 2, 'removed', 'm3')] });
      await tx.accept({ message: message('m3'), cursor: noCursor });
    });
    const left = async () => (await opened.sql<{ member_id: string; version: number }>('SELECT member_id, version FROM member_versions ORDER BY member_id, version')).map((r) => `${r.member_id}${Number(r.version)}`);
    expect(await opened.store.memberHistory.prune(new Date('2026-01-01T00:00:00.000Z'))).toBe(0);
    // Everything before Jan 5 is old enough; the latest version of each member stays.
    expect(await opened.store.memberHistory.prune(new Date('2026-01-05T00:00:00.000Z'))).toBe(2);
    expect(await left()).toEqual(['a2', 'b2']);
  });

  it('stores nothing of a transaction that throws, whatever it wrote before', async () => {
    const intake = opened.store.intakeStore();
    await expect(
      intake.intake('EU', async (tx) => {
        await tx.write({ upserts: [member('a')], removals: [], records: [outboxRecord('EU', 'a', 1)], history: [] });
        await tx.accept({ message: message('m1'), cursor: { lastSequence: 1, lastSnapshotIssuedAt: null } });
        throw new Error('the last member was bad');
      }),
    ).rejects.toThrow('the last member was bad');
    const seen = await intake.intake('EU', async (tx) => ({ found: await tx.findMessage('EU', 'm1'), all: await tx.fingerprints('EU'), cursor: await tx.cursor('EU') }));
    expect(seen).toEqual({ found: undefined, all: new Map(), cursor: noCursor });
    await opened.store.outbox.begin();
    expect(await opened.store.outbox.pending(0, 10)).toEqual([]);
  });

  it('reads partner keys and the stored arrangement status inside the transaction', async () => {
    await opened.store.partnerKeys.add([
      { administration: 'EU', kid: 'k1', jwk: { kty: 'EC' }, notBefore: null, notAfter: new Date(5000), revokedAt: new Date(4000), revocationReason: 'exposed', addedAt: new Date(1000) },
    ]);
    await opened.store.admin.transaction((tx) => tx.setArrangementStatus({ administration: 'EU', status: 'suspended', reason: 'review', changedAt: new Date(2000), changedBy: '{}' }));
    const seen = await opened.store.intakeStore().intake('EU', async (tx) => ({
      key: await tx.partnerKey('EU', 'k1'),
      none: await tx.partnerKey('JP', 'k1'),
      status: await tx.arrangementStatus('EU'),
      jpStatus: await tx.arrangementStatus('JP'),
    }));
    expect(seen).toEqual({
      key: { administration: 'EU', kid: 'k1', jwk: { kty: 'EC' }, notBefore: null, notAfter: new Date(5000), revokedAt: new Date(4000), revocationReason: 'exposed', addedAt: new Date(1000) },
      none: undefined,
      status: 'suspended',
      jpStatus: undefined,
    });
  });

  it('keeps a snapshot mark and finds it with its receipt by members length', async () => {
    const intake = opened.store.intakeStore();
    const mark = { messageId: 'm1', membersDigest: 'md', membersLength: 42, rulesDigest: 'rd', receivedAt: '2026-01-01T00:00:01.000Z' };
    await intake.intake('EU', (tx) => tx.accept({ message: message('m1', 'EU', { kind: 'snapshot' }), cursor: noCursor, snapshotMark: mark }));
    expect(await intake.markedSnapshot('EU', 41)).toBeUndefined();
    expect(await intake.markedSnapshot('EU', 42)).toEqual({ mark, receipt: receipt('m1') });
    expect(await intake.intake('EU', (tx) => tx.snapshotMark('EU'))).toEqual(mark);
    await intake.intake('EU', (tx) => tx.accept({ message: message('m2'), cursor: noCursor, snapshotMark: null }));
    expect(await intake.markedSnapshot('EU', 42)).toBeUndefined();
  });

  it("runs one administration's transactions one after the other: the second sees the first's commit", async () => {
    const intake = opened.store.intakeStore();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
    const first = intake.intake('EU', async (tx) => {
      order.push('first begins');
      await firstHolds;
      await tx.accept({ message: message('m1'), cursor: noCursor });
      order.push('first ends');
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = intake.intake('EU', async (tx) => {
      order.push('second begins');
      return tx.findMessage('EU', 'm1');
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    releaseFirst();
    await first;
    expect(await second).toMatchObject({ messageId: 'm1' });
    expect(order).toEqual(['first begins', 'first ends', 'second begins']);
  });

  it('publishes every record even when a transaction that wrote earlier positions commits last', async () => {
    // The trap of a sequence-ordered outbox: A draws positions, B draws later ones and commits first,
    // the relay moves past B's, then A commits. Where the store lets B commit first (PostgreSQL, one
    // lock per administration), A's records must still be found; where it cannot (SQLite, one writer),
    // B waits for A. Either way no record is skipped and each member's records stay in order.
    const intake = opened.store.intakeStore();
    const outbox = opened.store.outbox;
    const handed: { memberKey: string; eventId: string; seq: number }[] = [];
    const take = async () => {
      for (const r of await outbox.pending(handed.at(-1)?.seq ?? 0, 100)) handed.push({ memberKey: r.memberKey, eventId: r.eventId, seq: r.seq });
    };
    await outbox.begin();
    let releaseA!: () => void;
    const aHolds = new Promise<void>((resolve) => (releaseA = resolve));
    const a = intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [], removals: [], records: [outboxRecord('EU', 'x', 1), outboxRecord('EU', 'y', 1)], history: [] });
      await aHolds;
      await tx.accept({ message: message('a'), cursor: noCursor });
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const b = intake.intake('JP', async (tx) => {
      await tx.write({ upserts: [], removals: [], records: [outboxRecord('JP', 'z', 1)], history: [] });
      await tx.accept({ message: message('b', 'JP'), cursor: noCursor });
    });
    if (adapter.name === 'postgres') {
      await b;
      await take();
      expect(handed.map((h) => h.eventId)).toEqual(['JP-z-1']);
      await outbox.markPublishedThrough(handed.at(-1)!.seq).catch(() => undefined);
    }
    releaseA();
    await Promise.all([a, b]);
    const c = intake.intake('EU', async (tx) => {
      await tx.write({ upserts: [], removals: [], records: [outboxRecord('EU', 'x', 2)], history: [] });
      await tx.accept({ message: message('c'), cursor: noCursor });
    });
    await c;
    await take();
    await take();
    expect(handed.map((h) => h.eventId).sort()).toEqual(['EU-x-1', 'EU-x-2', 'EU-y-1', 'JP-z-1']);
    const xs = handed.filter((h) => h.memberKey === 'EU:x').map((h) => h.eventId);
    expect(xs).toEqual(['EU-x-1', 'EU-x-2']);
    // Positions the relay sees are gap-free and increasing.
    expect(handed.map((h) => h.seq)).toEqual(handed.map((_, i) => i + 1));
  });
});
