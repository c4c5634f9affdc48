/**
 * Shared by the profiling aids: a gateway started in this process with its own temporary directories,
 * exchange and queues (rate limits off), an EU signing key registered for it, and a teardown that
 * leaves nothing on the shared broker. Plus a CPU profile of just the part a script wants to look at.
 */
import amqp from 'amqplib';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import { createLogger } from '../src/logging/logger.js';

export interface InProcessGateway {
  gateway: Gateway;
  /** Signs a member-list payload as the EU partner. */
  sign: (payload: unknown) => Promise<string>;
  stop: () => Promise<void>;
}

export async function startInProcessGateway(): Promise<InProcessGateway> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mra-profile-'));
  mkdirSync(path.join(dir, 'config/partner-keys'), { recursive: true });
  copyFileSync(path.resolve(import.meta.dirname, '../config/mras.json'), path.join(dir, 'config/mras.json'));
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  writeFileSync(path.join(dir, 'config/partner-keys/EU.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'p' }] }));
  const id = `profile.${Date.now()}`;
  const names = { exchange: id, queue: `${id}.q`, deadLetterExchange: `${id}.dlx`, deadLetterQueue: `${id}.dlq` };
  const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const gateway = await startGateway(
    loadConfig({
      PORT: '0',
      AMQP_URL: amqpUrl,
      CONFIG_DIR: path.join(dir, 'config'),
      DATA_DIR: path.join(dir, 'data'),
      AMQP_EXCHANGE: names.exchange,
      AMQP_QUEUE: names.queue,
      AMQP_DEAD_LETTER_EXCHANGE: names.deadLetterExchange,
      AMQP_DEAD_LETTER_QUEUE: names.deadLetterQueue,
      RATE_LIMIT_PER_CLIENT_PER_MINUTE: '0',
      RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: '0',
      // BENCH_DATABASE_URL: profile on the PostgreSQL store (an empty database of the caller's).
      ...(process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL, RECEIPT_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') } : {}),
    }),
    { logger: createLogger('warn') },
  );
  return {
    gateway,
    sign: (payload) =>
      new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', kid: 'p', typ: 'mra-member-list+json' }).sign(privateKey),
    stop: async () => {
      await gateway.close();
      const connection = await amqp.connect(amqpUrl);
      const channel = await connection.createChannel();
      for (const queue of [names.queue, names.deadLetterQueue]) await channel.deleteQueue(queue);
      for (const exchange of [names.exchange, names.deadLetterExchange]) await channel.deleteExchange(exchange);
      await connection.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `work` under the V8 CPU profiler and writes the profile to `file` (when a file is given). */
export async function profiled<T>(file: string | undefined, work: () => Promise<T>): Promise<T> {
  if (!file) return work();
  const session = new inspector.Session();
  const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result))));
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}
