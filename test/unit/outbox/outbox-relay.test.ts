import { EventEmitter } from 'node:events';
import winston from 'winston';
import { describe, expect, it } from 'vitest';
import type { OutboxBacklog, OutboxStore, PendingRecord, RecordPublisher } from '../../../src/outbox/outbox-ports.js';
import { OutboxRelay } from '../../../src/outbox/outbox-relay.js';

const silent = winston.createLogger({ silent: true });

/** An outbox in memory, with the same contract as the SQLite one. */
class MemoryOutbox implements OutboxStore {
  publishedThrough: number;
  /** How many records were read through `pending` (not offered). */
  readFromStore = 0;
  constructor(
    readonly records: PendingRecord[],
    publishedThrough = 0,
  ) {
    this.publishedThrough = publishedThrough;
  }
  async begin() {
    return this.publishedThrough;
  }
  async pending(afterSeq: number, limit: number) {
    const found = this.records.filter((r) => r.seq > afterSeq).slice(0, limit);
    this.readFromStore += found.length;
    return found;
  }
  async markPublishedThrough(seq: number) {
    expect(seq).toBeGreaterThan(this.publishedThrough);
    this.publishedThrough = seq;
  }
  async backlog(): Promise<OutboxBacklog> {
    return { count: this.records.filter((r) => r.seq > this.publishedThrough).length, oldestCreatedAt: null };
  }
  async prunePublished() {
    return 0;
  }
  get lastSeq(): number {
    return this.records.at(-1)?.seq ?? 0;
  }
}

/** A broker that confirms after a tick, and fails the publishes a test chooses. */
class ScriptedPublisher extends EventEmitter implements RecordPublisher {
  connected = true;
  blocked = false;
  readonly delivered: PendingRecord[] = [];
  constructor(private readonly fails: (record: PendingRecord, attempt: number) => boolean) {
    super();
  }
  private readonly attempts = new Map<number, number>();
  async publish(record: PendingRecord): Promise<void> {
    const attempt = (this.attempts.get(record.seq) ?? 0) + 1;
    this.attempts.set(record.seq, attempt);
    // What reaches consumers is what the broker took, in publish order; confirms come back later.
    const fails = this.fails(record, attempt);
    if (!fails) this.delivered.push(record);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
    if (fails) throw new Error('nacked');
  }
}

function record(seq: number, member: string): PendingRecord {
  return { seq, eventId: `e${seq}`, administration: 'EU', memberKey: `EU:${member}`, change: 'updated', routingKey: 'member.updated.eu', occurredAt: '2026-01-01T00:00:00Z', body: '{}' };
}

