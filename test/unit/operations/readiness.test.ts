import { describe, expect, it } from 'vitest';
import { checkReadiness, type ReadinessSources } from '../../../src/operations/readiness.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');

function sources(overrides: { writable?: boolean; connected?: boolean; count?: number; oldestAgeSeconds?: number | null; backlogFails?: boolean } = {}): ReadinessSources {
  const oldest = overrides.oldestAgeSeconds ?? null;
  return {
    store: { isWritable: async () => overrides.writable ?? true },
    broker: { connected: overrides.connected ?? true },
    outbox: {
      backlog: async () => {
        if (overrides.backlogFails) throw new Error('database is locked');
        return { count: overrides.count ?? 0, oldestCreatedAt: oldest === null ? null : new Date(NOW - oldest * 1000) };
      },
    },
    maxBacklogAgeSeconds: 300,
    now: () => NOW,
  };
}

describe('checkReadiness', () => {
  it.each([
    { case: 'all well, empty outbox', given: {}, status: 'ready', reasons: [] },
    { case: 'a young backlog', given: { count: 40, oldestAgeSeconds: 299 }, status: 'ready', reasons: [] },
    { case: 'a backlog older than the limit', given: { count: 40, oldestAgeSeconds: 301 }, status: 'not-ready', reasons: ['outbox-backlog-too-old'] },
    { case: 'broker down', given: { connected: false }, status: 'not-ready', reasons: ['broker-disconnected'] },
    { case: 'store not writable', given: { writable: false }, status: 'not-ready', reasons: ['store-not-writable'] },
    { case: 'outbox unreadable', given: { backlogFails: true }, status: 'not-ready', reasons: ['outbox-unreadable'] },
    {
      case: 'everything at once',
      given: { writable: false, connected: false, count: 1, oldestAgeSeconds: 3600 },
      status: 'not-ready',
      reasons: ['store-not-writable', 'broker-disconnected', 'outbox-backlog-too-old'],
    },
  ])('$case: $status', async ({ given, status, reasons }) => {
    const report = await checkReadiness(sources(given));
    expect(report.status).toBe(status);
    expect(report.reasons).toEqual(reasons);
  });

  it('reports what it checked', async () => {
    const report = await checkReadiness(sources({ connected: false, count: 7, oldestAgeSeconds: 12.5 }));
    expect(report.checks).toEqual({
      store: { writable: true },
      broker: { connected: false },
      outbox: { backlog: 7, oldestAgeSeconds: 12.5, maxAgeSeconds: 300 },
    });
  });
});
