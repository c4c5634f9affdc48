import { describe, expect, it } from 'vitest';
import type { Arrangement } from '../../../src/domain/arrangement.js';
import { planChanges, type IncomingEntry, type StoredMember } from '../../../src/domain/member/change-plan.js';
import { serializeMember } from '../../../src/domain/member/member-fingerprint.js';
import { normalizeMember } from '../../../src/domain/member/normalized-member.js';
import { euMember, type Member } from '../../support/member-lists.js';

const eu: Arrangement = {
  code: 'EU', administration: 'European Union', program: 'AEO', signedOn: '2012-05', status: 'active',
  countries: ['DE', 'FR'], certificateTypes: ['AEOS', 'AEOF', 'AEOC'], recognizedCertificateTypes: ['AEOS', 'AEOF'],
};

function incoming(member: Member, index = 0): IncomingEntry {
  const normalized = normalizeMember(member, eu, { outcome: 'unchecked' });
  return { type: 'member', index, incoming: serializeMember(normalized) };
}

/** Current members (at `version`) and removed ones with their last versions. */
function state(members: Member[], options: { version?: number; removed?: Record<string, number> } = {}) {
  const stored = new Map<string, StoredMember>();
  for (const member of members) {
    const entry = incoming(member);
    if (entry.type === 'member') stored.set(member.memberId, { ...entry.incoming, version: options.version ?? 1 });
  }
  const loads: string[][] = [];
  return {
    loads,
    current: {
      fingerprints: new Map([...stored].map(([id, s]) => [id, s.fingerprint])),
      load: async (ids: readonly string[]) => {
        loads.push([...ids]);
        return new Map(ids.filter((id) => stored.has(id)).map((id) => [id, stored.get(id)!]));
      },
      removedVersions: async (ids: readonly string[]) => new Map(ids.filter((id) => options.removed?.[id] !== undefined).map((id) => [id, options.removed![id]!])),
    },
  };
}

const a = euMember({ memberId: 'DE1' });
const b = euMember({ memberId: 'DE2' });
const c = euMember({ memberId: 'DE3' });

describe('change plan', () => {
  it.each([
    { name: 'a new member is added', change: { ...a, memberId: 'DE9' }, expected: 'added', previous: undefined },
    { name: 'a renamed member is updated', change: { ...a, legalName: 'Amalgamated Plastics Holding AG' }, expected: 'updated', previous: { legalName: a.legalName } },
    { name: 'a suspended member is a status change', change: { ...a, status: 'suspended' as const }, expected: 'status-changed', previous: { status: 'certified', recognized: true } },
    { name: 'dropping from AEOF to AEOC loses recognition: a status change', change: { ...a, certificateType: 'AEOC' }, expected: 'status-changed', previous: { certificateType: 'AEOF', recognized: true } },
    { name: 'a first validation date is an update from null', change: { ...a, lastValidatedOn: undefined }, expected: 'updated', previous: { lastValidatedOn: '2024-02-15' } },
  ])('$name', async ({ change, expected, previous }) => {
    const { current } = state([a]);
    const plan = await planChanges('delta', [incoming(change)], current);
    expect(plan.changes.map((c) => c.change)).toEqual([expected]);
    expect(plan.changes[0]!.previous).toEqual(previous);
  });

  it('a snapshot removes the members it leaves out and loads only changed and removed members', async () => {
    const { current, loads } = state([a, b, c]);
    const plan = await planChanges('snapshot', [incoming(a), incoming({ ...b, legalName: 'Changed GmbH' }, 1)], current);
    expect(plan.changes.map((ch) => [ch.change, ch.member.memberId])).toEqual([['updated', 'DE2'], ['removed', 'DE3']]);
    expect(plan.unchanged).toBe(1);
    expect(loads).toEqual([['DE2', 'DE3']]);
  });

  it('an unchanged snapshot loads nothing and changes nothing', async () => {
    const { current, loads } = state([a, b]);
    const plan = await planChanges('snapshot', [incoming(a), incoming(b, 1)], current);
    expect(plan).toMatchObject({ changes: [], unchanged: 2 });
    expect(loads).toEqual([]);
  });

  it('a delta leaves members it does not name alone, and reports removals of unknown members', async () => {
    const { current } = state([a, b]);
    const plan = await planChanges('delta', [{ type: 'removal', index: 0, memberId: 'DE1' }, { type: 'removal', index: 1, memberId: 'DE404' }], current);
    expect(plan.changes.map((ch) => [ch.change, ch.member.memberId])).toEqual([['removed', 'DE1']]);
    expect(plan.unknownRemovals).toEqual([1]);
  });
});

describe('member versions', () => {
  it('a new member is version 1; a change or a removal is one more than the stored version', async () => {
    const { current } = state([a, b], { version: 4 });
    const plan = await planChanges('delta', [incoming({ ...a, legalName: 'Renamed AG' }), { type: 'removal', index: 1, memberId: 'DE2' }, incoming(c, 2)], current);
    expect(plan.changes.map((ch) => [ch.change, ch.member.memberId, ch.version])).toEqual([
      ['updated', 'DE1', 5],
      ['removed', 'DE2', 5],
      ['added', 'DE3', 1],
    ]);
  });

  it('a member added again after its removal goes on from its last version', async () => {
    const { current } = state([], { removed: { DE3: 7 } });
    const plan = await planChanges('delta', [incoming(c), incoming(b, 1)], current);
    expect(plan.changes.map((ch) => [ch.member.memberId, ch.version])).toEqual([
      ['DE3', 8],
      ['DE2', 1],
    ]);
  });
});

describe('MID candidates follow the name', () => {
  it('a manufacturer renamed so its MID changes shows the old MID in previous', async () => {
    const { current } = state([a]);
    const plan = await planChanges('delta', [incoming({ ...a, legalName: 'Nordsee Kunststoff GmbH' })], current);
    expect(plan.changes[0]!.previous).toEqual({ legalName: a.legalName, mids: [{ value: 'DEAMAPLA12HAM', source: 'derived' }] });
    expect(plan.changes[0]!.member.mids).toEqual([{ value: 'DENORKUN12HAM', source: 'derived' }]);
  });
});
