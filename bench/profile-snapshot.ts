/**
 * Profiling aid for the snapshot path: a gateway in this process receives a snapshot of BENCH_MEMBERS
 * members and its unchanged re-send. Run with `node --cpu-prof --import tsx bench/profile-snapshot.ts`
 * for the whole run, PROFILE_RELAY=file.cpuprofile to profile only the relay draining the outbox
 * after the first receipt, or PROFILE_RESEND=file.cpuprofile (with PROFILE_RELAY, so the relay is idle)
 * for the unchanged re-send alone, PROFILE_FIRST=file.cpuprofile for the first intake up to its receipt.
 */
import { benchMember } from './bench-members.js';
import { profiled, startInProcessGateway } from './in-process-gateway.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 50_000);
const { gateway, sign, stop } = await startInProcessGateway();
const members = Array.from({ length: MEMBERS }, (_, i) => benchMember(i));

for (const [messageId, sequence] of [['first', 1], ['again', 2]] as const) {
  const body = await sign({ specVersion: '1.0', messageId, administration: 'EU', issuedAt: new Date().toISOString(), kind: 'snapshot', sequence, members });
  const started = performance.now();
  // PROFILE_RESEND=file.cpuprofile: profile only the unchanged re-send, once the relay is idle.
  const response = await profiled(messageId === 'again' ? process.env.PROFILE_RESEND : process.env.PROFILE_FIRST, async () => {
    const answer = await fetch(`${gateway.url}/v1/member-lists`, { method: 'POST', headers: { 'Content-Type': 'application/jose' }, body });
    await answer.json();
    return answer;
  });
  process.stderr.write(`${messageId}: ${response.status} in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  if (messageId === 'first' && process.env.PROFILE_RELAY) {
    await profiled(process.env.PROFILE_RELAY, async () => {
      const drainStarted = performance.now();
      // Counting the backlog is itself work on the store: look rarely.
      while ((await gateway.outbox.backlog()).count > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      process.stderr.write(`outbox drained in ${((performance.now() - drainStarted) / 1000).toFixed(2)} s\n`);
    });
  }
}
await stop();
