import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/logging/logger.js';
import { PostgresGatewayStore } from '../../../../src/store/postgres/postgres-gateway-store.js';
import { createTestDatabase } from '../../../support/postgres-database.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const report = (store: PostgresGatewayStore, configDigest: string) => ({ instanceId: store.instanceId, configDigest, gatewayVersion: '0.2.0', startedAt: new Date('2026-01-01T00:00:00Z') });

describe('PostgresInstanceRegistry', () => {
  it('lists the other live instances with their digests, forgets the silent ones, and lets one leave', async () => {
    const database = await createTestDatabase('mra_instances');
    cleanup.push(() => database.drop());
    const quiet = createLogger('error');
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => PostgresGatewayStore.open({ url: database.url, poolSize: 2, relayLeaseMs: 2000 }, quiet)));
    for (const store of [a!, b!, c!]) cleanup.push(() => store.close());
    expect(a!.instances.instanceId).toBe(a!.instanceId);

    await a!.instances.report(report(a!, 'digest-a'), 600_000);
    await b!.instances.report(report(b!, 'digest-b'), 600_000);
    await c!.instances.report(report(c!, 'digest-a'), 600_000);
    // A report again updates the row rather than adding one.
    await b!.instances.report(report(b!, 'digest-b2'), 600_000);

    const seenByA = await a!.instances.others(30_000);
    expect(seenByA.map((i) => [i.instanceId, i.configDigest]).sort()).toEqual([[b!.instanceId, 'digest-b2'], [c!.instanceId, 'digest-a']].sort());
    expect(seenByA[0]).toMatchObject({ gatewayVersion: '0.2.0', startedAt: new Date('2026-01-01T00:00:00Z') });
    expect(seenByA[0]!.lastSeen).toBeInstanceOf(Date);

    // c goes silent: out of the live window at once, off the list after the forget time.
    await a!.database.query("UPDATE gateway_instances SET last_seen = now() - interval '1 minute' WHERE instance_id = $1", [c!.instanceId]);
    expect((await a!.instances.others(30_000)).map((i) => i.instanceId)).toEqual([b!.instanceId]);
    await a!.instances.report(report(a!, 'digest-a'), 50_000);
    const { rows } = await a!.database.query<{ instance_id: string }>('SELECT instance_id FROM gateway_instances ORDER BY instance_id');
    expect(rows.map((r) => r.instance_id).sort()).toEqual([a!.instanceId, b!.instanceId].sort());

    await b!.instances.leave();
    expect(await a!.instances.others(30_000)).toEqual([]);
  });
});
