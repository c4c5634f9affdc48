import { describe, expect, it } from 'vitest';
import { expectPromisesKept, FOLLOW_UPS, statusesByLabel } from '../support/reliability-expectations.js';
import { stallMidPublish, stallPastHeartbeat, stopDuringStall } from '../support/reliability-scenarios.js';

// Issue 6: the network between gateway and broker goes silent (TcpProxy.stall: connections stay open,
// no bytes pass), as with a dropped route or a hung broker, unlike a refused connection.

describe('records reach consumers through a stalled network', () => {
  it('a stall mid-publish, then resumed: nothing confirmed during the stall, everything after, no duplicates', { timeout: 90_000 }, async () => {
    const result = await stallMidPublish();
    expect(statusesByLabel(result)).toEqual(FOLLOW_UPS);
    expectPromisesKept(result);
    expect(result.observed.notMarkedPublishedAtStall).toBeGreaterThan(0);
    expect(result.observed.confirmedDuringStall).toBe(0);
    expect(result.observed.connectedThroughStall).toBe(true);
    expect(result.observed.firstSnapshotRecordsDeliveredOnlyAfterResume).toBeGreaterThan(0);
    expect(result.audit.duplicates, 'the connection never dropped, so nothing was sent twice').toBe(0);
  });

  it('a stall past the heartbeat timeout: the dead connection is dropped, the gateway reconnects after it, nothing is lost', { timeout: 90_000 }, async () => {
    const result = await stallPastHeartbeat();
    expect(statusesByLabel(result)).toEqual(FOLLOW_UPS);
    expectPromisesKept(result);
    expect(result.observed.connectedAtEndOfStall, 'the heartbeat declared the silent connection dead').toBe(false);
    expect(result.observed.disconnections).toBeGreaterThan(0);
    expect(result.observed.firstSnapshotRecordsDeliveredOnlyAfterResume).toBeGreaterThan(0);
  });
});

// Regression test for a defect this file found (issue 6): AmqpRecordPublisher.close() awaited
// channel.close() and connection.close() without a time limit, and both wait for the broker's
// close-ok, so while the broker connection was stalled Gateway.close() (and SIGTERM in main.ts) hung
// until bytes flowed again or the heartbeat gave up (about 2 minutes with RabbitMQ's default 60 s).
// The close is now bounded; unconfirmed records stay in the outbox and go after the restart.
describe('a graceful stop while the broker connection is stalled', () => {
  it('Gateway.close() returns within 5 s although the broker does not answer', { timeout: 60_000 }, async () => {
    const { stopMs, limitMs } = await stopDuringStall(5000);
    console.log(`graceful stop during a broker stall: ${stopMs === null ? `still stopping after ${limitMs} ms` : `${stopMs} ms`}`);
    expect(stopMs, 'Gateway.close() waits on the silent broker: AmqpRecordPublisher.close() has no time limit').not.toBeNull();
  });
});
