import { afterEach, describe, expect, it } from 'vitest';
import { problemTypeUri } from '../../src/domain/problem-types.js';
import { signCompact } from '../support/jws.js';
import { memberOf, membersOf } from '../support/administration-members.js';
import { memberList } from '../support/member-lists.js';
import { createPartnerKey } from '../support/partner-keys.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const typeOf = (response: { body: unknown }) => (response.body as { type?: string }).type;
const receiptOf = (response: { body: unknown }) => (response.body as { receipt?: string }).receipt;
interface Readiness {
  reasons: string[];
  checks: { store: { writable: boolean } };
}

/** Store outages on a PostgreSQL server of the test's own (never the machine's shared one). */
describe('PostgreSQL outages', () => {
  let server: PrivatePostgres | undefined;
  let test: TestGateway | undefined;
  afterEach(async () => {
    await disposeTestGateway(test);
    await server?.destroy();
    test = undefined;
    server = undefined;
  });

  const submit = (jws: string) => test!.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(jws);

  it('answers 503 store-unavailable with Retry-After while the database is down, says why in /readyz, and resumes by itself', async () => {
    server = await PrivatePostgres.start();
    const eu = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [eu], databaseUrl: server.url });
    expect((await submit(await signCompact(memberList([memberOf('EU', 1, 'B')], { kind: 'delta' }), eu))).status).toBe(202);

    await server.stop('immediate');
    const jws = await signCompact(memberList([memberOf('EU', 2, 'B')], { kind: 'delta' }), eu);
    const started = Date.now();
    const refused = await submit(jws);
    expect(refused.status).toBe(503);
    expect(typeOf(refused)).toBe(problemTypeUri('store-unavailable'));
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const ready = await test.http.get('/readyz');
    expect(ready.status).toBe(503);
    expect((ready.body as Readiness).reasons).toContain('store-not-writable');
    expect(test.logs.some((line) => /"dependency":"store"/.test(line) && /unavailable/.test(line))).toBe(true);

    await server.start();
    // The same message again: the result it would have had without the outage.
    const retried = await submit(jws);
    expect(retried.status).toBe(202);
    expect((await submit(jws)).status).toBe(200);
    expect(((await test.http.get('/readyz')).body as Readiness).checks.store.writable).toBe(true);
    expect(test.logs.some((line) => /"dependency":"store"/.test(line) && /available again|recovered/.test(line))).toBe(true);
  });

  it('rolls back a submission whose connection is cut mid-intake; its retry is answered as if nothing happened', async () => {
    server = await PrivatePostgres.start();
    const eu = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [eu], databaseUrl: server.url });
    const members = membersOf('EU', 20_000, 'C');
    const jws = await signCompact(memberList(members, { kind: 'snapshot' }), eu);
    const pending = submit(jws);
    // Cut every connection of the database while the snapshot is being written.
    const client = await server.connect();
    try {
      for (let i = 0; i < 200; i++) {
        const { rows } = await client.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND a.datname = 'gateway'");
        if (rows[0]!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await client.end();
    }
    await server.terminateConnections();
    const first = await pending;
    expect([202, 503]).toContain(first.status);
    if (first.status === 503) expect(typeOf(first)).toBe(problemTypeUri('store-unavailable'));
    const retried = await submit(jws);
    expect(retried.status).toBe(first.status === 202 ? 200 : 202);
    if (first.status === 202) expect(receiptOf(retried)).toBe(receiptOf(first));
    const check = await server.connect();
    try {
      const { rows } = await check.query<{ messages: number; members: number; records: number }>(
        'SELECT (SELECT COUNT(*) FROM accepted_messages)::int AS messages, (SELECT COUNT(*) FROM members)::int AS members, (SELECT COUNT(*) FROM outbox)::int AS records',
      );
      // All or nothing: one message, every member, one record each; nothing left of the cut attempt.
      expect(rows[0]).toEqual({ messages: 1, members: 20_000, records: 20_000 });
    } finally {
      await check.end();
    }
  }, 60_000);
});
