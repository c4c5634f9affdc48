import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutboxRecord } from '../../src/domain/intake/intake-store.js';
import { RelayFencedError } from '../../src/outbox/outbox-ports.js';
import { outboxRecord } from './store-fixtures.js';
import { holdRelayLease, storeAdapters, type OpenedStore } from './store-adapters.js';

async function commit(opened: OpenedStore, administration: string, messageId: string, records: OutboxRecord[]): Promise<void> {
  await opened.store.intakeStore().intake(administration, async (tx) => {
    await tx.write({ upserts: [], removals: [], records, history: [] });
    await tx.accept({
      message: { administration, messageId, digest: 'd', payloadDigest: 'p', kind: 'delta', sequence: null, issuedAt: '2026-01-01T00:00:00Z', receivedAt: '2026-01-01T00:00:01.000Z', kid: 'k', receipt: { messageId } as never },
      cursor: { lastSequence: null, lastSnapshotIssuedAt: null },
    });
  });
}

describe.each(storeAdapters)('outbox store contract: $name', (adapter) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await adapter.open();
    await holdRelayLease(opened.store);
  });
  afterEach(async () => {
    await opened.store.relayLease.stop();
    await opened.dispose();
  });

  it('hands out committed records in order, and a new session starts after what was confirmed', async () => {
    await commit(opened, 'EU', 'm1', [outboxRecord('EU', 'a', 1), outboxRecord('EU', 'b', 1)]);
    await commit(opened, 'JP', 'm2', [outboxRecord('JP', 'c', 1)]);
    const outbox = opened.store.outbox;
    const start = await outbox.begin();
    const first = await outbox.pending(start, 2);
    expect(first.map((r) => r.eventId)).toEqual(['EU-a-1', 'EU-b-1']);
    expect(first[0]).toMatchObject({ administration: 'EU', memberKey: 'EU:a', change: 'added', routingKey: 'member.EU.added', body: JSON.stringify({ memberId: 'a', n: 1 }) });
    // Asked again from an earlier position (a publish failed): the same records at the same positions.
    expect((await outbox.pending(start, 10)).map((r) => [r.seq, r.eventId])).toEqual([
      [first[0]!.seq, 'EU-a-1'],
      [first[1]!.seq, 'EU-b-1'],
      [first[1]!.seq + 1, 'JP-c-1'],
    ]);
    await outbox.markPublishedThrough(first[1]!.seq);
    expect((await outbox.backlog()).count).toBe(1);

    const again = await outbox.begin();
    expect((await outbox.pending(again, 10)).map((r) => r.eventId)).toEqual(['JP-c-1']);
  });

  it('reports the backlog and its age, and prunes only confirmed records older than the retention', async () => {
    const outbox = opened.store.outbox;
    expect(await outbox.backlog()).toEqual({ count: 0, oldestCreatedAt: null });
    const before = Date.now();
    await commit(opened, 'EU', 'm1', [outboxRecord('EU', 'a', 1), outboxRecord('EU', 'a', 2), outboxRecord('EU', 'b', 1)]);
    const backlog = await outbox.backlog();
    expect(backlog.count).toBe(3);
    expect(backlog.oldestCreatedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);

    const start = await outbox.begin();
    const records = await outbox.pending(start, 2);
    await outbox.markPublishedThrough(records[1]!.seq);
    expect(await outbox.prunePublished(new Date(Date.now() - 60_000))).toBe(0);
    expect(await outbox.prunePublished(new Date(Date.now() + 60_000))).toBe(2);
    expect((await outbox.backlog()).count).toBe(1);
    expect((await outbox.pending(await outbox.begin(), 10)).map((r) => r.eventId)).toEqual(['EU-b-1']);
  });
});

/** What only a store shared by several instances has: the fence against a relay that lost its lease. */
describe('outbox store: postgres only', () => {
  const adapter = storeAdapters.find((a) => a.name === 'postgres')!;
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await adapter.open();
    await holdRelayLease(opened.store);
  });
  afterEach(async () => {
    await opened.store.relayLease.stop();
    await opened.dispose();
  });

  it('refuses the cursor writes of a relay whose lease another instance took over', async () => {
    await commit(opened, 'EU', 'm1', [outboxRecord('EU', 'a', 1)]);
    const outbox = opened.store.outbox;
    const records = await outbox.pending(await outbox.begin(), 10);
    // Another instance's relay takes the lease (its epoch is raised), as after this one was paused.
    await opened.sql('UPDATE relay_lease SET epoch = epoch + 1');
    await expect(outbox.markPublishedThrough(records[0]!.seq)).rejects.toBeInstanceOf(RelayFencedError);
    expect((await outbox.backlog()).count).toBe(1);
  });
});
