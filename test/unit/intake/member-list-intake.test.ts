import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMraRegistry } from '../../../src/config/mra-registry-file.js';
import { ArrangementRegistry } from '../../../src/domain/arrangement.js';
import { systemClock } from '../../../src/domain/clock.js';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import type { IntakeStore, IntakeTransaction } from '../../../src/domain/intake/intake-store.js';
import { MemberListIntake, type IntakeResult } from '../../../src/domain/intake/member-list-intake.js';
import { ReceivedBody } from '../../../src/domain/intake/received-body.js';
import type { JwsSerialization } from '../../../src/domain/signature/jws-envelope.js';
import { MemberListVerifier } from '../../../src/domain/signature/member-list-verifier.js';
import { SqliteDatabase } from '../../../src/store/sqlite/sqlite-database.js';
import { SqliteIntakeStore } from '../../../src/store/sqlite/sqlite-intake-store.js';
import { SqliteOutboxStore } from '../../../src/store/sqlite/sqlite-outbox-store.js';
import { SqlitePartnerKeyStore } from '../../../src/store/sqlite/sqlite-partner-key-store.js';
import { memberListSchema } from '../../../src/validation/json-schemas.js';
import { signCompact, signFlattened, signGeneral } from '../../support/jws.js';
import { euMember, memberList, type MemberList } from '../../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../../support/partner-keys.js';
import { temporaryDirectories } from '../../support/temp-dirs.js';

const CONFIG_DIR = path.resolve(import.meta.dirname, '../../../config');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const dataDir = temporaryDirectories('member-list-intake-');
const opened: SqliteDatabase[] = [];

afterEach(async () => {
  for (const database of opened.splice(0)) await database.close();
});

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('base64url');
const payloadOf = (list: MemberList) => Buffer.from(JSON.stringify(list));

/**
 * The real SQLite store with a hook that runs once, right before the next intake transaction begins:
 * after the signature was verified and the members prepared. What an administrator (or another
 * gateway instance on the same database) does at that moment is what the transaction must see.
 */
class HookedStore implements IntakeStore {
  beforeNextTransaction: (() => void) | undefined;
  transactions = 0;

  constructor(private readonly inner: IntakeStore) {}

  markedSnapshot(administration: string, membersLength: number) {
    return this.inner.markedSnapshot(administration, membersLength);
  }

  intake<T>(administration: string, work: (tx: IntakeTransaction) => Promise<T>): Promise<T> {
    const hook = this.beforeNextTransaction;
    this.beforeNextTransaction = undefined;
    hook?.();
    this.transactions++;
    return this.inner.intake(administration, work);
  }
}

/** MemberListIntake as the gateway wires it (real verifier, real store), with a recording receipt signer. */
async function rig() {
  const database = SqliteDatabase.open(dataDir());
  opened.push(database);
  const db = database.db;
  const [key, second] = await Promise.all([createPartnerKey('EU'), createPartnerKey('EU')]);
  const partnerKeys = new SqlitePartnerKeyStore(database);
  await partnerKeys.add([key, second].map((k) => ({ administration: 'EU', kid: k.kid, jwk: k.publicJwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date() })));
  const store = new HookedStore(new SqliteIntakeStore(database, new SqliteOutboxStore(database).watermark));
  const arrangements = new ArrangementRegistry(loadMraRegistry(CONFIG_DIR));
  const claims: Record<string, unknown>[] = [];
  let recordsQueued = 0;
  const intake = new MemberListIntake({
    verifier: new MemberListVerifier(partnerKeys, systemClock, ['ES256']),
    schema: memberListSchema,
    arrangements,
    store,
    signer: {
      sign: async (signed) => {
        claims.push(signed);
        return `receipt-${claims.length}`;
      },
    },
    clock: systemClock,
    limits: { maxMembers: 1000, maxClockSkewMs: 5 * MINUTE, maxMessageAgeMs: 72 * HOUR },
    gatewayVersion: 'test',
    onRecordsQueued: () => recordsQueued++,
  });
  const count = (table: string) => (db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number);
  return {
    key: key,
    second: second,
    db,
    store,
    arrangements,
    claims,
    recordsQueued: () => recordsQueued,
    submit: (body: string, serialization: JwsSerialization = 'compact'): Promise<IntakeResult> => intake.submit(Buffer.from(body), serialization),
    intake,
    refused: async (body: string, serialization: JwsSerialization = 'compact'): Promise<GatewayError> => {
      const error: unknown = await intake.submit(Buffer.from(body), serialization).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
      return error;
    },
    counts: () => ({ messages: count('accepted_messages'), members: count('members'), outbox: count('outbox'), marks: count('snapshot_marks') }),
    members: () => db.prepare("SELECT member_id, member FROM members WHERE administration = 'EU' AND removed_at IS NULL ORDER BY member_id").all(),
    revoke: (k: PartnerSigningKey, at = new Date()) => db.prepare("UPDATE partner_keys SET revoked_at = ?, revocation_reason = 'exposed' WHERE administration = 'EU' AND kid = ?").run(at.getTime(), k.kid),
    storeStatus: (status: string) =>
      db.prepare("INSERT INTO arrangement_status (administration, status, reason, changed_at, changed_by) VALUES ('EU', ?, 'review', ?, '{}') ON CONFLICT (administration) DO UPDATE SET status = excluded.status").run(status, Date.now()),
  };
}

