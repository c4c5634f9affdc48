import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaErrors, validators } from '../../src/validation/json-schemas.js';
import { TestConsumer } from '../support/broker.js';
import { signCompact, signFlattened, signGeneral } from '../support/jws.js';
import { euMember, memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { startTestGateway, waitForOutboxDrained, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const manufacturer = euMember();
const exporter = euMember({
  memberId: 'FR987654321',
  legalName: 'Société des Vins du Sud SA',
  tradeNames: [],
  address: { lines: ['8 Rue de la République'], city: 'Bordeaux', postalCode: '33000', country: 'FR' },
  roles: ['exporter'],
  certificateType: 'AEOS',
});
const customsOnly = euMember({
  memberId: 'IT00112233445',
  legalName: 'Spedizioni Rapide SRL',
  tradeNames: [],
  address: { lines: ['Via Roma 1'], city: 'Milano', country: 'IT' },
  roles: ['customs-broker'],
  certificateType: 'AEOC',
});
const carrier = euMember({
  memberId: 'NL123456789B01',
  legalName: 'Rotterdam Shipping BV',
  tradeNames: [],
  address: { lines: ['Maasvlakte 100'], city: 'Rotterdam', country: 'NL' },
  roles: ['carrier'],
  certificateType: 'AEOF',
});

function digestOf(body: string): string {
  return createHash('sha256').update(body).digest('base64url');
}

describe('a partner submits member lists and CBP consumers receive records', () => {
  let key: PartnerSigningKey;
  let test: TestGateway;
  let consumer: TestConsumer;

  beforeAll(async () => {
    key = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [key] });
    consumer = await TestConsumer.bind(test.topology.exchange);
  });

  afterAll(async () => {
    await consumer?.close();
    await disposeTestGateway(test);
  });

  const first = memberList([manufacturer, exporter, customsOnly, carrier], { sequence: 1 });
  let firstBody: string;
  let firstReceipt: Record<string, unknown>;

  it('accepts a signed EU snapshot with a receipt anyone can verify', async () => {
    firstBody = await signCompact(first, key);
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(firstBody);

    expect(response.status).toBe(202);
    firstReceipt = response.body as Record<string, unknown>;
    expect(firstReceipt).toMatchObject({
      messageId: first.messageId,
      administration: 'EU',
      outcome: 'accepted',
      counts: { members: 4, added: 4, updated: 0, statusChanged: 0, removed: 0, unchanged: 0, notRecognized: 1 },
      warnings: [],
    });

    const jwks = (await test.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
    const { payload, protectedHeader } = await compactVerify(firstReceipt.receipt as string, createLocalJWKSet(jwks));
    expect(protectedHeader.typ).toBe('mra-receipt+jwt');
    expect(JSON.parse(Buffer.from(payload).toString('utf8'))).toMatchObject({
      messageId: first.messageId,
      administration: 'EU',
      receivedAt: firstReceipt.receivedAt,
      outcome: 'accepted',
      counts: firstReceipt.counts,
      digest: digestOf(firstBody),
    });
  });

  it('publishes exactly the normalized records, with routing keys, properties and CloudEvents headers', async () => {
    const records = await consumer.waitForCount(4);
    expect(records.map((r) => r.body.member.key)).toEqual(['EU:DE1234567890123', 'EU:FR987654321', 'EU:IT00112233445', 'EU:NL123456789B01']);
    for (const record of records) {
      expect(schemaErrors(validators.memberRecord, record.body)).toEqual([]);
      expect(record.routingKey).toBe('member.added.eu');
      expect(record.properties).toMatchObject({
        contentType: 'application/json',
        deliveryMode: 2,
        messageId: record.body.eventId,
        type: 'gov.cbp.ctpat.mra.member.added',
        appId: 'mra-gateway',
        timestamp: Math.floor(Date.parse(firstReceipt.receivedAt as string) / 1000),
        headers: {
          'ce-specversion': '1.0',
          'ce-id': record.body.eventId,
          'ce-source': 'urn:mra:EU',
          'ce-type': 'gov.cbp.ctpat.mra.member.added',
          'ce-subject': record.body.member.key,
          'ce-time': firstReceipt.receivedAt,
        },
      });
    }
    expect(records[0]!.body).toEqual({
      specVersion: '1.1',
      eventId: expect.stringMatching(UUID) as unknown,
      change: 'added',
      occurredAt: firstReceipt.receivedAt,
      administration: { code: 'EU', name: 'European Union', program: 'AEO', mraSignedOn: '2012-05' },
      member: {
        key: 'EU:DE1234567890123',
        memberId: 'DE1234567890123',
        idScheme: 'EORI',
        idCheck: 'unchecked',
        legalName: 'Amalgamated Plastics GmbH',
        tradeNames: ['AmaPlast'],
        address: { lines: ['Industriestrasse 12'], city: 'Hamburg', postalCode: '20095', country: 'DE' },
        roles: ['manufacturer', 'exporter'],
        status: 'certified',
        statusSince: '2021-03-01',
        certifiedOn: '2021-03-01',
        lastValidatedOn: '2024-02-15',
        certificateType: 'AEOF',
        recognized: true,
        mids: [{ value: 'DEAMAPLA12HAM', source: 'derived' }],
        version: 1,
      },
      source: { messageId: first.messageId, receivedAt: firstReceipt.receivedAt, kid: key.kid, digest: digestOf(firstBody), sequence: 1 },
    });
    const aeoc = records.find((r) => r.body.member.key === 'EU:IT00112233445')!;
    expect(aeoc.body.member.recognized).toBe(false);
    expect(records.filter((r) => r.body.member.recognized === true)).toHaveLength(3);
  });

  it('publishes only what changed: one removed, one status-changed, nothing for the unchanged', async () => {
    await waitForOutboxDrained(test);
    const before = consumer.records.length;
    const suspended: Member = { ...exporter, status: 'suspended', statusSince: '2026-11-01' };
    const second = memberList([manufacturer, suspended, customsOnly], { sequence: 2 });
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(second, key));

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ counts: { members: 3, added: 0, updated: 0, statusChanged: 1, removed: 1, unchanged: 2, notRecognized: 2 } });
    await consumer.waitForCount(before + 2);
    await waitForOutboxDrained(test);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const fresh = consumer.records.slice(before);
    expect(fresh.map((r) => [r.routingKey, r.body.member.key])).toEqual([
      ['member.status-changed.eu', 'EU:FR987654321'],
      ['member.removed.eu', 'EU:NL123456789B01'],
    ]);
    expect(fresh[0]!.body.previous).toEqual({ status: 'certified', statusSince: '2021-03-01', recognized: true });
    expect(fresh[0]!.body.member).toMatchObject({ status: 'suspended', recognized: false });
    expect(fresh[1]!.body.member).toMatchObject({ memberId: 'NL123456789B01', status: 'certified' });
    expect(fresh[1]!.body.previous).toBeUndefined();
  });

  it('answers a replay of the same body with the original receipt and publishes nothing', async () => {
    await waitForOutboxDrained(test);
    const before = { ...test.counts(), received: consumer.records.length };
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(firstBody);

    expect(response.status).toBe(200);
    expect(response.body).toEqual(firstReceipt);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(test.counts()).toMatchObject({ messages: before.messages, outbox: before.outbox });
    expect(consumer.records.length).toBe(before.received);
  });

  it('refuses the same messageId with another body (409), and an older snapshot sequence (409)', async () => {
    const before = test.counts();
    const altered = await signCompact({ ...first, members: [manufacturer] }, key);
    const conflict = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(altered);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ type: 'urn:mra-gateway:problem:message-id-conflict', status: 409 });

    const older = await signCompact(memberList([manufacturer], { sequence: 1 }), key);
    const stale = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(older);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ type: 'urn:mra-gateway:problem:sequence-not-increasing' });
    expect(test.counts()).toEqual(before);
  });

  it('accepts the flattened and general JSON serializations', async () => {
    const other = await createPartnerKey('EU');
    await test.gateway.partnerKeys.add([{ administration: 'EU', kid: other.kid, jwk: other.publicJwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date() }]);
    const flattened = await signFlattened(memberList([manufacturer, customsOnly], { sequence: 3 }), key);
    const general = await signGeneral(memberList([manufacturer, customsOnly], { sequence: 4 }), [key, other]);
    for (const body of [flattened, general]) {
      const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose+json').send(body);
      expect(response.status).toBe(202);
    }
  });

  it('applies a delta: changes and removals of named members only', async () => {
    await waitForOutboxDrained(test);
    const before = consumer.records.length;
    const renamed: Member = { ...manufacturer, legalName: 'Amalgamated Plastics Europe GmbH' };
    const delta = memberList([renamed, { memberId: 'IT00112233445', removed: true }, { memberId: 'XX-not-held', removed: true }], { kind: 'delta', sequence: 5 });
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(delta, key));

    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ counts: { members: 3, updated: 1, removed: 1, added: 0, unchanged: 0 } });
    expect((response.body as { warnings: { code: string; pointer: string }[] }).warnings).toEqual([
      expect.objectContaining({ code: 'unknown-member-removed', pointer: '/members/2/memberId' }),
    ]);
    const fresh = (await consumer.waitForCount(before + 2)).slice(before);
    expect(fresh.map((r) => r.routingKey)).toEqual(['member.updated.eu', 'member.removed.eu']);
    expect(fresh[0]!.body.previous).toEqual({ legalName: 'Amalgamated Plastics GmbH' });
  });

  it('logs one JSON line per request with its request id, and never payloads, signatures or keys', async () => {
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').set('X-Request-Id', 'walkthrough-42').send(firstBody);
    expect(response.headers['x-request-id']).toBe('walkthrough-42');
    const lines = test.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = lines.filter((line) => line.message === 'request' && line.path === '/v1/member-lists');
    expect(requestLines.length).toBeGreaterThanOrEqual(6);
    expect(requestLines.every((line) => typeof line.requestId === 'string' && typeof line.status === 'number')).toBe(true);
    expect(lines.find((line) => line.requestId === 'walkthrough-42')).toMatchObject({ status: 200, administration: 'EU', messageId: first.messageId, outcome: 'replayed' });

    const everything = test.logs.join('\n');
    const [header, payload, signature] = firstBody.split('.');
    for (const secret of [header!, payload!.slice(0, 40), signature!, manufacturer.legalName, exporter.address.lines[0], key.publicJwk.x!, (firstReceipt.receipt as string).split('.')[2]!]) {
      expect(everything).not.toContain(secret);
    }
  });
});
