/**
 * A condition that lasts (issue 12): the first failure and every change of reason are logged at warn
 * at once, the same reason at most once a minute with how long and how often, and the recovery too.
 * A retry loop may call `failed` every 200 ms without flooding the log.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConditionLog, REPEAT_INTERVAL_MS } from '../../../src/logging/condition-log.js';
import { createLogger } from '../../../src/logging/logger.js';

function setup() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }));
  let now = Date.UTC(2026, 11, 1);
  const log = new ConditionLog(logger, 'broker', () => now);
  return { lines, log, advance: (ms: number) => (now += ms) };
}

describe('a condition log', () => {
  it('says the first failure at once, then nothing more for a minute of retries', () => {
    const { lines, log, advance } = setup();
    log.failed('authentication', { endpoint: 'amqp://guest:***@broker:5672' });
    for (let i = 0; i < 250; i++) {
      advance(200);
      log.failed('authentication');
    }
    expect(lines.map((l) => [l.level, l.message, l.reason])).toEqual([['warn', 'broker unavailable', 'authentication']]);
    expect(lines[0]).toMatchObject({ dependency: 'broker', endpoint: 'amqp://guest:***@broker:5672' });
  });

  it('repeats a lasting failure once a minute with how long and how many attempts', () => {
    const { lines, log, advance } = setup();
    log.failed('refused');
    for (let i = 0; i < 30; i++) {
      advance(5_000);
      log.failed('refused');
    }
    expect(lines.map((l) => l.message)).toEqual(['broker unavailable', 'broker still unavailable', 'broker still unavailable']);
    expect(lines[1]).toMatchObject({ level: 'warn', reason: 'refused', attempts: 13, unavailableForSeconds: REPEAT_INTERVAL_MS / 1000 });
  });

  it('says a change of reason at once, and the recovery with the outage it ends', () => {
    const { lines, log, advance } = setup();
    log.failed('dns');
    advance(1_000);
    log.failed('dns');
    advance(1_000);
    log.failed('refused');
    advance(3_000);
    log.recovered();
    log.recovered();
    expect(lines.map((l) => [l.level, l.message, l.reason ?? null, l.previousReason ?? null])).toEqual([
      ['warn', 'broker unavailable', 'dns', null],
      ['warn', 'broker unavailable', 'refused', 'dns'],
      ['warn', 'broker available again', null, 'refused'],
    ]);
    expect(lines[2]).toMatchObject({ unavailableForSeconds: 5, attempts: 3 });
    expect(log.unavailable).toBe(false);
  });

  it('says nothing when all is well', () => {
    const { lines, log } = setup();
    log.recovered();
    expect(lines).toEqual([]);
  });
});
