import { membersOf, nextSnapshot, SCENARIO_ADMINISTRATIONS, type ScenarioAdministration } from './administration-members.js';
import { deleteTopology, TestConsumer, type ReceivedRecord } from './broker.js';
import { auditDelivery, readOutbox, waitForDelivery, type OutboxRow } from './delivery-audit.js';
import type { Removal } from '../../src/domain/generated/member-list.js';
import { memberList, type Member, type MemberList } from './member-lists.js';
import { createPartnerKey } from './partner-keys.js';
import { Partner, requireBroker, type ScenarioResult } from './reliability-scenarios.js';
import { removeTestFiles, startTestGateway, type TestGateway, embeddedDb } from './test-gateway.js';

/** Two submissions of one administration sent at the same moment, and how they came out. */
export interface Race {
  administration: ScenarioAdministration;
  name: string;
  /** Statuses in the order the submissions were made (not answered). */
  statuses: number[];
  /** Whether the outcome is one the sequence rules allow (see each race). */
  allowed: boolean;
}

export interface ConcurrencyResult extends ScenarioResult {
  races: Race[];
  /** Members (all administrations) whose stored state differs from the last accepted snapshot. */
  storedStateMismatches: number;
  /** Members whose state, rebuilt from the records a consumer received, differs from the last accepted snapshot. */
  consumerStateMismatches: number;
  /** Messages whose records are not one contiguous run in the outbox. */
  interleavedMessages: number;
  /** Members whose records do not follow their messages' sequence order. */
  sequenceRegressions: number;
}

const MEMBERS_PER_ADMINISTRATION = 300;

/** What a member looks like for the comparison of states: the fields the scenario changes. */
interface MemberView {
  legalName: string;
  status: string;
}

/**
 * Six administrations submit at once, each a chain of three snapshots (300 members, then renames,
 * suspensions, removals and additions), and then each races two submissions against each other:
 *
 * - EU: two different snapshots with the same sequence: exactly one is accepted, the other is 409.
 * - GB: one messageId with two different bodies: exactly one is accepted, the other is 409.
 * - JP: eight snapshots with sequences n..n+7: n+7 is accepted, each other one 202 or 409.
 * - MX: sequences n and n+1 at once: both accepted (n first) or n refused with 409 (n+1 first).
 * - KR: the identical body twice: one 202 and one 200 (replay) with the same receipt.
 * - CA: a delta and a snapshot with the next two sequences at once: as for MX.
 *
 * Then: the stored state and the state a consumer rebuilds from the records both equal each
 * administration's last accepted snapshot (no lost update), every message's records are contiguous in
 * the outbox, and every member's records follow its messages' sequence.
 */
export async function concurrentAdministrations(): Promise<ConcurrencyResult> {
  const started = Date.now();
  await requireBroker();
  const keys = await Promise.all(SCENARIO_ADMINISTRATIONS.map((code) => createPartnerKey(code)));
  const test = await startTestGateway({ keys });
  const consumer = await TestConsumer.bind(test.topology.exchange);
  try {
    const partners = new Map(SCENARIO_ADMINISTRATIONS.map((code, i) => [code, new Partner(test.http, keys[i]!)]));
    /** Every list sent, by administration and label, to know its sequence and its members afterwards. */
    const sent = new Map<string, MemberList>();
    const races: Race[] = [];

    await Promise.all(
      SCENARIO_ADMINISTRATIONS.map(async (code) => {
        const partner = partners.get(code)!;
        const submit = (label: string, list: MemberList): Promise<number> => {
          sent.set(`${code}:${label}`, list);
          return partner.submit(label, list);
        };
        const s1 = memberList(membersOf(code, MEMBERS_PER_ADMINISTRATION), { administration: code, sequence: 1 });
        const s2 = memberList(nextSnapshot(s1.members as Member[], membersOf(code, 15, 'B'), 1), { administration: code, sequence: 2 });
        const s3 = memberList(nextSnapshot(s2.members as Member[], membersOf(code, 15, 'C'), 2), { administration: code, sequence: 3 });
        for (const [label, list] of [['S1', s1], ['S2', s2], ['S3', s3]] as const) await submit(label, list);
        races.push(await race(code, s3, submit, partner, (label, list) => sent.set(`${code}:${label}`, list)));
      }),
    );

    const outbox = readOutbox(embeddedDb(test.gateway));
    const drained = (): boolean => test.counts().unpublished === 0 && test.gateway.relay.inFlightCount === 0;
    const completeInTime = await waitForDelivery(consumer, outbox.map((r) => r.eventId), drained);
    const acceptedLists = [...partners].flatMap(([code, partner]) => partner.log.accepted.map((e) => sent.get(`${code}:${e.label}`)!));
    const log = mergedLog(partners);
    const expected = lastAcceptedStates(acceptedLists);
    return {
      name: 'concurrent administrations',
      tried: `6 administrations (${SCENARIO_ADMINISTRATIONS.join(', ')}) submitting 3 snapshots of ${MEMBERS_PER_ADMINISTRATION} members each at once, then racing submissions of its own (2 to 8 at once)`,
      log,
      audit: auditDelivery({ log, outbox, arrivals: consumer.records }),
      observed: { completeInTime, accepted: log.accepted.length, refused: log.rejected.length, replayed: log.replayed.length },
      durationMs: Date.now() - started,
      races,
      storedStateMismatches: compareStates(expected, storedStates(test)),
      consumerStateMismatches: compareStates(expected, consumerStates(consumer.records)),
      interleavedMessages: interleavedMessages(outbox),
      sequenceRegressions: sequenceRegressions(outbox, new Map(acceptedLists.map((list) => [list.messageId, list]))),
    };
  } finally {
    await consumer.close();
    await test.stop();
    await deleteTopology(test.topology);
    removeTestFiles(test);
  }
}

