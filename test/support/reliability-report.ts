import type { ConcurrencyResult } from './concurrency-scenario.js';
import type { ScenarioResult } from './reliability-scenarios.js';

/** How a scenario's submissions came out, e.g. "202×2, 200×1, 409×1, 422×1". */
export function submissionSummary(result: ScenarioResult): string {
  const byStatus = new Map<number, number>();
  for (const entry of result.log.entries) byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1);
  return [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status === 0 ? 'no answer' : status}×${n}`)
    .join(', ');
}

/** A scenario's own measurements as "name value" pairs. */
export function observations(result: ScenarioResult): string {
  const parts = Object.entries(result.observed).map(([name, value]) => `${name} ${String(value)}`);
  if (isConcurrency(result)) {
    parts.push(
      ...result.races.map((race) => `${race.administration} ${race.name}: ${race.statuses.join('/')}${race.allowed ? '' : ' (NOT ALLOWED)'}`),
      `storedStateMismatches ${result.storedStateMismatches}`,
      `consumerStateMismatches ${result.consumerStateMismatches}`,
      `interleavedMessages ${result.interleavedMessages}`,
      `sequenceRegressions ${result.sequenceRegressions}`,
    );
  }
  return parts.join('; ');
}

function isConcurrency(result: ScenarioResult): result is ConcurrencyResult {
  return 'races' in result;
}

/** True when the scenario kept every promise: nothing lost, unexpected, out of order, unstable or from a rejected message. */
export function kept(result: ScenarioResult): boolean {
  const a = result.audit;
  const crashed = typeof result.observed.instancesCrashed === 'number' && result.observed.instancesCrashed > 0;
  const promises = !crashed && a.receipted === a.stored && a.lost === 0 && a.unexpected === 0 && a.outOfOrder === 0 && a.unstableIds === 0 && a.fromRejected === 0;
  if (!isConcurrency(result)) return promises;
  return (
    promises &&
    result.races.every((race) => race.allowed) &&
    result.storedStateMismatches === 0 &&
    result.consumerStateMismatches === 0 &&
    result.interleavedMessages === 0 &&
    result.sequenceRegressions === 0
  );
}

/** One line for a test's output. */
export function summaryLine(result: ScenarioResult): string {
  const a = result.audit;
  return (
    `${result.name}: receipted ${a.receipted}, stored ${a.stored}, delivered ${a.delivered}, arrivals ${a.arrivals}, ` +
    `duplicates ${a.duplicates}, lost ${a.lost}, out of order ${a.outOfOrder}, from rejected ${a.fromRejected} (${(result.durationMs / 1000).toFixed(1)} s; ${observations(result)})`
  );
}

const escape = (text: string) => text.replace(/\|/g, '\\|');

/** The results as a Markdown table (what docs/reliability.md shows). */
export function markdownTable(results: readonly ScenarioResult[]): string {
  const header = [
    '| scenario | what was tried | submissions (HTTP status × n) | records receipted | delivered (distinct) | arrivals | duplicates | lost | out of order (members) | members with several records | from rejected messages | unstable ids | promises kept | time (s) |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  const rows = results.map((r) => {
    const a = r.audit;
    return `| ${escape(r.name)} | ${escape(r.tried)} | ${submissionSummary(r)} | ${a.receipted} | ${a.delivered} | ${a.arrivals} | ${a.duplicates} | ${a.lost} | ${a.outOfOrder} | ${a.membersWithSeveralRecords} | ${a.fromRejected} | ${a.unstableIds} | ${kept(r) ? 'yes' : '**NO**'} | ${(r.durationMs / 1000).toFixed(1)} |`;
  });
  const notes = results.map((r) => `- **${escape(r.name)}**: ${escape(observations(r))}`);
  return [...header, ...rows, '', 'Measured along the way:', '', ...notes].join('\n');
}
