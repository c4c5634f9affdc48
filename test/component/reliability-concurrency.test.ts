import { describe, expect, it } from 'vitest';
import { concurrentAdministrations } from '../support/concurrency-scenario.js';
import { expectPromisesKept } from '../support/reliability-expectations.js';

// Issue 6: many administrations at once, and one administration racing itself. The intake serializes
// its transactions, so the sequence rules must hold whatever the interleaving of requests.

describe('concurrent submissions keep the state consistent', () => {
  it('six administrations at once, each racing submissions of its own: sequence rules hold, no lost update, records never interleaved', { timeout: 90_000 }, async () => {
    const result = await concurrentAdministrations();
    expectPromisesKept(result);
    expect(result.audit.duplicates).toBe(0);
    for (const race of result.races) expect(race.allowed, `${race.administration} ${race.name}: ${race.statuses.join('/')}`).toBe(true);
    const race = (administration: string) => result.races.find((r) => r.administration === administration)!;
    expect(race('EU').statuses.toSorted(), 'same sequence: exactly one wins').toEqual([202, 409]);
    expect(race('GB').statuses.toSorted(), 'same messageId, other body: exactly one wins').toEqual([202, 409]);
    expect(race('KR').statuses.toSorted(), 'identical body twice: one acceptance, one replay').toEqual([200, 202]);
    expect(race('JP').statuses.at(-1), 'the highest sequence of a burst always wins').toBe(202);
    const problems = new Set(result.log.rejected.map((e) => e.problem));
    expect([...problems].toSorted()).toEqual(['urn:mra-gateway:problem:message-id-conflict', 'urn:mra-gateway:problem:sequence-not-increasing']);
    expect(result.storedStateMismatches, 'stored members that differ from the last accepted snapshot').toBe(0);
    expect(result.consumerStateMismatches, 'members whose state rebuilt from the records differs from the last accepted snapshot').toBe(0);
    expect(result.interleavedMessages, 'messages whose records are not contiguous in the outbox').toBe(0);
    expect(result.sequenceRegressions, 'members whose records go back in sequence').toBe(0);
  });
});
