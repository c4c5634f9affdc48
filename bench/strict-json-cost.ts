/**
 * Cost of the strict JSON parse (duplicate keys, depth, __proto__) against plain JSON.parse, on a
 * 50,000-member list, compact and indented: `npx tsx bench/strict-json-cost.ts [members]`.
 * Prints one JSON document with median times over interleaved rounds.
 */
import { checkJsonStructure, parseStrictJson } from '../src/domain/intake/strict-json.js';
import { benchMember } from './bench-members.js';

const MEMBERS = Number(process.argv[2] ?? 50_000);
const ROUNDS = 21;

const members = Array.from({ length: MEMBERS }, (_, i) => ({ ...benchMember(i, 1), tradeNames: [`Trading name ${i}`, `Second trading name ${i}`], mids: [{ value: `DEAMAPLA${i}HAM` }] }));
const list = { specVersion: '1.0', messageId: 'bench', administration: 'EU', issuedAt: new Date().toISOString(), kind: 'snapshot', members };

function measure(text: string) {
  const runs = { jsonParse: () => JSON.parse(text) as unknown, scan: () => checkJsonStructure(text), strict: () => parseStrictJson(text) };
  const times: Record<keyof typeof runs, number[]> = { jsonParse: [], scan: [], strict: [] };
  for (let round = -3; round < ROUNDS; round++) {
    // Interleaved, so that load on the machine and garbage collection fall on all three alike.
    for (const name of Object.keys(runs) as (keyof typeof runs)[]) {
      const started = performance.now();
      runs[name]();
      if (round >= 0) times[name].push(performance.now() - started);
    }
  }
  const median = (values: number[]) => Number(values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!.toFixed(1));
  const jsonParseMs = median(times.jsonParse);
  const strictMs = median(times.strict);
  return { megabytes: Number((Buffer.byteLength(text) / 1_048_576).toFixed(1)), jsonParseMs, scanMs: median(times.scan), strictMs, ratio: Number((strictMs / jsonParseMs).toFixed(2)) };
}

console.log(JSON.stringify({ members: MEMBERS, compact: measure(JSON.stringify(list)), indented: measure(JSON.stringify(list, null, 2)) }, null, 2));
