import type Database from 'better-sqlite3';
import type { ReceivedRecord, TestConsumer } from './broker.js';
import type { ReceiptCounts } from '../../src/domain/intake/receipt.js';

/** A row of the gateway's outbox, in outbox order (seq). */
export interface OutboxRow {
  seq: number;
  eventId: string;
  memberKey: string;
  /** The message that produced the record (the record's source.messageId). */
  messageId: string;
  published: boolean;
}

/** Reads the whole outbox of a gateway's store, in order. */
export function readOutbox(db: Database.Database): OutboxRow[] {
  const rows = db
    .prepare('SELECT seq, event_id, member_key, body, seq <= (SELECT published_through FROM outbox_cursor) AS published FROM outbox ORDER BY seq')
    .all() as {
    seq: number;
    event_id: string;
    member_key: string;
    body: Buffer | string;
    published: 0 | 1;
  }[];
  return rows.map((row) => ({
    seq: row.seq,
    eventId: row.event_id,
    memberKey: row.member_key,
    messageId: (JSON.parse(row.body.toString()) as { source: { messageId: string } }).source.messageId,
    published: row.published === 1,
  }));
}

export type { ReceiptCounts } from '../../src/domain/intake/receipt.js';

/** One submission as the partner saw it. */
export interface Submission {
  label: string;
  messageId: string;
  /** The HTTP status; 0 when no answer came. */
  status: number;
  /** The receipt's counts, on 200 and 202. */
  counts?: ReceiptCounts;
  /** The problem type, on a rejection. */
  problem?: string;
}

/** What partners were told: every submission with its outcome, and the records receipts promised. */
export class SubmissionLog {
  readonly entries: Submission[] = [];

  add(label: string, messageId: string, response: { status: number; body: unknown }): Submission {
    const body = (response.body ?? {}) as { counts?: ReceiptCounts; type?: string };
    const entry: Submission = {
      label,
      messageId,
      status: response.status,
      ...(response.status < 300 && body.counts ? { counts: body.counts } : {}),
      ...(response.status >= 400 && body.type ? { problem: body.type } : {}),
    };
    this.entries.push(entry);
    return entry;
  }

  /** A submission that got no answer at all (the gateway died, the connection broke). */
  addUnanswered(label: string, messageId: string): Submission {
    const entry: Submission = { label, messageId, status: 0 };
    this.entries.push(entry);
    return entry;
  }

  /** The last submission sent under `label`. */
  get(label: string): Submission | undefined {
    return this.entries.findLast((e) => e.label === label);
  }

  get accepted(): Submission[] {
    return this.entries.filter((e) => e.status === 202);
  }

  get replayed(): Submission[] {
    return this.entries.filter((e) => e.status === 200);
  }

  get rejected(): Submission[] {
    return this.entries.filter((e) => e.status >= 400);
  }

  /** Messages the gateway holds receipts for (accepted, or replayed: a replay repeats the original receipt). */
  get receiptedMessageIds(): Set<string> {
    return new Set(this.entries.filter((e) => e.status === 200 || e.status === 202).map((e) => e.messageId));
  }

  /**
   * Records promised by receipts: the change counts of every receipted message, once per message (a
   * replay's receipt repeats the counts of the original, which may be the only receipt the partner saw
   * when the first answer was lost).
   */
  get receiptedRecords(): number {
    const counted = new Map<string, number>();
    for (const e of this.entries) if ((e.status === 200 || e.status === 202) && e.counts) counted.set(e.messageId, changes(e.counts));
    return [...counted.values()].reduce((sum, n) => sum + n, 0);
  }
}

/** The records a receipt's counts stand for: every change, nothing for unchanged members. */
export function changes(counts: ReceiptCounts): number {
  return counts.added + counts.updated + counts.statusChanged + counts.removed;
}

/** What arrived at the consumer measured against what the gateway receipted and stored. */
export interface DeliveryAudit {
  /** Records the receipts promised (sum of their change counts, once per message). */
  receipted: number;
  /** Rows in the outbox: should equal `receipted`. */
  stored: number;
  /** Messages the consumer received, duplicates included. */
  arrivals: number;
  /** Distinct stored records that arrived. */
  delivered: number;
  /** Arrivals beyond the first of each eventId (at-least-once redeliveries). */
  duplicates: number;
  /** Stored records that never arrived. */
  lost: number;
  /** Arrivals whose eventId is not in the outbox at all. */
  unexpected: number;
  /** Members whose records (first arrival of each) came in another order than the outbox's. */
  outOfOrder: number;
  /** Members with more than one record, for whom the order check means something. */
  membersWithSeveralRecords: number;
  /** Arrivals whose AMQP messageId or ce-id header is not the record's eventId, or whose body differs from the first arrival's. */
  unstableIds: number;
  /** Arrivals that belong to a rejected message. */
  fromRejected: number;
}

