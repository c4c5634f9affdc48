import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaErrors, validators } from '../../src/validation/json-schemas.js';
import { memberOf } from '../support/administration-members.js';
import { TestConsumer } from '../support/broker.js';
import { waitUntil } from '../support/delivery-audit.js';
import { signCompact } from '../support/jws.js';
import { memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { disposeTestGateway, embeddedDb, startTestGateway, type TestGateway } from '../support/test-gateway.js';

interface HistoryRow {
  member_id: string;
  version: number;
  change: string;
  message_id: string;
}

/** Member versions on the records and in the history, on both stores. */
describe.each(['sqlite', 'postgres'] as const)('member versions: %s', (store) => {
  let test: TestGateway;
  let database: TestDatabase | undefined;
  let consumer: TestConsumer;
  let eu: PartnerSigningKey;
  const history = async (): Promise<HistoryRow[]> => {
    const text = 'SELECT member_id, version, change, message_id FROM member_versions ORDER BY member_id, version';
    if (store === 'sqlite') return embeddedDb(test.gateway).prepare(text).all() as HistoryRow[];
    const client = new pg.Client(database!.url);
    await client.connect();
    try {
      return (await client.query<HistoryRow>(text)).rows.map((r) => ({ ...r, version: Number(r.version) }));
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    eu = await createPartnerKey('EU');
    database = store === 'postgres' ? await createTestDatabase('mra_versions') : undefined;
    test = await startTestGateway({ keys: [eu], ...(database ? { databaseUrl: database.url } : {}) });
    consumer = await TestConsumer.bind(test.topology.exchange);
  });
  afterAll(async () => {
    await consumer?.close();
    await disposeTestGateway(test);
    await database?.drop();
  });

  const send = async (members: Member[], kind: 'snapshot' | 'delta', removals: string[] = []) => {
    const list = memberList([...members, ...removals.map((memberId) => ({ memberId, removed: true as const }))], { kind });
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(list, eu));
    expect(response.status).toBe(202);
    return list.messageId;
  };

  it('numbers each member from 1, one more for every change, its removal and its return, on the records and in the history', async () => {
    const a = memberOf('EU', 1, 'V');
    const b = memberOf('EU', 2, 'V');
    const first = await send([a, b], 'snapshot');
    const second = await send([{ ...a, legalName: `${a.legalName} (renamed)` }], 'delta');
    const third = await send([], 'delta', [b.memberId]);
    const fourth = await send([b], 'delta');
    await waitUntil('five records arrive', () => consumer.records.length >= 5);

    const seen = consumer.records.map((r) => [r.body.member.key.split(':')[1], (r.body.member as { version?: number }).version, r.body.change]);
    expect(seen).toEqual([
      [a.memberId, 1, 'added'],
      [b.memberId, 1, 'added'],
      [a.memberId, 2, 'updated'],
      [b.memberId, 2, 'removed'],
      [b.memberId, 3, 'added'],
    ]);
    for (const record of consumer.records) {
      expect(record.body.specVersion).toBe('1.1');
      expect(schemaErrors(validators.memberRecord, record.body)).toEqual([]);
    }
    expect((await history()).map((h) => [h.member_id, h.version, h.change, h.message_id])).toEqual([
      [a.memberId, 1, 'added', first],
      [a.memberId, 2, 'updated', second],
      [b.memberId, 1, 'added', first],
      [b.memberId, 2, 'removed', third],
      [b.memberId, 3, 'added', fourth],
    ]);
  });

  it('keeps the history when the outbox is pruned', async () => {
    const before = (await history()).length;
    const pruned = await test.gateway.outbox.prunePublished(new Date(Date.now() + 60_000));
    expect(pruned).toBeGreaterThan(0);
    expect(await history()).toHaveLength(before);
  });

  it('the schema accepts a 1.0 record without a version and refuses a 1.1 record without one', () => {
    const record = structuredClone(consumer.records[0]!.body) as unknown as { specVersion: string; member: Record<string, unknown> };
    delete record.member.version;
    expect(schemaErrors(validators.memberRecord, record)).not.toEqual([]);
    record.specVersion = '1.0';
    expect(schemaErrors(validators.memberRecord, record)).toEqual([]);
  });
});
