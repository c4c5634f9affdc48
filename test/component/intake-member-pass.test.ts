import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGE_BATCH } from '../../src/domain/intake/change-batches.js';
import { TestConsumer } from '../support/broker.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList, type Member, type MemberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { disposeTestGateway, startTestGateway, waitForOutboxDrained, type TestGateway } from '../support/test-gateway.js';

/**
 * The intake takes a list's members one at a time and stores its changes a batch at a time inside the
 * transaction (member-pass, change-batches). These tests hold it to what the whole-list path did: the
 * contract's rule order when a list breaks several rules at once, all or nothing when the last member
 * is the bad one, and the same changes and records for lists longer than a batch.
 */
let eu: PartnerSigningKey;
let jp: PartnerSigningKey;
let test: TestGateway;
let consumer: TestConsumer;

beforeAll(async () => {
  [eu, jp] = await Promise.all([createPartnerKey('EU'), createPartnerKey('JP')]);
  test = await startTestGateway({ keys: [eu, jp] });
  consumer = await TestConsumer.bind(test.topology.exchange);
});

afterAll(async () => {
  await consumer?.close();
  await disposeTestGateway(test);
});

const member = (i: number, overrides: Partial<Member> = {}): Member => euMember({ memberId: `DE${String(1_000_000 + i)}`, legalName: `Member ${i} GmbH`, ...overrides });
const members = (from: number, to: number): Member[] => Array.from({ length: to - from }, (_, k) => member(from + k));

async function submit(payload: MemberList | string, key = eu): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(payload, key));
  return { status: response.status, body: response.body as Record<string, unknown> };
}

const typeOf = (body: Record<string, unknown>) => body.type;
const pointers = (body: Record<string, unknown>) => (body.errors as { pointer: string }[]).map((e) => e.pointer);

/** Refused: nothing more in the ledger, the outbox or the member table than before. */
async function expectNothingStored(run: () => Promise<void>): Promise<void> {
  const before = test.counts();
  const recordsBefore = consumer.records.length;
  await run();
  expect(test.counts()).toEqual(before);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(consumer.records.length).toBe(recordsBefore);
}

describe('rule order when a list breaks several rules', () => {
  it('reports a schema error in the last member before a wrong administration (3 before 4)', async () => {
    await expectNothingStored(async () => {
      const list = memberList([...members(0, CHANGE_BATCH + 10), member(9_999, { status: 'dormant' as never })], { administration: 'JP' });
      const { status, body } = await submit(list);
      expect(status).toBe(422);
      expect(typeOf(body)).toBe('urn:mra-gateway:problem:schema-violation');
      expect(pointers(body)).toEqual([`/members/${CHANGE_BATCH + 10}/status`]);
    });
  });

  it('lists only the schema errors when members break both the schema and the member rules', async () => {
    await expectNothingStored(async () => {
      const list = memberList([member(1, { certificateType: 'PIP' }), ...members(2, 40), member(40, { roles: ['astronaut' as never] })]);
      const { status, body } = await submit(list);
      expect(status).toBe(422);
      expect(typeOf(body)).toBe('urn:mra-gateway:problem:schema-violation');
      expect(pointers(body)).toEqual(['/members/39/roles/0']);
    });
  });

  it('reports member errors before the message age (5a before 6), every one of them', async () => {
    await expectNothingStored(async () => {
      const list = memberList([member(1, { certificateType: 'PIP' }), ...members(2, CHANGE_BATCH * 2), member(1)], {
        issuedAt: new Date(Date.now() - 100 * 3_600_000).toISOString(),
      });
      const { status, body } = await submit(list);
      expect(status).toBe(422);
      expect(typeOf(body)).toBe('urn:mra-gateway:problem:invalid-members');
      expect(pointers(body)).toEqual(['/members/0/certificateType', `/members/${CHANGE_BATCH * 2 - 1}/memberId`]);
    });
  });

  it('reports member errors before what the ledger says (5a before 7): a reused messageId with bad members', async () => {
    const accepted = memberList(members(100, 103));
    expect((await submit(accepted)).status).toBe(202);
    await waitForOutboxDrained(test);
    await expectNothingStored(async () => {
      const reused = memberList([...members(100, 103), member(103, { mids: ['EU999999999'] })], { messageId: accepted.messageId });
      const { status, body } = await submit(reused);
      expect(status).toBe(422);
      expect(typeOf(body)).toBe('urn:mra-gateway:problem:invalid-members');
      // The same messageId with good members is a conflict.
      const conflict = await submit(memberList(members(100, 104), { messageId: accepted.messageId }));
      expect(conflict.status).toBe(409);
      expect(typeOf(conflict.body)).toBe('urn:mra-gateway:problem:message-id-conflict');
    });
  });

  it('answers a replay with the first receipt and stores nothing again', async () => {
    const list = memberList(members(200, 200 + CHANGE_BATCH + 1));
    const body = await signCompact(list, eu);
    const first = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body);
    expect(first.status).toBe(202);
    await waitForOutboxDrained(test);
    await expectNothingStored(async () => {
      const again = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body);
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
    });
  });
});

