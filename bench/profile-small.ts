/**
 * Profiling aid for small submissions: a gateway in this process under concurrent 10-member deltas.
 * PROFILE=file.cpuprofile profiles the load phase only (gateway and autocannon share the process);
 * SECONDS and CONNECTIONS change the load.
 */
import autocannon from 'autocannon';
import { benchMember } from './bench-members.js';
import { profiled, startInProcessGateway } from './in-process-gateway.js';

const { gateway, sign, stop } = await startInProcessGateway();
const bodies: string[] = [];
for (let n = 0; n < 6000; n++) {
  const members = Array.from({ length: 10 }, (_, k) => benchMember((n * 10 + k) % 3000, 1 + Math.floor(n / 300)));
  bodies.push(await sign({ specVersion: '1.0', messageId: `d-${n}`, administration: 'EU', issuedAt: new Date().toISOString(), kind: 'delta', members }));
}
let next = 0;
const result = await profiled(process.env.PROFILE, () =>
  autocannon({
    url: `${gateway.url}/v1/member-lists`,
    connections: Number(process.env.CONNECTIONS ?? 16),
    duration: Number(process.env.SECONDS ?? 5),
    requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, headers: { 'content-type': 'application/jose' }, body: bodies[next++ % bodies.length] }) }],
  }),
);
process.stderr.write(`${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, non2xx ${result.non2xx}\n`);
await stop();
