import { createHash } from 'node:crypto';
import type supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmissionPage, SubmissionView } from '../../src/admin/submission-log.js';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { membersOf } from '../support/administration-members.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres-database.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;
const sha256 = (bytes: string) => createHash('sha256').update(bytes).digest('base64url');
const claimsOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

/** The gateway on each store: the embedded one, and PostgreSQL in a database of the test's own. */
const STORES = [
  { name: 'sqlite', database: async (): Promise<TestDatabase | undefined> => undefined },
  { name: 'postgres', database: (): Promise<TestDatabase | undefined> => createTestDatabase('mra_submissions') },
];

interface Sent {
  body: string;
  response: supertest.Response;
  requestId: string;
}

describe.each(STORES)('the submission log on $name', (store) => {
  let admin: AdminSigningKey;
  let auditor: AdminSigningKey;
  let reader: AdminSigningKey;
  let euKey: PartnerSigningKey;
  let jpKey: PartnerSigningKey;
  let database: TestDatabase | undefined;
  let test: TestGateway;
  const sent: Record<string, Sent> = {};
  let n = 0;

  const post = async (name: string, body: string, contentType = 'application/jose'): Promise<Sent> => {
    const requestId = `submission-log-${store.name}-${++n}`;
    const response = await test.http.post('/v1/member-lists').set('Content-Type', contentType).set('X-Request-Id', requestId).send(body);
    sent[name] = { body, response, requestId };
    return sent[name];
  };
  const list = async (query = '', key = admin): Promise<supertest.Response> => adminCall(test.http, key, 'get', `/submissions${query}`);
  const page = async (query = ''): Promise<SubmissionPage> => {
    const response = await list(query);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body as SubmissionPage;
  };
  /** Every entry, following `next` with pages of `limit`. */
  const everything = async (query: string, limit: number): Promise<SubmissionView[]> => {
    const entries: SubmissionView[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const current: SubmissionPage = await page(`?${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(current.submissions.length).toBeLessThanOrEqual(limit);
      entries.push(...current.submissions);
      cursor = current.next;
      if (cursor === null) return entries;
    }
    throw new Error('the paging did not end');
  };
  const entryOf = async (name: string): Promise<SubmissionView> => {
    const entries = (await page('?limit=1000')).submissions.filter((e) => e.requestId === sent[name]!.requestId);
    expect(entries, name).toHaveLength(1);
    return entries[0]!;
  };

  beforeAll(async () => {
    [admin, auditor, reader] = await Promise.all([createAdminKey(), createAdminKey({ roles: ['audit'] }), createAdminKey({ roles: ['members:read'] })]);
    [euKey, jpKey] = await Promise.all([createPartnerKey('EU'), createPartnerKey('JP')]);
    database = await store.database();
    test = await startTestGateway({
      keys: [euKey, jpKey],
      adminKeys: [admin.publicJwk, auditor.publicJwk, reader.publicJwk],
      ...(database ? { databaseUrl: database.url } : {}),
    });

    const first = memberList([euMember(), euMember({ memberId: 'DE9876543210987', legalName: 'Zweite GmbH' })]);
    expect((await post('accepted', await signCompact(first, euKey))).response.status).toBe(202);
    expect((await post('replayed', sent.accepted!.body)).response.status).toBe(200);
    expect((await post('schema', await signCompact({ ...memberList([euMember()]), kind: 'everything' }, euKey))).response.status).toBe(422);
    expect((await post('conflict', await signCompact({ ...first, members: [euMember()] }, euKey))).response.status).toBe(409);
    expect((await post('jp', await signCompact(memberList(membersOf('JP', 3), { administration: 'JP' }), jpKey))).response.status).toBe(202);
    expect((await adminCall(test.http, admin, 'patch', '/administrations/JP', { status: 'suspended', reason: 'submission log test' })).status).toBe(200);
    expect((await post('suspended', await signCompact(memberList(membersOf('JP', 3), { administration: 'JP', kind: 'delta' }), jpKey))).response.status).toBe(403);
    for (let i = 0; i < 3; i++) expect((await post(`later-${i}`, await signCompact(memberList([euMember({ legalName: `Later ${i} GmbH` })]), euKey))).response.status).toBe(202);
    // Refused before the sender is known: no entries.
    expect((await post('garbage', 'a.b.c')).response.status).toBe(400);
    expect((await post('stranger', await signCompact(memberList([euMember()]), await createPartnerKey('EU')))).response.status).toBe(401);
  });

  afterAll(async () => {
    await disposeTestGateway(test);
    await database?.drop();
  });

  it('keeps an accepted submission with its message, digests, size, duration, request id and receipt', async () => {
    const { body, response, requestId } = sent.accepted!;
    const entry = await entryOf('accepted');
    const receipt = response.body as { messageId: string; receivedAt: string; counts: object; warnings: unknown[]; receipt: string };
    const listed = JSON.parse(Buffer.from(body.split('.')[1]!, 'base64url').toString('utf8')) as { messageId: string; sequence: number; issuedAt: string };
    expect(entry).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/) as unknown,
      administration: 'EU',
      messageId: listed.messageId,
      kid: euKey.kid,
      kind: 'snapshot',
      sequence: listed.sequence,
      issuedAt: listed.issuedAt,
      receivedAt: receipt.receivedAt,
      outcome: 'accepted',
      status: 202,
      problem: null,
      counts: receipt.counts,
      warnings: receipt.warnings.length,
      digest: sha256(body),
      payloadDigest: claimsOf(receipt.receipt).payloadDigest,
      size: Buffer.byteLength(body),
      durationMs: expect.any(Number) as unknown,
      requestId,
      receipt: receipt.receipt,
    });
    expect(entry.durationMs).toBeGreaterThan(0);
    expect(claimsOf(receipt.receipt).digest).toBe(entry.digest);
    // The entry on its own is what the listing shows.
    const one = await adminCall(test.http, admin, 'get', `/submissions/${entry.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(entry);
  });

  it('keeps a replay with the original receipt, and each rejection with its problem, first errors and signed receipt', async () => {
    const accepted = await entryOf('accepted');
    const replay = await entryOf('replayed');
    expect(replay).toMatchObject({ outcome: 'replayed', status: 200, messageId: accepted.messageId, problem: null, receipt: accepted.receipt, counts: accepted.counts, digest: accepted.digest });
    expect(replay.id).not.toBe(accepted.id);

    const schema = await entryOf('schema');
    const schemaProblem = sent.schema!.response.body as { detail: string; errors: unknown[]; receipt: string };
    expect(schema).toMatchObject({
      administration: 'EU',
      outcome: 'rejected',
      status: 422,
      messageId: null,
      kind: null,
      sequence: null,
      issuedAt: null,
      counts: null,
      warnings: 0,
      receipt: schemaProblem.receipt,
      problem: { type: problem('schema-violation'), status: 422, detail: schemaProblem.detail, errors: schemaProblem.errors.slice(0, 20), errorCount: schemaProblem.errors.length },
    });
    expect(schema.problem!.errors.length).toBeGreaterThan(0);

    const conflict = await entryOf('conflict');
    expect(conflict).toMatchObject({ outcome: 'rejected', status: 409, messageId: accepted.messageId, kind: 'snapshot', problem: { type: problem('message-id-conflict'), errors: [], errorCount: 0 } });
    expect(conflict.receipt).toBe((sent.conflict!.response.body as { receipt: string }).receipt);

    const suspended = await entryOf('suspended');
    expect(suspended).toMatchObject({ administration: 'JP', kid: jpKey.kid, outcome: 'rejected', status: 403, kind: 'delta', problem: { type: problem('mra-not-active') } });
    expect(suspended.messageId).toMatch(/^msg-/);
  });

  it('keeps nothing of what was refused before its sender was known', async () => {
    const all = await everything('', 1000);
    expect(all).toHaveLength(9);
    for (const name of ['garbage', 'stranger']) expect(all.some((e) => e.requestId === sent[name]!.requestId), name).toBe(false);
  });

  it('pages newest first across pages, each entry once, and says where the last page ends', async () => {
    const all = (await page('?limit=1000')).submissions;
    // Sent one after the other: newest first is the order of sending, reversed.
    const kept = Object.entries(sent).filter(([name]) => name !== 'garbage' && name !== 'stranger');
    expect(all.map((e) => e.requestId)).toEqual(kept.map(([, s]) => s.requestId).reverse());
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.receivedAt >= all[i]!.receivedAt).toBe(true);
    for (const limit of [1, 2, 4]) {
      const paged = await everything('', limit);
      expect(paged.map((e) => e.id), `limit ${limit}`).toEqual(all.map((e) => e.id));
    }
    const last = await page(`?limit=9`);
    expect(last.next).toBeNull();
    const first = await page(`?limit=8`);
    expect(first.next).not.toBeNull();
    expect((await page(`?limit=8&cursor=${encodeURIComponent(first.next!)}`)).submissions.map((e) => e.id)).toEqual([all[8]!.id]);
  });

  it('filters by administration, messageId, outcome, problem and time, together too', async () => {
    const all = (await page('?limit=1000')).submissions;
    const names = (entries: SubmissionView[]) => entries.map((e) => Object.entries(sent).find(([, s]) => s.requestId === e.requestId)![0]);
    const accepted = await entryOf('accepted');
    expect(names(await everything('administration=JP', 1))).toEqual(['suspended', 'jp']);
    expect(names(await everything(`messageId=${accepted.messageId}`, 2))).toEqual(['conflict', 'replayed', 'accepted']);
    expect(names(await everything('outcome=replayed', 2))).toEqual(['replayed']);
    expect(names(await everything('outcome=rejected', 2))).toEqual(['suspended', 'conflict', 'schema']);
    expect(names(await everything('problem=schema-violation', 2))).toEqual(['schema']);
    expect(names(await everything(`problem=${encodeURIComponent(problem('mra-not-active'))}`, 2))).toEqual(['suspended']);
    expect(names(await everything('outcome=accepted&administration=EU', 2))).toEqual(['later-2', 'later-1', 'later-0', 'accepted']);
    // from is inclusive, to exclusive.
    const jp = await entryOf('jp');
    const fromJp = await everything(`from=${encodeURIComponent(jp.receivedAt)}`, 3);
    expect(fromJp.map((e) => e.id)).toEqual(all.filter((e) => e.receivedAt >= jp.receivedAt).map((e) => e.id));
    expect(fromJp.at(-1)!.receivedAt).toBe(jp.receivedAt);
    const beforeJp = await everything(`to=${encodeURIComponent(jp.receivedAt)}`, 3);
    expect(beforeJp.map((e) => e.id)).toEqual(all.filter((e) => e.receivedAt < jp.receivedAt).map((e) => e.id));
    const window = await everything(`administration=EU&outcome=accepted&from=${encodeURIComponent(jp.receivedAt)}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, 2);
    expect(names(window)).toEqual(['later-2', 'later-1', 'later-0']);
    expect(await everything('administration=KR', 5)).toEqual([]);
  });

  it('refuses bad parameters with 400 invalid-request, naming each one', async () => {
    const refused = async (query: string, pointers: string[]) => {
      const response = await list(query);
      expect(response.status, query).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({ type: problem('invalid-request') });
      expect((response.body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer), query).toEqual(pointers);
    };
    await refused('?kind=snapshot', ['/kind']);
    await refused('?limit=0', ['/limit']);
    await refused('?limit=1001', ['/limit']);
    await refused('?limit=ten', ['/limit']);
    await refused('?outcome=lost', ['/outcome']);
    await refused('?outcome=accepted&outcome=rejected', ['/outcome']);
    await refused('?problem=no-such-problem', ['/problem']);
    await refused('?administration=eu', ['/administration']);
    await refused('?messageId=has%20space', ['/messageId']);
    await refused('?from=yesterday', ['/from']);
    await refused('?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', ['/to']);
    await refused('?cursor=bm90LWEtY3Vyc29y', ['/cursor']);
    await refused('?since=1&limit=0&outcome=x', ['/since', '/limit', '/outcome']);
  });

  it('answers an unknown id with 404 submission-not-found', async () => {
    for (const id of ['01890000-0000-7000-8000-000000000000', 'not-an-id', `${(await entryOf('accepted')).id}x`]) {
      const response = await adminCall(test.http, admin, 'get', `/submissions/${encodeURIComponent(id)}`);
      expect(response.status, id).toBe(404);
      expect(response.body).toMatchObject({ type: problem('submission-not-found'), status: 404 });
    }
  });

  it('is read by every admin role, and not by a key that only reads the member register', async () => {
    const accepted = await entryOf('accepted');
    expect((await list('?limit=1', auditor)).status).toBe(200);
    expect((await adminCall(test.http, auditor, 'get', `/submissions/${accepted.id}`)).status).toBe(200);
    for (const path of ['/submissions', `/submissions/${accepted.id}`]) {
      const response = await adminCall(test.http, reader, 'get', path);
      expect(response.status, path).toBe(403);
      expect(response.body).toMatchObject({ type: problem('forbidden') });
    }
    expect((await test.http.get('/admin/v1/submissions')).status).toBe(401);
  });
});

describe.each(STORES)('the submission log on $name keeps nothing of a flood', (store) => {
  let euKey: PartnerSigningKey;
  let admin: AdminSigningKey;
  let database: TestDatabase | undefined;
  let test: TestGateway;

  beforeAll(async () => {
    admin = await createAdminKey();
    euKey = await createPartnerKey('EU');
    database = await store.database();
    test = await startTestGateway({
      keys: [euKey],
      adminKeys: [admin.publicJwk],
      env: { RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: '1' },
      ...(database ? { databaseUrl: database.url } : {}),
    });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
    await database?.drop();
  });

  it('neither garbage without a valid signature nor a rate-limited list leaves an entry; the metrics count them', async () => {
    const submit = (body: string, contentType = 'application/jose') => test.http.post('/v1/member-lists').set('Content-Type', contentType).send(body);
    const stranger = await createPartnerKey('EU', { kid: euKey.kid });
    const refusedBeforeAuthentication = [
      await submit('a.b.c'),
      await submit('{"payload":"e30","signatures":[]}', 'application/jose+json'),
      await submit(await signCompact(memberList([euMember()]), await createPartnerKey('EU'))),
      // The registered kid, another key: the signature does not verify.
      await submit(await signCompact(memberList([euMember()]), stranger)),
      await submit(await signCompact(memberList([euMember()]), euKey, { typ: 'JWT' })),
      await submit('x'.repeat(100), 'text/plain'),
    ];
    expect(refusedBeforeAuthentication.map((r) => r.status)).toEqual([400, 400, 401, 401, 401, 415]);
    expect((await submit(await signCompact(memberList([euMember()]), euKey))).status).toBe(202);
    const limited = await submit(await signCompact(memberList([euMember({ legalName: 'Flood GmbH' })]), euKey));
    expect(limited.status).toBe(429);
    // Refused once authenticated, so with a signed receipt, yet not kept.
    expect((limited.body as { receipt?: string }).receipt).toEqual(expect.any(String));

    const logged = (await adminCall(test.http, admin, 'get', '/submissions')).body as SubmissionPage;
    expect(logged.submissions.map((e) => [e.outcome, e.status])).toEqual([['accepted', 202]]);

    const samples = parsePrometheusText((await test.http.get('/metrics')).text);
    expect(sampleValue(samples, 'mra_submissions_total', { administration: 'unknown', outcome: 'rejected' })).toBe(refusedBeforeAuthentication.length);
    expect(sampleValue(samples, 'mra_submissions_total', { administration: 'EU', outcome: 'rejected' })).toBe(1);
    expect(sampleValue(samples, 'mra_submission_rejections_total', { problem: 'rate-limited' })).toBe(1);
  });
});
