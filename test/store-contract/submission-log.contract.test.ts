import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { submissionId, type LoggedSubmission, type SubmissionQuery } from '../../src/admin/submission-log.js';
import { storeAdapters, type OpenedStore } from './store-adapters.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

let made = 0;

/** A logged submission received `seconds` after T0, with whatever a test changes. */
function entry(seconds: number, overrides: Partial<LoggedSubmission> = {}): LoggedSubmission {
  const receivedAt = new Date(T0 + seconds * 1000);
  made++;
  return {
    id: submissionId(receivedAt),
    administration: 'EU',
    messageId: `EU-${made}`,
    kid: 'eu-2026',
    kind: 'snapshot',
    sequence: made,
    issuedAt: '2026-12-01T11:59:00+01:00',
    receivedAt,
    outcome: 'accepted',
    status: 202,
    problem: null,
    counts: { members: 3, added: 1, updated: 1, statusChanged: 0, removed: 0, unchanged: 1, notRecognized: 1 },
    warnings: 2,
    digest: 'd'.repeat(43),
    payloadDigest: 'p'.repeat(43),
    size: 4392,
    durationMs: 12.345,
    requestId: `req-${made}`,
    receipt: 'eyJhbGciOiJFUzI1NiJ9.eyJvdXRjb21lIjoiYWNjZXB0ZWQifQ.c2ln',
    ...overrides,
  };
}

const rejected = (seconds: number, code: 'schema-violation' | 'mra-not-active', overrides: Partial<LoggedSubmission> = {}): LoggedSubmission =>
  entry(seconds, {
    outcome: 'rejected',
    status: code === 'schema-violation' ? 422 : 403,
    messageId: code === 'schema-violation' ? null : 'EU-refused',
    kind: code === 'schema-violation' ? null : 'delta',
    sequence: null,
    issuedAt: code === 'schema-violation' ? null : '2026-12-01T11:00:00Z',
    counts: null,
    warnings: 0,
    problem: {
      code,
      status: code === 'schema-violation' ? 422 : 403,
      detail: 'The payload has 2 schema error(s).',
      errors: code === 'schema-violation' ? [{ pointer: '/members/0/status', detail: 'must be equal to one of the allowed values' }, { pointer: '/kind', detail: 'must be snapshot or delta' }] : [],
      errorCount: code === 'schema-violation' ? 2 : 0,
    },
    ...overrides,
  });

