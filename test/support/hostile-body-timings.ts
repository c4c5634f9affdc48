import { brotliBomb, deflateBomb, gzipBomb, jwsWithJunk, MiB } from './hostile-bodies.js';
import { signFlattened } from './jws.js';
import { euMember, memberList } from './member-lists.js';
import { createPartnerKey } from './partner-keys.js';
import { postBytes } from './raw-http.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BROKER_URL, deleteTopology, uniqueTopology } from './broker.js';
import { GatewayProcess } from './gateway-process.js';
import { writeConfig } from './test-gateway.js';

/** How one hostile body was refused, and how the gateway's probe fared meanwhile. */
export interface HostileBodyTiming {
  name: string;
  sentBytes: number;
  status: number;
  problem: string;
  /** From the first byte sent to the refusal read. */
  refusedAfterMs: number;
  /** The slowest /healthz answer while the body was handled (probes every 20 ms). */
  slowestProbeMs: number;
  probes: number;
}

/**
 * Sends each body of the security review (issue 11) to a gateway process with its default limits, one
 * at a time, probing /healthz meanwhile, and reports how long each refusal took.
 */
export async function hostileBodyTimings(): Promise<HostileBodyTiming[]> {
  const eu = await createPartnerKey('EU');
  const root = mkdtempSync(path.join(tmpdir(), 'mra-hostile-'));
  const topology = uniqueTopology();
  writeConfig(path.join(root, 'config'), { keys: [eu] });
  const gateway = await GatewayProcess.start({
    CONFIG_DIR: path.join(root, 'config'),
    DATA_DIR: path.join(root, 'data'),
    AMQP_URL: BROKER_URL,
    AMQP_EXCHANGE: topology.exchange,
    AMQP_QUEUE: topology.queue,
    AMQP_DEAD_LETTER_EXCHANGE: topology.deadLetterExchange,
    AMQP_DEAD_LETTER_QUEUE: topology.deadLetterQueue,
  });
  try {
    const signed = await signFlattened(memberList([euMember()]), eu);
    const junk190 = jwsWithJunk(signed, 190 * MiB);
    const bodies: [string, Buffer, string | undefined][] = [
      ['br, inflates to 190 MiB of `{},`', brotliBomb(junk190), 'br'],
      ['gzip, inflates to 190 MiB', gzipBomb(junk190), 'gzip'],
      ['deflate, inflates to 190 MiB', deflateBomb(junk190), 'deflate'],
      ['30 MiB of `{},` after the signed members, uncompressed', jwsWithJunk(signed, 30 * MiB), undefined],
      ['30 MiB of `{},` before the signed members, uncompressed', jwsWithJunk(signed, 30 * MiB, 'before'), undefined],
      ['190 MiB of `{},` after the signed members, uncompressed', junk190, undefined],
    ];
    const timings: HostileBodyTiming[] = [];
    for (const [name, body, encoding] of bodies) {
      const headers = { 'Content-Type': 'application/jose+json', ...(encoding ? { 'Content-Encoding': encoding } : {}) };
      const probe = startProbing(`${gateway.url}/healthz`);
      const started = performance.now();
      const response = await postBytes(`${gateway.url}/v1/member-lists`, headers, body);
      const refusedAfterMs = performance.now() - started;
      const probeTimes = await probe.stop();
      timings.push({
        name,
        sentBytes: body.length,
        status: response.status,
        problem: problemOf(response.body),
        refusedAfterMs: Math.round(refusedAfterMs),
        slowestProbeMs: Math.round(Math.max(0, ...probeTimes)),
        probes: probeTimes.length,
      });
    }
    return timings;
  } finally {
    await gateway.stop();
    await deleteTopology(topology);
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Probes `url` every 20 ms from a worker thread, whose event loop the sending of a large body on this
 * thread cannot hold up: the times measure the gateway alone.
 */
function startProbing(url: string): { stop(): Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const times = []; let done = false;
     parentPort.once('message', () => { done = true; });
     (async () => {
       do {
         const started = performance.now();
         await fetch(workerData);
         times.push(performance.now() - started);
         await new Promise((resolve) => setTimeout(resolve, 20));
       } while (!done);
       parentPort.postMessage(times);
     })();`,
    { eval: true, workerData: url },
  );
  return {
    stop: () =>
      new Promise<number[]>((resolve, reject) => {
        worker.once('message', (times: number[]) => {
          void worker.terminate();
          resolve(times);
        });
        worker.once('error', reject);
        worker.postMessage('stop');
      }),
  };
}

/** The timings as a Markdown table. */
export function hostileBodyTable(timings: readonly HostileBodyTiming[]): string {
  const rows = timings.map((t) => `| ${t.name} | ${t.sentBytes.toLocaleString('en-US')} | ${t.status} ${t.problem} | ${t.refusedAfterMs} | ${t.slowestProbeMs} (${t.probes}) |`);
  return ['| hostile body | bytes sent | answer | refused after (ms) | slowest /healthz meanwhile, ms (probes) |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** "payload-too-large (expansion-ratio)" from a problem document. */
function problemOf(body: Record<string, unknown>): string {
  const type = typeof body.type === 'string' ? body.type.replace('urn:mra-gateway:problem:', '') : 'no problem document';
  return typeof body.limit === 'string' ? `${type} (${body.limit})` : type;
}