describe('the body handed to the intake', () => {
  it('is taken over: read once for the signature, digests and size, then let go, accepted or refused', async () => {
    const r = await rig();
    const accepted = new ReceivedBody(Buffer.from(await signCompact(memberList([euMember()]), r.key)));
    expect((await r.intake.submit(accepted, 'compact')).status).toBe(202);
    expect(() => accepted.take()).toThrow();
    const refused = new ReceivedBody(Buffer.from(await signCompact({ ...memberList([euMember()]), kind: 'everything' }, r.key)));
    await expect(r.intake.submit(refused, 'compact')).rejects.toMatchObject({ code: 'schema-violation' });
    expect(() => refused.take()).toThrow();
  });
});

describe('rule 7: a replay is the same messageId with the same signed payload', () => {
  it('answers a re-signed retry and the other serialization with the original receipt, storing nothing', async () => {
    const r = await rig();
    const list = memberList([euMember()]);
    const first = await r.submit(await signCompact(list, r.key));
    expect(first.status).toBe(202);
    const before = r.counts();

    for (const [body, serialization] of [
      [await signCompact(list, r.key), 'compact'],
      [await signFlattened(list, r.key), 'json'],
      [await signGeneral(list, [r.second, r.key]), 'json'],
    ] as const) {
      const again = await r.submit(body, serialization);
      expect(again.status).toBe(200);
      expect(again.receipt).toEqual(first.receipt);
    }
    expect(r.counts()).toEqual(before);
    expect(r.recordsQueued()).toBe(1);
  });

  it('refuses another payload under the same messageId (409), with a receipt naming both digests', async () => {
    const r = await rig();
    const list = memberList([euMember()]);
    await r.submit(await signCompact(list, r.key));
    const before = r.counts();
    const other = { ...list, members: [euMember({ legalName: 'Another Name GmbH' })] };
    const body = await signCompact(other, r.key);
    const error = await r.refused(body);
    expect(error.code).toBe('message-id-conflict');
    expect(r.counts()).toEqual(before);
    expect(r.claims.at(-1)).toMatchObject({ outcome: 'rejected', status: 409, digest: sha256(body), payloadDigest: sha256(payloadOf(other)) });
  });

  it('signs both digests into the receipt: the body as received and the payload signed', async () => {
    const r = await rig();
    const list = memberList([euMember()]);
    const body = await signFlattened(list, r.key);
    await r.submit(body, 'json');
    expect(r.claims.at(-1)).toMatchObject({ outcome: 'accepted', digest: sha256(body), payloadDigest: sha256(payloadOf(list)) });
    expect(r.db.prepare('SELECT digest, payload_digest AS payloadDigest FROM accepted_messages').get()).toEqual({ digest: sha256(body), payloadDigest: sha256(payloadOf(list)) });
  });

  it('judges a message stored without a payload digest by its body, as before', async () => {
    const r = await rig();
    const list = memberList([euMember()]);
    const body = await signCompact(list, r.key);
    const first = await r.submit(body);
    r.db.prepare('UPDATE accepted_messages SET payload_digest = NULL').run();

    expect(await r.submit(body)).toMatchObject({ status: 200, receipt: first.receipt });
    expect((await r.refused(await signCompact(list, r.key))).code).toBe('message-id-conflict');
  });
});