describe.each(storeAdapters)('submission log store contract: $name', (adapter) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await adapter.open();
  });
  afterEach(async () => {
    await opened.dispose();
  });

  const all = async (query: Omit<SubmissionQuery, 'limit'> = {}): Promise<LoggedSubmission[]> => opened.store.submissions.page({ limit: 1000, ...query });

  it('keeps an entry exactly as appended, and finds it by id', async () => {
    const log = opened.store.submissions;
    const accepted = entry(0);
    const refused = rejected(1, 'schema-violation', { receipt: null, requestId: null });
    await log.append(accepted);
    await log.append(refused);
    expect(await log.find(accepted.id)).toEqual(accepted);
    expect(await log.find(refused.id)).toEqual(refused);
    expect(await log.find(submissionId(new Date(T0)))).toBeUndefined();
    // An id is kept once.
    await expect(log.append({ ...accepted, messageId: 'other' })).rejects.toThrow();
    expect(await log.find(accepted.id)).toEqual(accepted);
  });

  it('lists newest first by receivedAt, then id, and pages by position without losing or repeating an entry', async () => {
    const log = opened.store.submissions;
    const entries = [entry(5), entry(1), entry(3), entry(3), entry(3), entry(2), entry(4), entry(0)];
    for (const e of entries) await log.append(e);
    const expected = [...entries].sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || (a.id < b.id ? 1 : -1)).map((e) => e.id);
    expect((await all()).map((e) => e.id)).toEqual(expected);

    const seen: string[] = [];
    let before: SubmissionQuery['before'];
    for (let pages = 0; pages < 10; pages++) {
      const page = await log.page({ limit: 3, ...(before ? { before } : {}) });
      seen.push(...page.map((e) => e.id));
      if (page.length < 3) break;
      before = { receivedAt: page.at(-1)!.receivedAt, id: page.at(-1)!.id };
      // Entries arriving meanwhile are newer: they never show on the following pages.
      await log.append(entry(100 + pages));
    }
    expect(seen).toEqual(expected);
  });

  it('filters by administration, messageId, outcome, problem and time (from inclusive, to exclusive), all of them together', async () => {
    const log = opened.store.submissions;
    const eu = entry(0);
    const jp = entry(10, { administration: 'JP', messageId: 'JP-1', kid: 'jp-1' });
    const replay = entry(20, { outcome: 'replayed', status: 200, messageId: eu.messageId });
    const schema = rejected(30, 'schema-violation');
    const suspended = rejected(40, 'mra-not-active');
    for (const e of [eu, jp, replay, schema, suspended]) await log.append(e);
    const ids = (list: LoggedSubmission[]) => list.map((e) => e.id);

    expect(ids(await all({ administration: 'JP' }))).toEqual([jp.id]);
    expect(ids(await all({ administration: 'EU' }))).toEqual([suspended.id, schema.id, replay.id, eu.id]);
    expect(ids(await all({ messageId: eu.messageId! }))).toEqual([replay.id, eu.id]);
    expect(ids(await all({ outcome: 'replayed' }))).toEqual([replay.id]);
    expect(ids(await all({ outcome: 'rejected' }))).toEqual([suspended.id, schema.id]);
    expect(ids(await all({ problem: 'schema-violation' }))).toEqual([schema.id]);
    expect(ids(await all({ from: new Date(T0 + 10_000) }))).toEqual([suspended.id, schema.id, replay.id, jp.id]);
    expect(ids(await all({ to: new Date(T0 + 10_000) }))).toEqual([eu.id]);
    expect(ids(await all({ from: new Date(T0 + 10_000), to: new Date(T0 + 40_000) }))).toEqual([schema.id, replay.id, jp.id]);
    expect(ids(await all({ administration: 'EU', outcome: 'rejected', from: new Date(T0 + 35_000) }))).toEqual([suspended.id]);
    expect(ids(await all({ administration: 'KR' }))).toEqual([]);
    // A page after a position, with a filter.
    expect(ids(await all({ administration: 'EU', before: { receivedAt: replay.receivedAt, id: replay.id } }))).toEqual([eu.id]);
  });

  it("gives each administration's newest entry of an outcome, by receivedAt then id, and none for one without", async () => {
    const log = opened.store.submissions;
    const older = entry(0);
    const newer = entry(60);
    // Same instant: the greater id is the newer.
    const ties = [entry(120, { administration: 'JP', messageId: 'JP-1', kid: 'jp-1' }), entry(120, { administration: 'JP', messageId: 'JP-2', kid: 'jp-1' })].sort((a, b) => (a.id < b.id ? -1 : 1));
    const [tieA, tieB] = [ties[0]!, ties[1]!];
    const refusedLater = rejected(180, 'schema-violation');
    const replay = entry(240, { outcome: 'replayed', status: 200, messageId: newer.messageId });
    for (const e of [refusedLater, newer, tieB, older, replay, tieA]) await log.append(e);
    const byCode = (list: LoggedSubmission[]) => Object.fromEntries(list.map((e) => [e.administration, e]));

    expect(byCode(await log.lastPerAdministration('accepted', ['EU', 'JP', 'KR']))).toEqual({ EU: newer, JP: tieB });
    expect(byCode(await log.lastPerAdministration('rejected', ['EU', 'JP', 'KR']))).toEqual({ EU: refusedLater });
    expect(byCode(await log.lastPerAdministration('replayed', ['EU']))).toEqual({ EU: replay });
    expect(await log.lastPerAdministration('accepted', ['KR'])).toEqual([]);
    expect(await log.lastPerAdministration('accepted', [])).toEqual([]);
  });

  it('counts entries per UTC day, administration and outcome, from inclusive, to exclusive, by day then administration', async () => {
    const log = opened.store.submissions;
    const hour = 3600;
    // T0 is 2026-12-01T12:00Z: -12 h is that day's first instant, +12 h the next day's.
    const entries = [
      entry(-12 * hour - 1),
      entry(-12 * hour),
      entry(0),
      entry(1, { outcome: 'replayed', status: 200 }),
      rejected(2, 'schema-violation'),
      entry(3, { administration: 'JP', messageId: 'JP-1', kid: 'jp-1' }),
      entry(12 * hour - 1, { outcome: 'replayed', status: 200 }),
      entry(12 * hour),
      rejected(36 * hour, 'mra-not-active', { administration: 'JP' }),
      entry(60 * hour),
    ];
    for (const e of entries) await log.append(e);
    const day = (n: number) => new Date(Date.UTC(2026, 11, 1 + n));

    expect(await log.dailyCounts(day(-1), day(3))).toEqual([
      { day: '2026-11-30', administration: 'EU', accepted: 1, replayed: 0, rejected: 0 },
      { day: '2026-12-01', administration: 'EU', accepted: 2, replayed: 2, rejected: 1 },
      { day: '2026-12-01', administration: 'JP', accepted: 1, replayed: 0, rejected: 0 },
      { day: '2026-12-02', administration: 'EU', accepted: 1, replayed: 0, rejected: 0 },
      { day: '2026-12-03', administration: 'JP', accepted: 0, replayed: 0, rejected: 1 },
    ]);
    // from inclusive (the day's first instant counts), to exclusive (the next day's first does not).
    expect(await log.dailyCounts(day(0), day(1))).toEqual([
      { day: '2026-12-01', administration: 'EU', accepted: 2, replayed: 2, rejected: 1 },
      { day: '2026-12-01', administration: 'JP', accepted: 1, replayed: 0, rejected: 0 },
    ]);
    expect(await log.dailyCounts(day(4), day(10))).toEqual([]);
  });

  it('prunes entries received before a time, and only those', async () => {
    const log = opened.store.submissions;
    const entries = Array.from({ length: 12 }, (_, i) => entry(i * 60));
    for (const e of entries) await log.append(e);
    expect(await log.prune(new Date(T0 + 5 * 60_000))).toBe(5);
    expect((await all()).map((e) => e.id)).toEqual(entries.slice(5).reverse().map((e) => e.id));
    expect(await log.prune(new Date(T0 + 5 * 60_000))).toBe(0);
    expect(await log.find(entries[4]!.id)).toBeUndefined();
    expect(await log.find(entries[5]!.id)).toEqual(entries[5]);
  });
});