async function race(
  code: ScenarioAdministration,
  last: MemberList,
  submit: (label: string, list: MemberList) => Promise<number>,
  partner: Partner,
  remember: (label: string, list: MemberList) => void,
): Promise<Race> {
  const members = last.members as Member[];
  const renamed = (suffix: string) => members.map((m, i) => (i % 3 === 0 ? { ...m, legalName: `${m.legalName} ${suffix}` } : m));
  switch (code) {
    case 'EU': {
      const a = memberList(renamed('(race A)'), { administration: code, sequence: 4 });
      const b = memberList(renamed('(race B)'), { administration: code, sequence: 4 });
      const statuses = await Promise.all([submit('R4a', a), submit('R4b', b)]);
      return { administration: code, name: 'two different snapshots, same sequence', statuses, allowed: statuses.toSorted().join() === '202,409' };
    }
    case 'GB': {
      const a = memberList(renamed('(body A)'), { administration: code, sequence: 4 });
      const b = { ...memberList(renamed('(body B)'), { administration: code, sequence: 5 }), messageId: a.messageId };
      const statuses = await Promise.all([submit('R4', a), submit('R4 other body', b)]);
      // Whichever came second: same messageId, other digest -> 409 (rule 7).
      return { administration: code, name: 'one messageId, two different bodies at once', statuses, allowed: statuses.toSorted().join() === '202,409' };
    }
    case 'JP': {
      const lists = Array.from({ length: 8 }, (_, i) => memberList(renamed(`(seq ${4 + i})`), { administration: code, sequence: 4 + i }));
      // Sent in a scrambled order, so that some lower sequences arrive after higher ones.
      const statuses: number[] = [];
      await Promise.all([3, 7, 0, 5, 1, 6, 2, 4].map(async (i) => (statuses[i] = await submit(`R${4 + i}`, lists[i]!))));
      // The highest sequence always wins; any lower one is accepted only if it came before every higher one.
      return { administration: code, name: 'eight snapshots, sequences n..n+7 at once, sent scrambled', statuses, allowed: statuses[7] === 202 && statuses.every((s) => s === 202 || s === 409) };
    }
    case 'MX': {
      const a = memberList(renamed('(seq 4)'), { administration: code, sequence: 4 });
      const b = memberList(renamed('(seq 5)'), { administration: code, sequence: 5 });
      const statuses = await Promise.all([submit('R4', a), submit('R5', b)]);
      return { administration: code, name: 'sequences n and n+1 at once', statuses, allowed: statuses[1] === 202 && (statuses[0] === 202 || statuses[0] === 409) };
    }
    case 'KR': {
      const twice = memberList(renamed('(sent twice)'), { administration: code, sequence: 4 });
      const labels = ['R4', 'R4 at the same moment'] as const;
      // Either may be the one accepted (202); the other is its replay (200).
      for (const label of labels) remember(label, twice);
      const statuses = await partner.submitTwiceAtOnce(labels, twice);
      return { administration: code, name: 'the identical body twice at once', statuses, allowed: statuses.toSorted().join() === '200,202' };
    }
    case 'CA': {
      const removal = { memberId: members[0]!.memberId, removed: true as const };
      const delta = memberList([removal, { ...members[1]!, legalName: `${members[1]!.legalName} (delta)` }], { administration: code, kind: 'delta', sequence: 4 });
      const snapshot = memberList(renamed('(after delta)'), { administration: code, sequence: 5 });
      const statuses = await Promise.all([submit('R4 delta', delta), submit('R5', snapshot)]);
      return { administration: code, name: 'a delta (n) and a snapshot (n+1) at once', statuses, allowed: statuses[1] === 202 && (statuses[0] === 202 || statuses[0] === 409) };
    }
  }
}

