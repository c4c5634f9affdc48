import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberOf } from '../support/administration-members.js';
import { waitUntil } from '../support/delivery-audit.js';
import { GatewayCluster } from '../support/gateway-cluster.js';
import { signCompact } from '../support/jws.js';
import { memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * The publishing instance loses the broker while another instance still reaches it: records must
 * not wait for the first one's broker to come back.
 */
describe('the relay follows the broker', () => {
  let cluster: GatewayCluster;
  let proxy: TcpProxy;
  let eu: PartnerSigningKey;

  beforeAll(async () => {
    eu = await createPartnerKey('EU');
    proxy = await TcpProxy.start(5672);
    cluster = await GatewayCluster.start(0, { keys: [eu] });
    // A reaches the broker through the proxy and takes the lease first; B reaches it directly.
    const a = await cluster.add({ AMQP_URL: proxy.url });
    await waitUntil('A holds the relay lease', async () => (await cluster.relayHolderPid()) === a.process.pid, 20_000);
    await cluster.add();
  }, 60_000);
  afterAll(async () => {
    await cluster?.dispose();
    await proxy?.close();
  });

  it('hands the lease to an instance that can reach the broker when the holder cannot', async () => {
    const [a, b] = cluster.members;
    const before = await signCompact(memberList([memberOf('EU', 1, 'B')], { kind: 'delta' }), eu);
    expect((await b!.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(before)).status).toBe(202);
    await waitUntil('published by A', () => cluster.consumer.records.some((r) => r.body.member.key === 'EU:DEB000000001'));

    proxy.refuse();
    const during = await signCompact(memberList([memberOf('EU', 2, 'B')], { kind: 'delta' }), eu);
    expect((await a!.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(during)).status).toBe(202);
    // A gives the lease up after three lease periods without a broker (RELAY_LEASE_SECONDS 2); B takes it.
    await waitUntil('published by B', () => cluster.consumer.records.some((r) => r.body.member.key === 'EU:DEB000000002'), 20_000);
    expect(await cluster.relayHolderPid()).toBe(b!.process.pid);
    expect(a!.process.output.some((line) => line.includes('giving up the outbox relay lease'))).toBe(true);
  }, 40_000);
});
