/**
 * `npm run bench`: the gateway measured against the broker's own limit, in one run (issue 7), on each
 * store and for each list size. Prints one JSON document: `runs` (one per store and size, each with a
 * fresh store and gateway process and its own raw limit measured right after its snapshot),
 * `smallSubmissions` (once per store, on the gateway of that store's smallest size, against a bare
 * Express endpoint measured right after), and `targets`, every figure with its target and whether it is
 * met. See bench/intake-run.ts for one run and bench/intake-targets.ts for the targets.
 *
 * Knobs (environment): BENCH_STORES (sqlite,postgres; BENCH_STORE is the old name for one), BENCH_SIZES
 * (50000,250000; BENCH_MEMBERS is the old name for one), BENCH_SMALL_SECONDS (10), BENCH_CONNECTIONS
 * (16), AMQP_URL, BENCH_POSTGRES_URL (the server on which each postgres run creates a fresh database,
 * dropped afterwards; default postgres://postgres@127.0.0.1:5432), BENCH_ONLY (intake: the runs above
 * only; register: bench/register.ts only; by default both, the register's figures under "register").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writePartnerConfig } from './intake-partners.js';
import { intakeRun, progress, type BenchContext, type IntakeRun, type SmallSubmissions, type StoreKind } from './intake-run.js';
import { entries, type TargetEntry } from './intake-targets.js';
import { registerBench } from './register.js';

function listKnob(name: string, oldName: string, fallback: string): string[] {
  const text = process.env[name] ?? process.env[oldName] ?? fallback;
  return [...new Set(text.split(',').map((item) => item.trim()).filter((item) => item !== ''))];
}

const STORES = listKnob('BENCH_STORES', 'BENCH_STORE', 'sqlite,postgres').map((store) => {
  if (store !== 'sqlite' && store !== 'postgres') throw new Error(`BENCH_STORES must list sqlite and/or postgres, not ${store}`);
  return store;
});
const SIZES = listKnob('BENCH_SIZES', 'BENCH_MEMBERS', '50000,250000').map((size) => {
  const members = Number(size.replaceAll('_', ''));
  if (!Number.isInteger(members) || members < 1) throw new Error(`BENCH_SIZES must list member counts, not ${size}`);
  return members;
});
const ONLY = process.env.BENCH_ONLY;
if (ONLY !== undefined && ONLY !== 'intake' && ONLY !== 'register') throw new Error(`BENCH_ONLY must be intake or register, not ${ONLY}`);

/** A run that did not finish: its error, and a target entry that says so. */
interface FailedRun {
  store: StoreKind;
  members: number;
  error: string;
}

/** Every (store, size) run, then the small submissions of each store, then the flat list of targets. */
async function intakeBench(): Promise<Record<string, unknown>> {
  const machine = { cpus: os.cpus().length, node: process.version, loadAverageAtStart: os.loadavg().map((load) => Number(load.toFixed(2))) };
  const workdir = mkdtempSync(path.join(os.tmpdir(), 'mra-bench-'));
  try {
    const configDir = path.join(workdir, 'config');
    const context: BenchContext = {
      workdir,
      configDir,
      signers: await writePartnerConfig(configDir),
      amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      postgresServer: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432',
      connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
      smallSeconds: Number(process.env.BENCH_SMALL_SECONDS ?? 10),
    };
    const smallest = Math.min(...SIZES);
    const runs: (IntakeRun | FailedRun)[] = [];
    const smallSubmissions: Partial<Record<StoreKind, SmallSubmissions | { error: string }>> = {};
    const targets: TargetEntry[] = [];
    for (const store of STORES) {
      for (const members of SIZES) {
        progress(`run ${runs.length + 1} of ${STORES.length * SIZES.length}: ${store}, ${members} members`);
        try {
          const { run, small } = await intakeRun(store, members, members === smallest, context);
          runs.push(run);
          targets.push(...entries('snapshotIntake', store, members, run.snapshotIntake.targets), ...entries('unchangedResend', store, members, run.unchangedResend.targets));
          if (small) {
            smallSubmissions[store] = small;
            targets.push(...entries('smallSubmissions', store, members, small.targets));
          }
        } catch (error) {
          // One run's failure (a refused list, a store that would not start) leaves the others' figures.
          const message = error instanceof Error ? error.message : String(error);
          progress(`${store}, ${members} members failed: ${message}`);
          runs.push({ store, members, error: message });
          if (members === smallest) smallSubmissions[store] = { error: `not measured: the ${members}-member run failed` };
          targets.push({ figure: 'run', store, members, value: null, target: 'completes', met: false });
          process.exitCode = 1;
        }
      }
    }
    const met = targets.filter((entry) => entry.met).length;
    return { machine, stores: STORES, sizes: SIZES, runs, smallSubmissions, targets, targetsMet: `${met} of ${targets.length}` };
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

const intake = ONLY === 'register' ? {} : await intakeBench();
const register = ONLY === 'intake' ? undefined : await registerBench();
process.stdout.write(`${JSON.stringify({ ...intake, ...(register ? { register } : {}) }, null, 2)}\n`);