function mergedLog(partners: Map<string, Partner>): Partner['log'] {
  const [first, ...rest] = [...partners.values()];
  for (const partner of rest) first!.log.entries.push(...partner.log.entries);
  return first!.log;
}

/**
 * The state each administration's accepted messages leave, applied in sequence order: a snapshot
 * replaces the whole list, a delta changes or removes the members it names.
 */
function lastAcceptedStates(accepted: MemberList[]): Map<string, MemberView> {
  const byAdministration = new Map<string, MemberList[]>();
  for (const list of accepted) byAdministration.set(list.administration, [...(byAdministration.get(list.administration) ?? []), list]);
  const state = new Map<string, MemberView>();
  for (const [code, lists] of byAdministration) {
    const current = new Map<string, MemberView>();
    for (const list of lists.toSorted((a, b) => a.sequence! - b.sequence!)) {
      if (list.kind === 'snapshot') current.clear();
      for (const entry of list.members as (Member | Removal)[]) {
        if ('removed' in entry) current.delete(entry.memberId);
        else current.set(entry.memberId, { legalName: entry.legalName, status: entry.status });
      }
    }
    for (const [memberId, view] of current) state.set(`${code}:${memberId}`, view);
  }
  return state;
}

function storedStates(test: TestGateway): Map<string, MemberView> {
  const rows = embeddedDb(test.gateway).prepare('SELECT administration, member_id, member FROM members WHERE removed_at IS NULL').all() as { administration: string; member_id: string; member: string }[];
  return new Map(
    rows.map((row) => {
      const member = JSON.parse(row.member) as MemberView;
      return [`${row.administration}:${row.member_id}`, { legalName: member.legalName, status: member.status }];
    }),
  );
}

/** The state a consumer that de-duplicates on messageId builds by applying records in arrival order. */
function consumerStates(arrivals: readonly ReceivedRecord[]): Map<string, MemberView> {
  const seen = new Set<string>();
  const state = new Map<string, MemberView>();
  for (const { body } of arrivals) {
    if (seen.has(body.eventId)) continue;
    seen.add(body.eventId);
    if (body.change === 'removed') state.delete(body.member.key);
    else state.set(body.member.key, { legalName: String(body.member.legalName), status: String(body.member.status) });
  }
  return state;
}

function compareStates(expected: Map<string, MemberView>, actual: Map<string, MemberView>): number {
  let mismatches = 0;
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const a = expected.get(key);
    const b = actual.get(key);
    if (!a || !b || a.legalName !== b.legalName || a.status !== b.status) mismatches++;
  }
  return mismatches;
}

function interleavedMessages(outbox: readonly OutboxRow[]): number {
  const runs = new Map<string, { first: number; last: number; count: number }>();
  outbox.forEach((row, position) => {
    const run = runs.get(row.messageId);
    if (run) {
      run.last = position;
      run.count++;
    } else runs.set(row.messageId, { first: position, last: position, count: 1 });
  });
  return [...runs.values()].filter((run) => run.last - run.first + 1 !== run.count).length;
}

function sequenceRegressions(outbox: readonly OutboxRow[], accepted: Map<string, MemberList>): number {
  const lastSequence = new Map<string, number>();
  const regressed = new Set<string>();
  for (const row of outbox) {
    const sequence = accepted.get(row.messageId)?.sequence ?? 0;
    if ((lastSequence.get(row.memberKey) ?? 0) >= sequence) regressed.add(row.memberKey);
    lastSequence.set(row.memberKey, sequence);
  }
  return regressed.size;
}
