import { describe, expect, it } from 'vitest';
import { lineFromRecord, lineFromView, MemberState, sortedByCodePoints, type MemberLine } from '../../../src/cli/consumer/member-state.js';

const line = (key: string, version: number, change = 'updated'): MemberLine => ({ key, version, change, acceptedAt: '2026-12-01T10:00:00.000Z', member: { key, version }, source: null });

const record = (key: string, version: number | undefined, overrides: Record<string, unknown> = {}) => ({
  specVersion: version === undefined ? '1.0' : '1.1',
  eventId: `event-${key}-${version}`,
  change: 'status-changed',
  occurredAt: '2026-12-01T10:00:00.000Z',
  administration: { code: 'EU', name: 'European Union', program: 'AEO', mraSignedOn: '2012-05' },
  member: { key, memberId: key.split(':')[1], status: 'suspended', ...(version !== undefined ? { version } : {}) },
  previous: { status: 'certified' },
  source: { messageId: 'm-1', receivedAt: '2026-12-01T10:00:00.000Z', kid: 'k', digest: 'd', sequence: 1 },
  ...overrides,
});

describe('the sync state: the highest version per member key', () => {
  it('applies a higher version and ignores one at or below the version held (duplicates, redeliveries)', () => {
    const state = new MemberState();
    expect(state.apply(line('EU:A', 3), false)).toMatchObject({ outcome: 'applied', held: 0 });
    expect(state.apply(line('EU:A', 3), true)).toMatchObject({ outcome: 'ignored', held: 3 });
    expect(state.apply(line('EU:A', 2), true)).toMatchObject({ outcome: 'ignored', held: 3 });
    expect(state.apply(line('EU:A', 4), true)).toEqual({ outcome: 'applied', held: 3, line: line('EU:A', 4) });
    expect(state.version('EU:A')).toBe(4);
  });

  it('reports a record that skips versions as a gap, and applies it', () => {
    const state = new MemberState();
    state.apply(line('EU:A', 2), false);
    expect(state.apply(line('EU:A', 5), true)).toMatchObject({ outcome: 'applied', held: 2, gap: { missing: 2 } });
    expect(state.version('EU:A')).toBe(5);
  });

  it('starts a member from the export at any version, but expects version 1 of a record for a member it does not hold', () => {
    const state = new MemberState();
    expect(state.apply(line('EU:A', 7), false)).not.toHaveProperty('gap');
    expect(state.apply(line('EU:B', 1), true)).not.toHaveProperty('gap');
    expect(state.apply(line('EU:C', 3), true)).toMatchObject({ gap: { missing: 2 } });
  });

  it('keeps a removed member as a tombstone, so that an older record stays ignored, and a return goes on from it', () => {
    const state = new MemberState();
    state.apply(line('EU:A', 2, 'removed'), false);
    expect(state.removed).toBe(1);
    expect(state.apply(line('EU:A', 1, 'added'), true).outcome).toBe('ignored');
    expect(state.apply(line('EU:A', 3, 'added'), true).outcome).toBe('applied');
    expect(state.removed).toBe(0);
  });

  it('writes one JSON line per member in code point order, as the register lists them', () => {
    const state = new MemberState();
    for (const key of ['JP:X', 'EU:\u{1F600}', 'EU:B', 'EU:\uFFFD', 'EU:A']) state.apply(line(key, 1), false);
    const lines = [...state.jsonLines()];
    expect(lines.every((text) => text.endsWith('\n'))).toBe(true);
    expect(MemberState.parse(lines.join('')).map((l) => l.key)).toEqual(['EU:A', 'EU:B', 'EU:\uFFFD', 'EU:\u{1F600}', 'JP:X']);
    expect(sortedByCodePoints(['\u{1F600}', '\uFFFD'])).toEqual(['\uFFFD', '\u{1F600}']);
  });
});

describe('lines from the register and from records', () => {
  it('takes a listing item as it is, without the arrangement status', () => {
    const item = { key: 'EU:A', version: 2, change: 'removed', acceptedAt: '2026-12-01T10:00:00.000Z', member: { key: 'EU:A', version: 2 }, source: { messageId: 'm' }, arrangement: { code: 'EU', status: 'active' } };
    expect(lineFromView(item)).toEqual({ key: 'EU:A', version: 2, change: 'removed', acceptedAt: item.acceptedAt, member: item.member, source: item.source });
    expect(() => lineFromView({ key: 'EU:A', change: 'added', member: {} })).toThrow(/version/);
    expect(() => lineFromView([])).toThrow();
  });

  it('makes a record the line the register shows for the same version: key and version from member, acceptedAt from occurredAt', () => {
    const parsed = lineFromRecord(record('EU:A', 4));
    expect(parsed).toEqual({
      kind: 'line',
      administration: 'EU',
      line: { key: 'EU:A', version: 4, change: 'status-changed', acceptedAt: '2026-12-01T10:00:00.000Z', member: record('EU:A', 4).member, previous: { status: 'certified' }, source: record('EU:A', 4).source },
    });
  });

  it('tells a 1.0 record (no version) from one that is not a member record', () => {
    expect(lineFromRecord(record('EU:A', undefined))).toEqual({ kind: 'unversioned', key: 'EU:A' });
    expect(lineFromRecord(record('EU:A', undefined, { specVersion: '1.1' }))).toMatchObject({ kind: 'malformed' });
    expect(lineFromRecord(record('EU:A', 1, { change: 'renamed' }))).toMatchObject({ kind: 'malformed' });
    expect(lineFromRecord({ member: {} })).toMatchObject({ kind: 'malformed' });
    expect(lineFromRecord('text')).toMatchObject({ kind: 'malformed' });
    expect(lineFromRecord(record('EU:A', 0))).toMatchObject({ kind: 'malformed' });
  });
});
