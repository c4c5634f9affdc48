// npm run reliability [-- --write]
//
// Runs the reliability scenarios of issue 6 against the real RabbitMQ (127.0.0.1:5672, or
// TEST_AMQP_URL): broker faults through a TCP proxy, network stalls, the gateway killed with SIGKILL,
// concurrent administrations, three instances on one PostgreSQL database (under load, the relay holder
// killed, connections cut, the database restarted), a graceful stop during a stall, and how long the
// hostile bodies of the security review (issue 11) take to be refused. Prints a Markdown table of what was
// receipted, delivered, duplicated, lost and out of order; with --write it also puts it into
// docs/reliability.md between its result markers (without, the working tree is left as it was). Exits 1 when a scenario broke a promise.
// The same scenarios run as tests in test/component/reliability-*.test.ts.
import amqp from 'amqplib';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { clusterScenarios } from '../test/support/cluster-scenarios.js';
import { concurrentAdministrations } from '../test/support/concurrency-scenario.js';
import { hostileBodyTable, hostileBodyTimings } from '../test/support/hostile-body-timings.js';
import { BROKER_URL } from '../test/support/broker.js';
import { SHARED_POSTGRES_URL } from '../test/support/postgres-database.js';
import { kept, markdownTable, summaryLine } from '../test/support/reliability-report.js';
import { faultScenarios, requireBroker, stopDuringStall, type ScenarioResult } from '../test/support/reliability-scenarios.js';

const DOC = path.resolve(import.meta.dirname, '../docs/reliability.md');
const BEGIN = '<!-- reliability-results:begin -->';
const END = '<!-- reliability-results:end -->';

async function brokerVersion(): Promise<string> {
  const connection = await amqp.connect(BROKER_URL);
  const properties = connection.connection.serverProperties as { product?: string; version?: string };
  await connection.close();
  return `${properties.product ?? 'broker'} ${properties.version ?? '?'}`;
}

async function postgresVersion(): Promise<string> {
  const client = new pg.Client(SHARED_POSTGRES_URL);
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();
  return `PostgreSQL ${rows[0]?.server_version ?? '?'}`;
}

async function main(): Promise<number> {
  const write = process.argv.includes('--write');
  await requireBroker();
  const started = Date.now();
  const results: ScenarioResult[] = [];
  for (const scenario of [...faultScenarios, concurrentAdministrations]) {
    process.stderr.write(`running ${scenario.name} ...\n`);
    const result = await scenario();
    process.stderr.write(`  ${summaryLine(result)}\n`);
    results.push(result);
  }
  // Several instances on one PostgreSQL database (the shared server, or a private one it restarts).
  const cluster: ScenarioResult[] = [];
  for (const scenario of clusterScenarios) {
    process.stderr.write(`running ${scenario.name} ...\n`);
    const result = await scenario();
    process.stderr.write(`  ${summaryLine(result)}\n`);
    cluster.push(result);
  }
  process.stderr.write('running stopDuringStall ...\n');
  const stop = await stopDuringStall(10_000);
  process.stderr.write('running hostileBodyTimings ...\n');
  const hostile = await hostileBodyTimings();

  const environment = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; Node ${process.version}; ${await brokerVersion()}; ${os.cpus().length} CPU ${os.platform()}; total ${((Date.now() - started) / 1000).toFixed(0)} s`;
  const stopLine =
    stop.stopMs === null
      ? `Graceful stop (Gateway.close(), as on SIGTERM) while the broker connection was stalled: **still stopping after ${stop.limitMs / 1000} s** (returned only once the network was resumed).`
      : `Graceful stop (Gateway.close(), as on SIGTERM) while the broker connection was stalled: returned after ${stop.stopMs} ms.`;
  const hostileLine = 'Hostile bodies before authentication (issue 11), sent one at a time to a gateway process with the default limits while `/healthz` was probed every 20 ms from a worker thread (the first probe includes opening its connection):';
  const clusterLine = `Three gateway processes on one PostgreSQL database (${await postgresVersion()}), five administrations sending at once, each list to the next instance:`;
  const section = [BEGIN, '', `Run: ${environment}.`, '', markdownTable(results), '', clusterLine, '', markdownTable(cluster), '', stopLine, '', hostileLine, '', hostileBodyTable(hostile), '', END].join('\n');
  process.stdout.write(`${section}\n`);

  if (write) {
    const doc = readFileSync(DOC, 'utf8');
    const from = doc.indexOf(BEGIN);
    const to = doc.indexOf(END);
    if (from < 0 || to < from) throw new Error(`${DOC} has no ${BEGIN} ... ${END} section to replace`);
    writeFileSync(DOC, doc.slice(0, from) + section + doc.slice(to + END.length));
    process.stderr.write(`wrote the results into ${path.relative(process.cwd(), DOC)}\n`);
  }
  const broken = [...results, ...cluster].filter((r) => !kept(r));
  for (const result of broken) process.stderr.write(`PROMISE BROKEN: ${summaryLine(result)}\n`);
  return broken.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
