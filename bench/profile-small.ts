/**
 * Profiling aid for small submissions: a gateway in this process under concurrent 10-member deltas.
 * Run with `node --cpu-prof --import tsx bench/profile-small.ts`.
 */
import autocannon from 'autocannon';
import inspector from 'node:inspector';
import amqp from 'amqplib';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { startGateway } from '../src/gateway.js';
import { createLogger } from '../src/logging/logger.js';
import { benchMember } from './bench-members.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mra-profile-'));
mkdirSync(path.join(dir, 'config/partner-keys'), { recursive: true });
copyFileSync(path.resolve(import.meta.dirname, '../config/mras.json'), path.join(dir, 'config/mras.json'));
const { privateKey, publicKey } = await generateKeyPair('ES256');
writeFileSync(path.join(dir, 'config/partner-keys/EU.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'p' }] }));
const id = Date.now();
const gateway = await startGateway(
  loadConfig({ PORT: '0', CONFIG_DIR: path.join(dir, 'config'), DATA_DIR: path.join(dir, 'data'), AMQP_EXCHANGE: `profile.${id}`, AMQP_QUEUE: `profile.${id}.q`, AMQP_DEAD_LETTER_EXCHANGE: `profile.${id}.dlx`, AMQP_DEAD_LETTER_QUEUE: `profile.${id}.dlq`, RATE_LIMIT_PER_CLIENT_PER_MINUTE: '0', RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: '0' }),
  { logger: createLogger('warn') },
);
const bodies: string[] = [];
for (let n = 0; n < 6000; n++) {
  const members = Array.from({ length: 10 }, (_, k) => benchMember((n * 10 + k) % 3000, 1 + Math.floor(n / 300)));
  const payload = { specVersion: '1.0', messageId: `d-${n}`, administration: 'EU', issuedAt: new Date().toISOString(), kind: 'delta', members };
  bodies.push(await new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', kid: 'p', typ: 'mra-member-list+json' }).sign(privateKey));
}
// PROFILE=file.cpuprofile profiles only the load phase (the gateway and autocannon share this process).
const session = process.env.PROFILE ? new inspector.Session() : undefined;
const post = (method: string) => new Promise<unknown>((resolve, reject) => session!.post(method, (error, result) => (error ? reject(error) : resolve(result))));
if (session) {
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.start');
}
let next = 0;
const result = await autocannon({
  url: `${gateway.url}/v1/member-lists`,
  connections: Number(process.env.CONNECTIONS ?? 16),
  duration: Number(process.env.SECONDS ?? 5),
  requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, headers: { 'content-type': 'application/jose' }, body: bodies[next++ % bodies.length] }) }],
});
if (session) {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(process.env.PROFILE!, JSON.stringify(profile));
}
process.stderr.write(`${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, non2xx ${result.non2xx}\n`);
await gateway.close();
// Leave nothing behind on the shared broker.
const cleanup = await amqp.connect(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const channel = await cleanup.createChannel();
for (const queue of [`profile.${id}.q`, `profile.${id}.dlq`]) await channel.deleteQueue(queue);
for (const exchange of [`profile.${id}`, `profile.${id}.dlx`]) await channel.deleteExchange(exchange);
await cleanup.close();
