import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestConsumer } from '../support/broker.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { disposeTestGateway, startTestGateway, waitForOutboxDrained, type TestGateway, embeddedDb } from '../support/test-gateway.js';

const manufacturer = euMember();
// A French address for a member with a German EORI: a country warning the receipt must repeat.
const exporter = euMember({ memberId: 'DE987654321', legalName: 'Vins du Sud GmbH', tradeNames: [], address: { lines: ['8 Rue Haute'], city: 'Strasbourg', country: 'CH' } });
const broker = euMember({ memberId: 'IT00112233445', legalName: 'Spedizioni Rapide SRL', tradeNames: [], address: { lines: ['Via Roma 1'], city: 'Milano', country: 'IT' }, roles: ['customs-broker'], certificateType: 'AEOC' });
const members: Member[] = [manufacturer, exporter, broker];

/**
 * A partner sending its unchanged full list again (ICD 1; issue 7's "unchanged re-send"): the gateway
 * recognizes the members text of the snapshot behind its current state and skips the members, while
 * every rule about the message itself still applies, and anything that changed the state or the rules
 * in between sends the list through the full path.
 */
describe('an unchanged snapshot sent again', () => {
  let key: PartnerSigningKey;
  let test: TestGateway;
  let consumer: TestConsumer;
  let firstReceipt: { messageId: string; counts: Record<string, number>; warnings: unknown[] };

  const post = async (payload: unknown) => test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(payload, key));
  const markedMessage = () => embeddedDb(test.gateway).prepare("SELECT message_id FROM snapshot_marks WHERE administration = 'EU'").pluck().get() as string | undefined;
  const settled = async () => {
    await waitForOutboxDrained(test);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return consumer.records.length;
  };

  beforeAll(async () => {
    key = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [key] });
    consumer = await TestConsumer.bind(test.topology.exchange);
  });

  afterAll(async () => {
    await consumer?.close();
    await disposeTestGateway(test);
  });

  it('is accepted with every member unchanged, the same warnings, and nothing published', async () => {
    const first = memberList(members);
    const response = await post(first);
    expect(response.status).toBe(202);
    firstReceipt = response.body as typeof firstReceipt;
    expect(firstReceipt.counts).toMatchObject({ members: 3, added: 3, notRecognized: 1 });
    expect(firstReceipt.warnings).toEqual([expect.objectContaining({ pointer: '/members/1/address/country', code: 'country-outside-administration' })]);
    expect(markedMessage()).toBe(first.messageId);
    const before = await settled();
    expect(before).toBe(3);

    const again = await post(memberList(members));
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({
      outcome: 'accepted',
      counts: { members: 3, added: 0, updated: 0, statusChanged: 0, removed: 0, unchanged: 3, notRecognized: 1 },
      warnings: firstReceipt.warnings,
    });
    expect(await settled()).toBe(before);
    // The shortcut keeps the mark of the snapshot that built the state; the full path would have moved it.
    expect(markedMessage()).toBe(first.messageId);
  });

  it('still applies the rules about the message: replay, order, schema, administration', async () => {
    const repeat = memberList(members);
    const body = await signCompact(repeat, key);
    const accepted = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body);
    expect(accepted.status).toBe(202);
    const replay = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(body);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(accepted.body);

    const stale = await post(memberList(members, { sequence: repeat.sequence! }));
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ type: 'urn:mra-gateway:problem:sequence-not-increasing' });

    const extra = await post({ ...memberList(members), note: 'unexpected' });
    expect(extra.status).toBe(422);
    expect(extra.body).toMatchObject({ type: 'urn:mra-gateway:problem:schema-violation' });

    const mismatch = await post(memberList(members, { administration: 'GB' }));
    expect(mismatch.status).toBe(403);
    expect(mismatch.body).toMatchObject({ type: 'urn:mra-gateway:problem:administration-mismatch' });

    const before = test.counts();
    const old = await post(memberList(members, { issuedAt: '2020-01-01T00:00:00Z' }));
    expect(old.body).toMatchObject({ type: 'urn:mra-gateway:problem:issued-at-out-of-range' });
    expect(test.counts()).toEqual(before);
  });

  it('goes through the full path after a delta changed the state, and publishes what differs', async () => {
    const before = await settled();
    const suspended = await post(memberList([{ ...exporter, status: 'suspended', statusSince: '2026-11-01' }], { kind: 'delta' }));
    expect(suspended.status).toBe(202);
    expect(markedMessage()).toBeUndefined();
    expect(await settled()).toBe(before + 1);

    const snapshot = memberList(members);
    const response = await post(snapshot);
    expect(response.body).toMatchObject({ counts: { members: 3, statusChanged: 1, unchanged: 2 } });
    expect(await settled()).toBe(before + 2);
    expect(consumer.records.at(-1)).toMatchObject({ routingKey: 'member.status-changed.eu', body: { member: { memberId: 'DE987654321', status: 'certified' } } });
    expect(markedMessage()).toBe(snapshot.messageId);
  });

  it('goes through the full path when a warning depends on the date', async () => {
    const future = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    const dated = [...members, euMember({ memberId: 'DE555555555', legalName: 'Zukunft AG', tradeNames: [], lastValidatedOn: future })];
    expect((await post(memberList(dated))).body).toMatchObject({ warnings: expect.arrayContaining([expect.objectContaining({ code: 'date-in-future' })]) as unknown });
    const again = memberList(dated);
    expect((await post(again)).status).toBe(202);
    expect(markedMessage()).toBe(again.messageId);
  });

  it('goes through the full path when the arrangement changed, after a restart', async () => {
    const snapshot = memberList(members);
    expect((await post(snapshot)).status).toBe(202);
    const same = memberList(members);
    expect((await post(same)).status).toBe(202);
    expect(markedMessage()).toBe(snapshot.messageId);

    await test.stop();
    const registryFile = path.join(test.configDir, 'mras.json');
    const registry = JSON.parse(readFileSync(registryFile, 'utf8')) as { arrangements: { code: string; recognizedCertificateTypes: string[] }[] };
    registry.arrangements.find((a) => a.code === 'EU')!.recognizedCertificateTypes.push('AEOC');
    writeFileSync(registryFile, JSON.stringify(registry));
    test = await startTestGateway({ keys: [key], reuse: test });

    const after = memberList(members);
    const response = await post(after);
    // AEOC is now recognized: the broker's member changes, which only the full path can see.
    expect(response.body).toMatchObject({ counts: { members: 3, statusChanged: 1, unchanged: 2, notRecognized: 0 } });
    expect(markedMessage()).toBe(after.messageId);
  });
});
