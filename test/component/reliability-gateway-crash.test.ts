import { describe, expect, it } from 'vitest';
import { expectPromisesKept, statusesByLabel } from '../support/reliability-expectations.js';
import { gatewayKilled, gatewayKilledDuringIntake } from '../support/reliability-scenarios.js';

// Issue 6: the gateway process (node --import tsx src/main.ts, test/support/gateway-process.ts) killed
// with SIGKILL and started again on the same DATA_DIR. A crash must lose nothing that was receipted.

describe('a gateway killed with SIGKILL loses nothing it receipted', () => {
  it('killed while publishing from a non-empty outbox: the restarted gateway delivers the rest and still knows every message', { timeout: 120_000 }, async () => {
    const result = await gatewayKilled();
    expect(statusesByLabel(result)).toEqual({
      'S1 snapshot': 202,
      'S2 changes': 202,
      'R1 stale sequence': 409,
      'R2 invalid member': 422,
      'S1 replayed': 200,
      'S2 replayed after restart': 200,
      'R1 resent after restart': 409,
    });
    expectPromisesKept(result);
    expect(result.observed.killedBySignal).toBe(true);
    expect(result.observed.deliveredOnlyAfterRestart, 'the outbox was not empty at the kill').toBeGreaterThan(0);
  });

  it('killed in the middle of an intake: the message is stored whole or not at all, and the partner retry yields its records once', { timeout: 120_000 }, async () => {
    const result = await gatewayKilledDuringIntake();
    expectPromisesKept(result);
    const statuses = statusesByLabel(result);
    expect(statuses['S1 snapshot']).toBe(202);
    expect(result.observed.wholeOrNothing, `records of the killed message in the store: ${String(result.observed.recordsOfKilledMessageInStore)}`).toBe(true);
    // Committed before the kill: the retry is a replay (200, the original receipt); not committed: a new acceptance (202).
    expect(statuses['S2 resent after restart']).toBe(result.observed.committedBeforeKill ? 200 : 202);
    expect(result.observed.committedBeforeKill).toBe(result.observed.recordsOfKilledMessageInStore !== 0);
    if (result.observed.answeredBeforeKill) expect(statuses['S2 killed in flight']).toBe(202);
  });
});
