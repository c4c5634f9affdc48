import { expect } from 'vitest';
import type { ScenarioResult } from './reliability-scenarios.js';
import { summaryLine } from './reliability-report.js';

/**
 * The promises of ICD 1 and 2 under a fault: every receipted record is stored and arrives at least
 * once, with its stable messageId, in outbox order per member, and nothing of a refused message
 * arrives. Duplicates are allowed (at least once) and printed, not judged here.
 */
export function expectPromisesKept(result: ScenarioResult): void {
  console.log(summaryLine(result));
  const { audit } = result;
  expect(result.observed.completeInTime, 'every stored record arrived before the deadline').toBe(true);
  expect(audit.receipted).toBeGreaterThan(0);
  expect(audit.stored, 'records in the outbox = records the receipts promised').toBe(audit.receipted);
  expect(audit.lost, 'receipted records that never arrived').toBe(0);
  expect(audit.delivered).toBe(audit.receipted);
  expect(audit.unexpected, 'arrivals that are in no outbox row').toBe(0);
  expect(audit.unstableIds, 'arrivals whose messageId/ce-id is not the eventId, or whose redelivery differs').toBe(0);
  expect(audit.outOfOrder, 'members whose records arrived out of outbox order').toBe(0);
  expect(audit.membersWithSeveralRecords, 'members with several records (else order was not tested)').toBeGreaterThan(0);
  expect(audit.fromRejected, 'arrivals from rejected messages').toBe(0);
}

/** What the partner is told in every broker-fault scenario (see followUps in reliability-scenarios.ts). */
export const FOLLOW_UPS = { 'S1 snapshot': 202, 'S2 changes': 202, 'R1 stale sequence': 409, 'R2 invalid member': 422, 'S1 replayed': 200 };

/** The HTTP statuses the partner got, by label. */
export function statusesByLabel(result: ScenarioResult): Record<string, number> {
  return Object.fromEntries(result.log.entries.map((e) => [e.label, e.status]));
}
