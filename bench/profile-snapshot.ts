/**
 * Profiling aid for the snapshot path: starts a gateway in this process, posts a snapshot and its
 * unchanged re-send, and exits. Run with `node --cpu-prof --import tsx bench/profile-snapshot.ts`.
 */
import amqp from 'amqplib';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import inspector from 'node:inspector';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { startGateway } from '../src/gateway.js';
import { createLogger } from '../src/logging/logger.js';
import { benchMember } from './bench-members.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 50_000);
const dir = mkdtempSync(path.join(tmpdir(), 'mra-profile-'));
mkdirSync(path.join(dir, 'config/partner-keys'), { recursive: true });
copyFileSync(path.resolve(import.meta.dirname, '../config/mras.json'), path.join(dir, 'config/mras.json'));
const { privateKey, publicKey } = await generateKeyPair('ES256');
writeFileSync(path.join(dir, 'config/partner-keys/EU.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'p' }] }));
const id = Date.now();
const gateway = await startGateway(
  loadConfig({ PORT: '0', CONFIG_DIR: path.join(dir, 'config'), DATA_DIR: path.join(dir, 'data'), AMQP_EXCHANGE: `profile.${id}`, AMQP_QUEUE: `profile.${id}.q`, AMQP_DEAD_LETTER_EXCHANGE: `profile.${id}.dlx`, AMQP_DEAD_LETTER_QUEUE: `profile.${id}.dlq` }),
  { logger: createLogger('warn') },
);
const members = Array.from({ length: MEMBERS }, (_, i) => benchMember(i));
const sign = (messageId: string, sequence: number) =>
  new CompactSign(Buffer.from(JSON.stringify({ specVersion: '1.0', messageId, administration: 'EU', issuedAt: new Date().toISOString(), kind: 'snapshot', sequence, members })))
    .setProtectedHeader({ alg: 'ES256', kid: 'p', typ: 'mra-member-list+json' })
    .sign(privateKey);
// PROFILE_RELAY=file.cpuprofile: after the first receipt, profile only the relay draining the outbox.
async function profileRelay(file: string): Promise<void> {
  const session = new inspector.Session();
  const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result))));
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.start');
  const started = performance.now();
  // Counting the backlog is itself work on the store: look rarely.
  while ((await gateway.outbox.backlog()).count > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  process.stderr.write(`outbox drained in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(file, JSON.stringify(profile));
}

for (const [messageId, sequence] of [['first', 1], ['again', 2]] as const) {
  const body = await sign(messageId, sequence);
  const started = performance.now();
  const response = await fetch(`${gateway.url}/v1/member-lists`, { method: 'POST', headers: { 'Content-Type': 'application/jose' }, body });
  await response.json();
  process.stderr.write(`${messageId}: ${response.status} in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  if (messageId === 'first' && process.env.PROFILE_RELAY) await profileRelay(process.env.PROFILE_RELAY);
}
await gateway.close();
// Leave nothing behind on the shared broker.
const cleanup = await amqp.connect(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const channel = await cleanup.createChannel();
for (const queue of [`profile.${id}.q`, `profile.${id}.dlq`]) await channel.deleteQueue(queue);
for (const exchange of [`profile.${id}`, `profile.${id}.dlx`]) await channel.deleteExchange(exchange);
await cleanup.close();
