import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/app-config.js';
import { createLogger } from '../../../src/logging/logger.js';
import { HistoryRetention } from '../../../src/operations/history-retention.js';

const quiet = createLogger('error');

describe('member history retention', () => {
  it('keeps every version unless MEMBER_HISTORY_RETENTION_DAYS says otherwise', () => {
    expect(loadConfig({}).memberHistoryRetentionDays).toBeUndefined();
    expect(loadConfig({ MEMBER_HISTORY_RETENTION_DAYS: '0' }).memberHistoryRetentionDays).toBeUndefined();
    expect(loadConfig({ MEMBER_HISTORY_RETENTION_DAYS: '400' }).memberHistoryRetentionDays).toBe(400);
    expect(() => loadConfig({ MEMBER_HISTORY_RETENTION_DAYS: 'a year' })).toThrow(/MEMBER_HISTORY_RETENTION_DAYS/);
    expect(() => loadConfig({ MEMBER_HISTORY_RETENTION_DAYS: '99999' })).toThrow(/MEMBER_HISTORY_RETENTION_DAYS/);
  });

  it('prunes what is older than the retention, and nothing without one', async () => {
    const asked: Date[] = [];
    const history = { prune: async (before: Date) => (asked.push(before), 3) };
    const now = Date.UTC(2026, 11, 2);
    await new HistoryRetention(history, undefined, quiet, () => now).prune();
    expect(asked).toEqual([]);
    await new HistoryRetention(history, 30, quiet, () => now).prune();
    expect(asked).toEqual([new Date(now - 30 * 86_400_000)]);
  });

  it('a failing prune is logged and does not reject', async () => {
    const retention = new HistoryRetention({ prune: async () => Promise.reject(new Error('store down')) }, 30, quiet);
    await expect(retention.prune()).resolves.toBeUndefined();
  });
});
