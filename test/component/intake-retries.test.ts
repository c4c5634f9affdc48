import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartnerKey } from '../../src/domain/partner-key.js';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { TestConsumer } from '../support/broker.js';
import { signCompact, signFlattened, signGeneral } from '../support/jws.js';
import { compactToFlattened, highSTwin, withExtraMember, withUnprotectedHeader, withWhiteSpace } from '../support/jws-alterations.js';
import { euMember, memberList, type Member, type MemberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { disposeTestGateway, startTestGateway, waitForOutboxDrained, type TestGateway, embeddedDb } from '../support/test-gateway.js';

const COMPACT = 'application/jose';
const JSON_JWS = 'application/jose+json';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('base64url');
const payloadDigestOf = (list: MemberList) => sha256(JSON.stringify(list));

const members: Member[] = [
  euMember(),
  euMember({ memberId: 'FR987654321', legalName: 'Vins du Sud SA', tradeNames: [], address: { lines: ['8 Rue Haute'], city: 'Bordeaux', country: 'FR' }, certificateType: 'AEOS' }),
];
const listOf = (legalName: string, overrides: Partial<MemberList> = {}) => memberList([{ ...members[0]!, legalName }, members[1]!], overrides);

function registered(key: PartnerSigningKey): PartnerKey {
  return { administration: key.administration, kid: key.kid, jwk: key.publicJwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date() };
}

/**
 * A partner retrying (ICD 1 rule 7): a replay is the same messageId with the same signed payload,
 * whatever body carries it. A retry that re-signs, another serialization, or a body a third party
 * altered and sent first all get the original receipt (200), and nothing is stored or published again.
 */
describe('retries and replays', () => {
  let key: PartnerSigningKey;
  let pss: PartnerSigningKey;
  let admin: AdminSigningKey;
  let test: TestGateway;
  let consumer: TestConsumer;
  let jwks: JSONWebKeySet;

  const post = (body: string | Buffer, contentType = COMPACT) => test.http.post('/v1/member-lists').set('Content-Type', contentType).send(body);
  const claimsOf = async (receipt: string) => JSON.parse(Buffer.from((await compactVerify(receipt, createLocalJWKSet(jwks))).payload).toString('utf8')) as Record<string, unknown>;
  const storedState = () => ({
    ...test.counts(),
    members: embeddedDb(test.gateway).prepare("SELECT member_id, fingerprint FROM members WHERE administration = 'EU' AND removed_at IS NULL ORDER BY member_id").all(),
  });
  /** Everything published so far has arrived; a later unchanged outbox count then means nothing more will. */
  const settled = async () => {
    await waitForOutboxDrained(test);
    await consumer.waitForCount(test.counts().outbox);
    return { ...storedState(), received: consumer.records.length };
  };

  beforeAll(async () => {
    [key, pss, admin] = await Promise.all([createPartnerKey('EU'), createPartnerKey('EU', { alg: 'PS256' }), createAdminKey()]);
    test = await startTestGateway({ keys: [key, pss], adminKeys: [admin.publicJwk] });
    consumer = await TestConsumer.bind(test.topology.exchange);
    jwks = (await test.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
  });

  afterAll(async () => {
    await consumer?.close();
    await disposeTestGateway(test);
  });

  it.each([
    { alg: 'ES256', signer: () => key },
    { alg: 'PS256', signer: () => pss },
  ])('answers a retry signed again ($alg) with the original receipt and publishes nothing again', async ({ signer }) => {
    const list = listOf(`Retry ${signer().alg} GmbH`);
    const body = await signCompact(list, signer());
    const first = await post(body);
    expect(first.status).toBe(202);
    const before = await settled();

    const resigned = await signCompact(list, signer());
    expect(resigned).not.toBe(body);
    const retry = await post(resigned);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await settled()).toEqual(before);
  });

  it('answers the same payload in another serialization as a replay', async () => {
    const list = listOf('Serialization GmbH');
    const first = await post(await signCompact(list, key));
    expect(first.status).toBe(202);
    const before = await settled();
    for (const [body, type] of [
      [await signFlattened(list, key), JSON_JWS],
      [await signGeneral(list, [key]), JSON_JWS],
    ] as const) {
      const replay = await post(body, type);
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual(first.body);
    }
    expect(await settled()).toEqual(before);
  });

  const alterations = [
    { what: 'an extra unprotected header member', alter: async (list: MemberList) => ({ original: await signFlattened(list, key), type: JSON_JWS }), tamper: (body: string) => withUnprotectedHeader(body, { note: 'not signed' }) },
    { what: 'an extra JSON member', alter: async (list: MemberList) => ({ original: await signFlattened(list, key), type: JSON_JWS }), tamper: (body: string) => withExtraMember(body, 'x-relay', true) },
    { what: 'white space around the JSON form', alter: async (list: MemberList) => ({ original: await signFlattened(list, key), type: JSON_JWS }), tamper: withWhiteSpace },
    { what: 'white space around the compact form', alter: async (list: MemberList) => ({ original: await signCompact(list, key), type: COMPACT }), tamper: withWhiteSpace },
    { what: 'the high-S twin of the ECDSA signature', alter: async (list: MemberList) => ({ original: await signCompact(list, key), type: COMPACT }), tamper: highSTwin },
    { what: 'the compact form rewritten as flattened', alter: async (list: MemberList) => ({ original: await signCompact(list, key), type: COMPACT }), tamper: (body: string) => JSON.stringify(compactToFlattened(body)), tamperedType: JSON_JWS },
  ];

  it.each(alterations)('gives the partner its receipt when a third party sent its message first with $what', async ({ what, alter, tamper, tamperedType }) => {
    const legalName = `Intercepted (${what})`;
    const list = listOf(legalName);
    const { original, type } = await alter(list);
    const tamperedBody = tamper(original);
    expect(tamperedBody).not.toBe(original);
    const before = await settled();

    const tampered = await post(tamperedBody, tamperedType ?? type);
    const answer = await post(original, type);
    if (tampered.status === 202) {
      // The altered body carried the partner's signed payload: that payload was accepted, once.
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(tampered.body);
      const claims = await claimsOf((answer.body as { receipt: string }).receipt);
      expect(claims).toMatchObject({ payloadDigest: payloadDigestOf(list), digest: sha256(tamperedBody) });
    } else {
      // A gateway may refuse the altered body outright; then the partner's own is simply accepted.
      expect([400, 401]).toContain(tampered.status);
      expect(answer.status).toBe(202);
    }
    const stored = embeddedDb(test.gateway).prepare("SELECT payload_digest FROM accepted_messages WHERE administration = 'EU' AND message_id = ?").pluck().get(list.messageId);
    expect(stored).toBe(payloadDigestOf(list));
    const after = await settled();
    expect(after.messages).toBe(before.messages + 1);
    expect(after.received).toBe(before.received + 1);
    expect(consumer.records.at(-1)!.body.member).toMatchObject({ memberId: members[0]!.memberId, legalName });
  });

  it('refuses another payload under a messageId already accepted (409)', async () => {
    const list = listOf('Conflict GmbH');
    await post(await signCompact(list, key));
    const before = await settled();
    const changed = { ...list, members: [members[0]!] };
    const conflict = await post(await signCompact(changed, key));
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ type: 'urn:mra-gateway:problem:message-id-conflict' });
    expect(await claimsOf((conflict.body as { receipt: string }).receipt)).toMatchObject({ outcome: 'rejected', status: 409, payloadDigest: payloadDigestOf(changed) });
    expect(await settled()).toEqual(before);
  });

  it('signs both digests into the receipt: the body after Content-Encoding is removed, and the signed payload', async () => {
    const list = listOf('Digest GmbH');
    const body = await signCompact(list, key);
    const response = await test.http.post('/v1/member-lists').set('Content-Type', COMPACT).set('Content-Encoding', 'gzip').send(gzipSync(body));
    expect(response.status).toBe(202);
    expect(await claimsOf((response.body as { receipt: string }).receipt)).toMatchObject({ outcome: 'accepted', digest: sha256(body), payloadDigest: payloadDigestOf(list) });

    // A rejection once the payload is known says the same.
    const stale = listOf('Stale GmbH', { sequence: 1 });
    const staleBody = await signCompact(stale, key);
    const refused = await post(staleBody);
    expect(refused.status).toBe(409);
    expect(await claimsOf((refused.body as { receipt: string }).receipt)).toMatchObject({ outcome: 'rejected', digest: sha256(staleBody), payloadDigest: payloadDigestOf(stale) });
  });

  it('judges a message stored without a payload digest (before this version) by its body', async () => {
    const list = listOf('Legacy GmbH');
    const body = await signCompact(list, key);
    const first = await post(body);
    embeddedDb(test.gateway).prepare("UPDATE accepted_messages SET payload_digest = NULL WHERE administration = 'EU' AND message_id = ?").run(list.messageId);
    const before = await settled();

    const same = await post(body);
    expect(same.status).toBe(200);
    expect(same.body).toEqual(first.body);
    const resigned = await post(await signCompact(list, key));
    expect(resigned.status).toBe(409);
    expect(resigned.body).toMatchObject({ type: 'urn:mra-gateway:problem:message-id-conflict' });
    expect(await settled()).toEqual(before);
  });

  /** Runs `action` once, right after the next submission's keys were looked up for verification. */
  const afterNextKeyLookup = (action: () => Promise<void>) => {
    const keys = test.gateway.partnerKeys;
    const lookUp = keys.findByKid.bind(keys);
    keys.findByKid = async (kid) => {
      const found = await lookUp(kid);
      keys.findByKid = lookUp;
      await action();
      return found;
    };
  };

  it('refuses a message whose key is revoked between verification and the commit (401), storing and publishing nothing', async () => {
    const revoking = await createPartnerKey('EU');
    await test.gateway.partnerKeys.add([registered(revoking)]);
    const before = await settled();
    afterNextKeyLookup(async () => {
      const revoked = await adminCall(test.http, admin, 'post', `/administrations/EU/keys/${revoking.kid}/revoke`, { reason: 'key exposed' });
      expect(revoked.status).toBe(200);
    });
    const response = await post(await signCompact(listOf('Revoked Meanwhile GmbH'), revoking));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:inactive-key' });
    expect(await settled()).toEqual(before);
  });

  it('refuses a message when another gateway instance on the same store suspends the arrangement between verification and the commit (403)', async () => {
    const before = await settled();
    // This instance's registry still says active: only the store knows.
    afterNextKeyLookup(async () => {
      embeddedDb(test.gateway)
        .prepare("INSERT INTO arrangement_status (administration, status, reason, changed_at, changed_by) VALUES ('EU', 'suspended', 'joint review', ?, '{}') ON CONFLICT (administration) DO UPDATE SET status = 'suspended'")
        .run(Date.now());
    });
    const response = await post(await signCompact(listOf('Suspended Meanwhile GmbH'), key));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:mra-not-active' });
    expect(await settled()).toEqual(before);
    const reinstated = await adminCall(test.http, admin, 'patch', '/administrations/EU', { status: 'active', reason: 'review completed' });
    expect(reinstated.status).toBe(200);
    expect((await post(await signCompact(listOf('Reinstated GmbH'), key))).status).toBe(202);
  });

  it('applies the same checks to an unchanged snapshot sent again (the fast path)', async () => {
    const revoking = await createPartnerKey('EU');
    await test.gateway.partnerKeys.add([registered(revoking)]);
    expect((await post(await signCompact(listOf('Unchanged GmbH'), revoking))).status).toBe(202);
    const repeat = await post(await signCompact(listOf('Unchanged GmbH'), revoking));
    expect(repeat.body).toMatchObject({ counts: { members: 2, unchanged: 2 } });
    const before = await settled();

    afterNextKeyLookup(async () => {
      await adminCall(test.http, admin, 'post', `/administrations/EU/keys/${revoking.kid}/revoke`, { reason: 'key exposed' });
    });
    const response = await post(await signCompact(listOf('Unchanged GmbH'), revoking));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:inactive-key' });
    expect(await settled()).toEqual(before);
  });
});

describe('rule 8: an older snapshot never rolls state back', () => {
  let key: PartnerSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    key = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [key] });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  it('refuses a snapshot with a sequence issued before the last snapshot without one (409), changing nothing', async () => {
    const post = async (list: MemberList) => test.http.post('/v1/member-lists').set('Content-Type', COMPACT).send(await signCompact(list, key));
    const current = memberList([{ ...members[0]!, status: 'suspended', statusSince: '2026-01-05' }], { sequence: undefined, issuedAt: new Date(Date.now() - MINUTE).toISOString() });
    expect((await post(current)).status).toBe(202);
    const state = () => {
      // unpublished is left out: the relay may still be publishing the first snapshot's record.
      const { messages, outbox } = test.counts();
      return { messages, outbox, members: embeddedDb(test.gateway).prepare('SELECT member_id, member FROM members WHERE removed_at IS NULL ORDER BY member_id').all() };
    };
    const before = state();

    const older = memberList([members[0]!], { sequence: 42, issuedAt: new Date(Date.now() - HOUR).toISOString() });
    const response = await post(older);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:sequence-not-increasing' });
    expect(state()).toEqual(before);
  });
});
