import { describe, expect, it } from 'vitest';
import { expectPromisesKept, FOLLOW_UPS, statusesByLabel } from '../support/reliability-expectations.js';
import { brokerGoneBeforeSubmission, brokerLostMidPublish } from '../support/reliability-scenarios.js';

// Issue 6: faults between the gateway and RabbitMQ, injected with a TCP proxy on the real broker. Each
// scenario submits a large snapshot, a change snapshot, a stale and an invalid one, and a replay, and
// audits what a consumer received against the outbox and the receipts (test/support/delivery-audit.ts).
// `npm run reliability` runs the same scenarios and writes docs/reliability.md.

describe('records reach consumers through broker faults', () => {
  it('broker gone before a submission: intake goes on, records wait in the outbox, all arrive once it is back', { timeout: 90_000 }, async () => {
    const result = await brokerGoneBeforeSubmission();
    expect(statusesByLabel(result)).toEqual(FOLLOW_UPS);
    expectPromisesKept(result);
    expect(result.observed.arrivedDuringOutage).toBe(0);
    expect(result.observed.waitingInOutbox).toBe(result.audit.receipted);
    expect(result.audit.duplicates, 'nothing was in flight when the broker went').toBe(0);
  });

  it('connection cut when half of a 5,000-member snapshot has arrived, then back: nothing lost, order kept, duplicates only', { timeout: 90_000 }, async () => {
    const result = await brokerLostMidPublish();
    expect(statusesByLabel(result)).toEqual(FOLLOW_UPS);
    expectPromisesKept(result);
    expect(result.observed.notMarkedPublishedAtCut, 'the cut came while records were unconfirmed').toBeGreaterThan(0);
    expect(result.observed.firstSnapshotRecordsDeliveredOnlyAfterReconnect, 'part of the snapshot was delivered only after the reconnect').toBeGreaterThan(0);
  });
});
