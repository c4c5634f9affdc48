import type { NormalizedMember } from '../../src/domain/member/normalized-member.js';
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

/** A whole normalized member (every field the register indexes), with whatever a test changes. */
export function normalizedMember(administration: string, memberId: string, overrides: Partial<NormalizedMember> = {}): NormalizedMember {
  return {
    key: `${administration}:${memberId}`,
    memberId,
    idScheme: 'EORI',
    idCheck: 'valid',
    legalName: memberId,
    tradeNames: [],
    address: { lines: ['1 Rue de la Paix'], city: 'Paris', country: 'FR' },
    roles: ['exporter'],
    status: 'certified',
    statusSince: '2026-01-01',
    certifiedOn: '2026-01-01',
    lastValidatedOn: null,
    certificateType: 'AEOF',
    recognized: true,
    mids: [],
    ...overrides,
  };
}
