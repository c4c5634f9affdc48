import { describe, expect, it } from 'vitest';
import { connectionsCutMidIntake, clusterUnderLoad, postgresRestarted, relayHolderKilled } from '../support/cluster-scenarios.js';
import type { ScenarioResult } from '../support/reliability-scenarios.js';
import { expectPromisesKept } from '../support/reliability-expectations.js';

/** The promises of a single gateway, and no instance of the cluster ended by the fault itself. */
function expectClusterPromisesKept(result: ScenarioResult): void {
  expectPromisesKept(result);
  expect(result.observed.instancesCrashed, 'instances that exited without being killed').toBe(0);
}

/**
 * The multi-instance reliability scenarios (npm run reliability prints their figures): three gateway
 * processes on one PostgreSQL database, five administrations sending at once, and a fault each.
 */
describe('reliability: three instances on one PostgreSQL store', () => {
  it('under load from five administrations: everything receipted is delivered once, in order per member', async () => {
    expectClusterPromisesKept(await clusterUnderLoad());
  }, 180_000);

  it('the instance holding the relay killed mid-publish: another takes over, nothing lost', async () => {
    const result = await relayHolderKilled();
    expectClusterPromisesKept(result);
    expect(result.observed.killed).toBe(true);
  }, 180_000);

  it("the gateways' database connections cut mid-intake: rolled back, resent, nothing lost or doubled", async () => {
    const result = await connectionsCutMidIntake();
    expectClusterPromisesKept(result);
    expect(result.observed.connectionsCut).toBeGreaterThan(0);
  }, 180_000);

  it('the PostgreSQL server restarted: intake and publishing resume without a gateway restart', async () => {
    expectClusterPromisesKept(await postgresRestarted());
  }, 180_000);
});
