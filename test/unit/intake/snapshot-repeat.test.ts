import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMraRegistry } from '../../../src/config/mra-registry-file.js';
import { ArrangementRegistry } from '../../../src/domain/arrangement.js';
import type { Acceptance, MemberWrites, AcceptedMessage, IntakeStore, IntakeTransaction } from '../../../src/domain/intake/intake-store.js';
import { MemberListIntake } from '../../../src/domain/intake/member-list-intake.js';
import { membersDigest, repeatOutcome, rulesDigest, type MarkedSnapshot, type SnapshotMark } from '../../../src/domain/intake/snapshot-repeat.js';
import { memberListSchema } from '../../../src/validation/json-schemas.js';
import { euMember, memberList } from '../../support/member-lists.js';
import { createPartnerKey } from '../../support/partner-keys.js';

const arrangements = new ArrangementRegistry(loadMraRegistry(path.resolve(import.meta.dirname, '../../../config')));
const eu = arrangements.find('EU')!;
const signingKey = await createPartnerKey('EU');

/** A store holding one administration's state in memory; `markInside` is what the transaction sees. */
class MemoryIntakeStore implements IntakeStore {
  readonly accepted: Acceptance[] = [];
  readonly written: MemberWrites[] = [];
  fullPathRuns = 0;
  constructor(
    private readonly markOutside: MarkedSnapshot | undefined,
    private readonly markInside: SnapshotMark | undefined,
    private readonly fingerprints: Map<string, string>,
  ) {}
  async markedSnapshot(_administration: string, membersLength: number) {
    return this.markOutside?.mark.membersLength === membersLength ? this.markOutside : undefined;
  }
  async intake<T>(_administration: string, work: (tx: IntakeTransaction) => Promise<T>): Promise<T> {
    const tx: IntakeTransaction = {
      partnerKey: async (administration, kid) => ({ administration, kid, jwk: signingKey.publicJwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date(0) }),
      arrangementStatus: async () => undefined,
      findMessage: async () => undefined,
      cursor: async () => ({ lastSequence: null, lastSnapshotIssuedAt: null }),
      fingerprints: async () => {
        this.fullPathRuns++;
        return this.fingerprints;
      },
      loadMembers: async () => new Map(),
      removedVersions: async () => new Map(),
      snapshotMark: async () => this.markInside,
      write: async (writes) => void this.written.push(writes),
      accept: async (acceptance) => void this.accepted.push(acceptance),
    };
    return work(tx);
  }
}

function intakeWith(store: IntakeStore, payload: string) {
  return new MemberListIntake({
    verifier: { verify: async () => ({ payload: Buffer.from(payload), administration: 'EU', kid: 'k', kids: ['k'] }) },
    schema: memberListSchema,
    arrangements,
    store,
    signer: { sign: async () => 'signed' },
    clock: { now: () => new Date() },
    limits: { maxMembers: 1000, maxClockSkewMs: 300_000, maxMessageAgeMs: 86_400_000 },
    gatewayVersion: '1.2.3',
  });
}

const members = [euMember()];
const payload = JSON.stringify(memberList(members));
const span = { start: payload.indexOf('"members":') + '"members":'.length, end: payload.length - 1 };
const mark: SnapshotMark = {
  membersDigest: membersDigest(Buffer.from(payload), span),
  membersLength: span.end - span.start,
  rulesDigest: rulesDigest(eu, '1.2.3'),
  messageId: 'before',
  receivedAt: new Date(Date.now() - 60_000).toISOString(),
};
const earlierReceipt = {
  messageId: 'before',
  administration: 'EU',
  receivedAt: mark.receivedAt,
  outcome: 'accepted',
  counts: { members: 1, added: 1, updated: 0, statusChanged: 0, removed: 0, unchanged: 0, notRecognized: 0 },
  warnings: [],
  receipt: 'x',
} satisfies AcceptedMessage['receipt'];

describe('repeated snapshots', () => {
  it('takes the shortcut only while the mark inside the transaction is the one seen outside', async () => {
    const same = new MemoryIntakeStore({ mark, receipt: earlierReceipt }, mark, new Map());
    const repeated = await intakeWith(same, payload).submit(Buffer.from('x'), 'compact');
    expect(repeated.receipt.counts).toEqual({ members: 1, added: 0, updated: 0, statusChanged: 0, removed: 0, unchanged: 1, notRecognized: 0 });
    expect(same.fullPathRuns).toBe(0);
    expect(same.accepted[0]).not.toHaveProperty('snapshotMark');

    // A delta committed in between: the transaction sees no mark, and the full path runs instead.
    const moved = new MemoryIntakeStore({ mark, receipt: earlierReceipt }, undefined, new Map());
    const full = await intakeWith(moved, payload).submit(Buffer.from('x'), 'compact');
    expect(moved.fullPathRuns).toBe(1);
    expect(full.receipt.counts).toMatchObject({ members: 1, added: 1 });
    expect(moved.written.flatMap((w) => w.records)).toHaveLength(1);
    expect(moved.accepted[0]!.snapshotMark).toMatchObject({ membersDigest: mark.membersDigest, messageId: (JSON.parse(payload) as { messageId: string }).messageId });
  });

  it('is not assumed when the text, the rules, the size limit or the clock say otherwise', () => {
    const current = { bytes: Buffer.from(payload), members: span, rulesDigest: mark.rulesDigest, receivedAt: new Date(), maxMembers: 1000 };
    const marked = { mark, receipt: earlierReceipt };
    expect(repeatOutcome(marked, current)).toBeDefined();
    expect(repeatOutcome(undefined, current)).toBeUndefined();
    expect(repeatOutcome(marked, { ...current, members: undefined })).toBeUndefined();
    expect(repeatOutcome(marked, { ...current, rulesDigest: rulesDigest(eu, '1.2.4') })).toBeUndefined();
    expect(repeatOutcome(marked, { ...current, rulesDigest: rulesDigest({ ...eu, recognizedCertificateTypes: ['AEOS'] }, '1.2.3') })).toBeUndefined();
    expect(repeatOutcome(marked, { ...current, maxMembers: 0 })).toBeUndefined();
    expect(repeatOutcome(marked, { ...current, receivedAt: new Date(Date.parse(mark.receivedAt) - 1) })).toBeUndefined();
    const edited = payload.replace('Hamburg', 'Hamborg');
    expect(repeatOutcome(marked, { ...current, bytes: Buffer.from(edited) })).toBeUndefined();
    for (const code of ['date-in-future', 'warnings-truncated'] as const) {
      expect(repeatOutcome({ mark, receipt: { ...earlierReceipt, warnings: [{ pointer: '', code, detail: '' }] } }, current)).toBeUndefined();
    }
    // The arrangement's status is checked on every message; it is not part of the rules.
    expect(rulesDigest({ ...eu, status: 'suspended' }, '1.2.3')).toBe(mark.rulesDigest);
  });
});