describe('members that are not JSON, or not an array', () => {
  const envelope = (members: string) => {
    const list = memberList([]);
    return JSON.stringify(list).replace('"members":[]', `"members":${members}`);
  };

  it('refuses a list whose last element is missing (a trailing comma) as malformed, after valid members', async () => {
    await expectNothingStored(async () => {
      const valid = members(300, 300 + CHANGE_BATCH + 5).map((m) => JSON.stringify(m)).join(',');
      const { status, body } = await submit(envelope(`[${valid},]`));
      expect(status).toBe(422);
      expect(typeOf(body)).toBe('urn:mra-gateway:problem:malformed-payload');
    });
  });

  it('refuses members given as an object, pointing at /members', async () => {
    await expectNothingStored(async () => {
      const { status, body } = await submit(envelope(`{"0":${JSON.stringify(member(1))}}`));
      expect(status).toBe(422);
      expect(typeOf(body)).toBe('urn:mra-gateway:problem:schema-violation');
      expect(pointers(body)).toContain('/members');
    });
  });

  it('reads members separated by any JSON whitespace, and an empty array', async () => {
    const spaced = envelope(`[ \n${JSON.stringify(member(400))} ,\t\r\n${JSON.stringify(member(401))}\n ]`);
    const { status, body } = await submit(spaced);
    expect(status).toBe(202);
    expect(body.counts).toMatchObject({ members: 2 });
    const empty = await submit(envelope('[ ]').replace('"kind":"snapshot"', '"kind":"delta"'));
    expect(empty.status).toBe(202);
    expect(empty.body.counts).toMatchObject({ members: 0 });
  });
});

describe('lists longer than a write batch', () => {
  it('finds the same changes as one comparison would: updated, unchanged, removed (left out) and added, published in order', async () => {
    const gb = await createPartnerKey('GB');
    await test.gateway.partnerKeys.add([{ administration: 'GB', kid: gb.kid, jwk: gb.publicJwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date() }]);
    const ukMember = (i: number, name = `UK Member ${i} Ltd`): Member =>
      euMember({ memberId: `GB${String(100_000_000_000 + i)}`, legalName: name, address: { lines: ['1 Dock Road'], city: 'Felixstowe', country: 'GB' }, certificateType: 'AEOS' });
    const size = CHANGE_BATCH * 2 + 200;
    const first = await submit(memberList(Array.from({ length: size }, (_, i) => ukMember(i)), { administration: 'GB' }), gb);
    expect(first.status).toBe(202);
    expect(first.body.counts).toMatchObject({ members: size, added: size });
    await waitForOutboxDrained(test);
    await consumer.waitForCount(consumer.records.filter((r) => r.routingKey.endsWith('.gb')).length);
    const before = consumer.records.length;

    // Members 0..99 renamed, 100..size-101 as they were, the last 100 left out, 100 new ones after them.
    const second = [
      ...Array.from({ length: 100 }, (_, i) => ukMember(i, `Renamed ${i} Ltd`)),
      ...Array.from({ length: size - 200 }, (_, k) => ukMember(100 + k)),
      ...Array.from({ length: 100 }, (_, k) => ukMember(size + k)),
    ];
    const { status, body } = await submit(memberList(second, { administration: 'GB' }), gb);
    expect(status).toBe(202);
    expect(body.counts).toEqual({ members: size, added: 100, updated: 100, statusChanged: 0, removed: 100, unchanged: size - 200, notRecognized: 0 });
    const records = (await consumer.waitForCount(before + 300)).slice(before);
    expect(records.map((r) => r.body.change)).toEqual([...Array<string>(100).fill('updated'), ...Array<string>(100).fill('added'), ...Array<string>(100).fill('removed')]);
    expect(records.slice(200).map((r) => r.body.member.key)).toEqual(Array.from({ length: 100 }, (_, k) => `GB:GB${String(100_000_000_000 + size - 100 + k)}`));
    expect(records.slice(0, 100).every((r) => r.body.member.version === 2)).toBe(true);
  });
});