async function drain(outbox: MemoryOutbox, relay: OutboxRelay): Promise<void> {
  const deadline = Date.now() + 5000;
  while (outbox.publishedThrough < outbox.lastSeq || relay.inFlightCount > 0) {
    if (Date.now() > deadline) throw new Error(`confirmed through ${outbox.publishedThrough} of ${outbox.lastSeq}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('outbox relay', () => {
  it('publishes every record and marks it published only once confirmed', async () => {
    const outbox = new MemoryOutbox(Array.from({ length: 300 }, (_, i) => record(i + 1, `m${i}`)));
    const publisher = new ScriptedPublisher(() => false);
    const relay = new OutboxRelay(outbox, publisher, silent, { window: 50, batchSize: 20, pollIntervalMs: 10 });
    relay.start();
    await drain(outbox, relay);
    await relay.stop();
    expect(publisher.delivered.map((r) => r.seq).sort((a, b) => a - b)).toEqual(outbox.records.map((r) => r.seq));
  });

  it('keeps each member in order even when publishes fail and are retried', async () => {
    // Three members, ten versions each, interleaved; every seq divisible by 7 fails on its first attempt.
    const records = Array.from({ length: 30 }, (_, i) => record(i + 1, `m${i % 3}`));
    const outbox = new MemoryOutbox(records);
    const publisher = new ScriptedPublisher((r, attempt) => r.seq % 7 === 0 && attempt === 1);
    const relay = new OutboxRelay(outbox, publisher, silent, { window: 10, batchSize: 10, pollIntervalMs: 10, retryDelayMs: 1, maxRetryDelayMs: 5 });
    relay.start();
    await drain(outbox, relay);
    await relay.stop();
    for (const member of ['EU:m0', 'EU:m1', 'EU:m2']) {
      const seqs = publisher.delivered.filter((r) => r.memberKey === member).map((r) => r.seq);
      // At least once: a record may repeat, but a member's records never go backwards.
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs)).toEqual(new Set(records.filter((r) => r.memberKey === member).map((r) => r.seq)));
    }
  });

  it('waits while disconnected and resumes when the broker is back', async () => {
    const outbox = new MemoryOutbox([record(1, 'a'), record(2, 'b')]);
    const publisher = new ScriptedPublisher(() => false);
    publisher.connected = false;
    const relay = new OutboxRelay(outbox, publisher, silent, { pollIntervalMs: 10_000 });
    relay.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(publisher.delivered).toEqual([]);
    publisher.connected = true;
    publisher.emit('connected');
    await drain(outbox, relay);
    await relay.stop();
    expect(publisher.delivered.map((r) => r.seq)).toEqual([1, 2]);
  });

  it('starts after the position the store says is confirmed', async () => {
    const outbox = new MemoryOutbox(Array.from({ length: 10 }, (_, i) => record(i + 1, `m${i}`)), 6);
    const publisher = new ScriptedPublisher(() => false);
    const relay = new OutboxRelay(outbox, publisher, silent, { pollIntervalMs: 10 });
    relay.start();
    await drain(outbox, relay);
    await relay.stop();
    expect(publisher.delivered.map((r) => r.seq)).toEqual([7, 8, 9, 10]);
  });

  it('does not publish again what the broker confirmed beyond a failed record', async () => {
    // Ten different members: seq 3 fails once; 4..10 are confirmed in the same window.
    const outbox = new MemoryOutbox(Array.from({ length: 10 }, (_, i) => record(i + 1, `m${i}`)));
    const publisher = new ScriptedPublisher((r, attempt) => r.seq === 3 && attempt === 1);
    const relay = new OutboxRelay(outbox, publisher, silent, { window: 20, batchSize: 20, pollIntervalMs: 10, retryDelayMs: 1 });
    relay.start();
    await drain(outbox, relay);
    await relay.stop();
    const seqs = publisher.delivered.map((r) => r.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(outbox.publishedThrough).toBe(10);
  });

  it('publishes offered records from memory, and reads from the store what was not offered', async () => {
    const records = Array.from({ length: 100 }, (_, i) => record(i + 1, `m${i}`));
    const outbox = new MemoryOutbox([]);
    const publisher = new ScriptedPublisher(() => false);
    const relay = new OutboxRelay(outbox, publisher, silent, { window: 40, batchSize: 20, pollIntervalMs: 10 });
    relay.start();
    // 1..50 offered; 51..60 committed but not offered (as when the memory was full); 61..100 offered.
    outbox.records.push(...records.slice(0, 60));
    relay.offer(records.slice(0, 50));
    relay.notify();
    await drain(outbox, relay);
    outbox.records.push(...records.slice(60));
    relay.offer(records.slice(60));
    relay.notify();
    await drain(outbox, relay);
    await relay.stop();
    expect(publisher.delivered.map((r) => r.seq)).toEqual(records.map((r) => r.seq));
    expect(outbox.readFromStore).toBe(10);
  });

  it('leaves offered records to the store when they exceed the memory allowance', async () => {
    const records = Array.from({ length: 30 }, (_, i) => record(i + 1, `m${i}`));
    const outbox = new MemoryOutbox(records);
    const publisher = new ScriptedPublisher(() => false);
    const relay = new OutboxRelay(outbox, publisher, silent, { pollIntervalMs: 10, maxOfferedBytes: 10 });
    relay.start();
    relay.offer(records);
    relay.notify();
    await drain(outbox, relay);
    await relay.stop();
    expect(publisher.delivered.map((r) => r.seq)).toEqual(records.map((r) => r.seq));
    expect(outbox.readFromStore).toBe(30);
  });
});