/**
 * Compares the consumer's arrivals with the outbox. Order is judged per member on first arrivals, as a
 * consumer that de-duplicates on messageId sees them: a redelivery of a record already seen does not
 * reorder anything for such a consumer, while a record arriving before an earlier one of its member
 * does.
 */
export function auditDelivery(input: { log: SubmissionLog; outbox: readonly OutboxRow[]; arrivals: readonly ReceivedRecord[] }): DeliveryAudit {
  const { log, outbox, arrivals } = input;
  const stored = new Map(outbox.map((row) => [row.eventId, row]));
  const accepted = log.receiptedMessageIds;
  const rejected = new Set(log.rejected.map((e) => e.messageId).filter((id) => !accepted.has(id)));
  const firstBody = new Map<string, string>();
  const firstArrivals: ReceivedRecord[] = [];
  let unexpected = 0;
  let unstableIds = 0;
  let fromRejected = 0;
  for (const arrival of arrivals) {
    const { eventId } = arrival.body;
    const sourceMessageId = (arrival.body.source as { messageId?: string } | undefined)?.messageId ?? '';
    if (rejected.has(sourceMessageId)) fromRejected++;
    const body = JSON.stringify(arrival.body);
    if (arrival.properties.messageId !== eventId || (arrival.properties.headers ?? {})['ce-id'] !== eventId) unstableIds++;
    const earlier = firstBody.get(eventId);
    if (earlier === undefined) {
      firstBody.set(eventId, body);
      if (stored.has(eventId)) firstArrivals.push(arrival);
      else unexpected++;
    } else if (earlier !== body) {
      unstableIds++;
    }
  }

  const expectedByMember = groupByMember(outbox.map((row) => ({ key: row.memberKey, eventId: row.eventId })));
  const arrivedByMember = groupByMember(firstArrivals.map((a) => ({ key: a.body.member.key, eventId: a.body.eventId })));
  let outOfOrder = 0;
  let membersWithSeveralRecords = 0;
  for (const [member, expected] of expectedByMember) {
    if (expected.length > 1) membersWithSeveralRecords++;
    const arrived = arrivedByMember.get(member) ?? [];
    // Compare the arrival order with the outbox order of the records that did arrive (lost ones are counted apart).
    const arrivedSet = new Set(arrived);
    const expectedArrived = expected.filter((id) => arrivedSet.has(id));
    if (expectedArrived.some((id, i) => arrived[i] !== id)) outOfOrder++;
  }

  const delivered = firstArrivals.length;
  return {
    receipted: log.receiptedRecords,
    stored: outbox.length,
    arrivals: arrivals.length,
    delivered,
    duplicates: arrivals.length - firstBody.size,
    lost: outbox.length - delivered,
    unexpected,
    outOfOrder,
    membersWithSeveralRecords,
    unstableIds,
    fromRejected,
  };
}

function groupByMember(items: readonly { key: string; eventId: string }[]): Map<string, string[]> {
  const byMember = new Map<string, string[]>();
  for (const { key, eventId } of items) {
    const list = byMember.get(key);
    if (list) list.push(eventId);
    else byMember.set(key, [eventId]);
  }
  return byMember;
}

/** Distinct eventIds the consumer has received. */
export function distinctEventIds(consumer: TestConsumer): Set<string> {
  return new Set(consumer.records.map((r) => r.body.eventId));
}

/**
 * Waits until every one of `eventIds` reached the consumer and `drained()` says the gateway has nothing
 * left to send, then `settleMs` more for late redeliveries. Never throws on a timeout: the audit reports
 * what is missing, which says more than a timeout would.
 */
export async function waitForDelivery(
  consumer: TestConsumer,
  eventIds: readonly string[],
  drained: () => boolean | Promise<boolean>,
  options: { timeoutMs?: number; settleMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const missing = new Set(eventIds);
  let seen = 0;
  while (Date.now() < deadline) {
    for (; seen < consumer.records.length; seen++) missing.delete(consumer.records[seen]!.body.eventId);
    if (missing.size === 0 && (await drained())) {
      await sleep(options.settleMs ?? 300);
      return true;
    }
    await sleep(25);
  }
  return false;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(20);
  }
}