describe('rule 8: no message rolls state back', () => {
  const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
  const named = (legalName: string) => [euMember({ legalName })];

  it('refuses a sequenced snapshot issued before the last (unsequenced) snapshot, keeping the state', async () => {
    const r = await rig();
    expect((await r.submit(await signCompact(memberList(named('Newer GmbH'), { sequence: undefined, issuedAt: at(MINUTE) }), r.key))).status).toBe(202);
    const state = { counts: r.counts(), members: r.members() };

    const error = await r.refused(await signCompact(memberList(named('Older GmbH'), { sequence: 7, issuedAt: at(HOUR) }), r.key));
    expect(error.code).toBe('sequence-not-increasing');
    expect({ counts: r.counts(), members: r.members() }).toEqual(state);
  });

  it.each([
    // [what, first message, second message, accepted?]
    { what: 'a higher sequence, issued later', first: { sequence: 4, issuedAt: at(HOUR) }, second: { sequence: 5, issuedAt: at(MINUTE) }, accepted: true },
    { what: 'a higher sequence, issued earlier', first: { sequence: 4, issuedAt: at(MINUTE) }, second: { sequence: 5, issuedAt: at(HOUR) }, accepted: false },
    { what: 'the same sequence, issued later', first: { sequence: 5, issuedAt: at(HOUR) }, second: { sequence: 5, issuedAt: at(MINUTE) }, accepted: false },
    { what: 'a lower sequence, issued later', first: { sequence: 5, issuedAt: at(HOUR) }, second: { sequence: 4, issuedAt: at(MINUTE) }, accepted: false },
    { what: 'a higher sequence at the same instant', first: { sequence: 4, issuedAt: at(HOUR) }, second: { sequence: 5, issuedAt: at(HOUR) }, accepted: true },
    { what: 'no sequence at the same instant', first: { sequence: undefined, issuedAt: at(HOUR) }, second: { sequence: undefined, issuedAt: at(HOUR) }, accepted: false },
    { what: 'no sequence, issued later, after a sequenced one', first: { sequence: 4, issuedAt: at(HOUR) }, second: { sequence: undefined, issuedAt: at(MINUTE) }, accepted: true },
    { what: 'a sequence, issued later, after an unsequenced one', first: { sequence: undefined, issuedAt: at(HOUR) }, second: { sequence: 1, issuedAt: at(MINUTE) }, accepted: true },
    { what: 'a sequenced delta issued before the last snapshot', first: { sequence: 4, issuedAt: at(MINUTE) }, second: { kind: 'delta', sequence: 5, issuedAt: at(HOUR) }, accepted: false },
    { what: 'a sequenced delta issued before an unsequenced snapshot', first: { sequence: undefined, issuedAt: at(MINUTE) }, second: { kind: 'delta', sequence: 5, issuedAt: at(HOUR) }, accepted: false },
    { what: 'an unsequenced delta issued before the last snapshot', first: { sequence: 4, issuedAt: at(MINUTE) }, second: { kind: 'delta', sequence: undefined, issuedAt: at(HOUR) }, accepted: false },
    { what: 'a sequenced delta issued after the last snapshot', first: { sequence: 4, issuedAt: at(HOUR) }, second: { kind: 'delta', sequence: 5, issuedAt: at(MINUTE) }, accepted: true },
  ] as { what: string; first: Partial<MemberList>; second: Partial<MemberList>; accepted: boolean }[])('after a snapshot: $what -> accepted $accepted', async ({ first, second, accepted }) => {
    const r = await rig();
    expect((await r.submit(await signCompact(memberList(named('First GmbH'), first), r.key))).status).toBe(202);
    const state = { counts: r.counts(), members: r.members() };
    const body = await signCompact(memberList(named('Second GmbH'), second), r.key);
    if (accepted) {
      expect((await r.submit(body)).status).toBe(202);
    } else {
      expect((await r.refused(body)).code).toBe('sequence-not-increasing');
      expect({ counts: r.counts(), members: r.members() }).toEqual(state);
    }
  });
});

