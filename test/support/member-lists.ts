import { randomUUID } from 'node:crypto';
import type { Member, MemberList, Removal } from '../../src/domain/generated/member-list.js';

export type { Member, MemberList };

/** An EU AEO member with plausible data; override what a test is about. */
export function euMember(overrides: Partial<Member> = {}): Member {
  return {
    memberId: 'DE1234567890123',
    idScheme: 'EORI',
    legalName: 'Amalgamated Plastics GmbH',
    tradeNames: ['AmaPlast'],
    address: { lines: ['Industriestrasse 12'], city: 'Hamburg', postalCode: '20095', country: 'DE' },
    roles: ['manufacturer', 'exporter'],
    status: 'certified',
    statusSince: '2021-03-01',
    certifiedOn: '2021-03-01',
    lastValidatedOn: '2024-02-15',
    certificateType: 'AEOF',
    ...overrides,
  };
}

let sequence = 0;

/** A member list issued now, with a fresh messageId and a sequence above any earlier one in this process. */
export function memberList(members: (Member | Removal)[], overrides: Partial<MemberList> = {}): MemberList {
  return {
    specVersion: '1.0',
    messageId: `msg-${randomUUID()}`,
    administration: 'EU',
    issuedAt: new Date().toISOString(),
    kind: 'snapshot',
    sequence: Date.now() * 10 + (++sequence % 10),
    members,
    ...overrides,
  };
}
