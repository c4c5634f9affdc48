import type { OutboxRecord } from '../../src/domain/intake/intake-store.js';

/** The n-th record of a member, as the intake would write it (its body names member and n). */
export function outboxRecord(administration: string, memberId: string, n: number): OutboxRecord {
  return {
    eventId: `${administration}-${memberId}-${n}`,
    administration,
    memberKey: `${administration}:${memberId}`,
    change: 'added',
    routingKey: `member.${administration}.added`,
    occurredAt: '2026-01-01T00:00:01.000Z',
    body: JSON.stringify({ memberId, n }),
  };
}