describe('a key revoked or an arrangement suspended while a message is processed', () => {
  const refusals = [
    { what: 'the signing key is revoked', change: (r: Awaited<ReturnType<typeof rig>>) => r.revoke(r.key), code: 'inactive-key', receipt: false },
    {
      what: 'the signing key reaches its notAfter',
      change: (r: Awaited<ReturnType<typeof rig>>) => r.db.prepare('UPDATE partner_keys SET not_after = ? WHERE kid = ?').run(Date.now(), r.key.kid),
      code: 'inactive-key',
      receipt: false,
    },
    { what: 'the signing key is deleted from the store', change: (r: Awaited<ReturnType<typeof rig>>) => r.db.prepare('DELETE FROM partner_keys WHERE kid = ?').run(r.key.kid), code: 'inactive-key', receipt: false },
    { what: 'the arrangement is suspended in the store (another instance)', change: (r: Awaited<ReturnType<typeof rig>>) => r.storeStatus('suspended'), code: 'mra-not-active', receipt: true },
    { what: 'the arrangement is terminated in the store (another instance)', change: (r: Awaited<ReturnType<typeof rig>>) => r.storeStatus('terminated'), code: 'mra-not-active', receipt: true },
    { what: 'the arrangement is suspended in this instance', change: (r: Awaited<ReturnType<typeof rig>>) => r.arrangements.applyStatus('EU', 'suspended'), code: 'mra-not-active', receipt: true },
  ];

  it.each(refusals)('refuses a new snapshot when $what (nothing stored)', async ({ change, code, receipt }) => {
    const r = await rig();
    r.store.beforeNextTransaction = () => change(r);
    const body = await signCompact(memberList([euMember()]), r.key);
    const error = await r.refused(body);
    expect(error.code).toBe(code);
    expect(r.store.transactions).toBe(1);
    expect(r.counts()).toEqual({ messages: 0, members: 0, outbox: 0, marks: 0 });
    expect(r.recordsQueued()).toBe(0);
    // A rejection after authentication carries a signed receipt; a key found unusable gets none.
    expect('receipt' in error.extensions).toBe(receipt);
    if (receipt) expect(r.claims.at(-1)).toMatchObject({ outcome: 'rejected', problem: `urn:mra-gateway:problem:${code}`, digest: sha256(body) });
  });

  it.each(refusals)('refuses a repeated snapshot (the fast path) when $what', async ({ change, code }) => {
    const r = await rig();
    const members = [euMember(), euMember({ memberId: 'DE999999999', legalName: 'Zweite GmbH' })];
    await r.submit(await signCompact(memberList(members), r.key));
    // Without a change in between, the same members again take the fast path: accepted, nothing loaded or published.
    const repeat = await r.submit(await signCompact(memberList(members), r.key));
    expect(repeat.receipt.counts).toMatchObject({ members: 2, unchanged: 2 });
    const before = { counts: r.counts(), members: r.members() };

    r.store.beforeNextTransaction = () => change(r);
    expect((await r.refused(await signCompact(memberList(members), r.key))).code).toBe(code);
    expect({ counts: r.counts(), members: r.members() }).toEqual(before);
  });

  it('checks every signature of a general JWS: one revoked key refuses the message', async () => {
    const r = await rig();
    r.store.beforeNextTransaction = () => r.revoke(r.second);
    expect((await r.refused(await signGeneral(memberList([euMember()]), [r.key, r.second]), 'json')).code).toBe('inactive-key');
    expect(r.counts().messages).toBe(0);
  });

  it('refuses a replay once the key is revoked, and accepts when the store still says active', async () => {
    const r = await rig();
    const list = memberList([euMember()]);
    await r.submit(await signCompact(list, r.key));
    r.storeStatus('active');
    expect((await r.submit(await signCompact(list, r.key))).status).toBe(200);
    r.store.beforeNextTransaction = () => r.revoke(r.key);
    expect((await r.refused(await signCompact(list, r.key))).code).toBe('inactive-key');
  });
});
