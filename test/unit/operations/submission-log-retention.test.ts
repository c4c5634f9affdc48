import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/app-config.js';
import { createLogger } from '../../../src/logging/logger.js';
import { SubmissionLogRetention } from '../../../src/operations/submission-log-retention.js';

const quiet = createLogger('error');

describe('submission log retention', () => {
  it('keeps entries 400 days unless SUBMISSION_LOG_RETENTION_DAYS says otherwise (0: for good)', () => {
    expect(loadConfig({}).submissionLogRetentionDays).toBe(400);
    expect(loadConfig({ SUBMISSION_LOG_RETENTION_DAYS: '0' }).submissionLogRetentionDays).toBeUndefined();
    expect(loadConfig({ SUBMISSION_LOG_RETENTION_DAYS: '30' }).submissionLogRetentionDays).toBe(30);
    expect(() => loadConfig({ SUBMISSION_LOG_RETENTION_DAYS: 'a year' })).toThrow(/SUBMISSION_LOG_RETENTION_DAYS/);
    expect(() => loadConfig({ SUBMISSION_LOG_RETENTION_DAYS: '99999' })).toThrow(/SUBMISSION_LOG_RETENTION_DAYS/);
  });

  it('prunes what was received before the retention, says how many went, and nothing without one', async () => {
    const asked: Date[] = [];
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>));
          done();
        },
      }),
    );
    const log = { prune: async (before: Date) => (asked.push(before), 3) };
    const now = Date.UTC(2026, 11, 2);
    await new SubmissionLogRetention(log, undefined, logger, () => now).prune();
    expect(asked).toEqual([]);
    await new SubmissionLogRetention(log, 400, logger, () => now).prune();
    expect(asked).toEqual([new Date(now - 400 * 86_400_000)]);
    expect(lines).toEqual([expect.objectContaining({ level: 'info', message: 'pruned submission log', pruned: 3 })]);
  });

  it('a failing prune is logged and does not reject; stop waits for a pass under way', async () => {
    const retention = new SubmissionLogRetention({ prune: async () => Promise.reject(new Error('store down')) }, 30, quiet);
    await expect(retention.prune()).resolves.toBeUndefined();
    retention.start();
    await retention.stop();
  });
});
