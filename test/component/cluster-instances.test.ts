import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemTypeUri, type ProblemCode } from '../../src/domain/problem-types.js';
import { adminCall, adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { waitUntil } from '../support/delivery-audit.js';
import { GatewayCluster } from '../support/gateway-cluster.js';
import { signCompact } from '../support/jws.js';
import { memberOf } from '../support/administration-members.js';
import { memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';

const problem = (code: ProblemCode) => problemTypeUri(code);
const typeOf = (response: { body: unknown }) => (response.body as { type?: string }).type;
const receiptOf = (response: { body: unknown }) => (response.body as { receipt?: string }).receipt;
/** Lists per administration per minute, shared by the three instances. */
const LIMIT = 20;
const post = (cluster: GatewayCluster, i: number, jws: string) =>
  cluster.members[i]!.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(jws);

/**
 * Three gateway processes on one PostgreSQL database and the real RabbitMQ, as behind a load
 * balancer: every rule of the contract holds whichever instance a request reaches.
 */
describe('three gateway instances on one PostgreSQL store', () => {
  let cluster: GatewayCluster;
  let eu: PartnerSigningKey;
  let euSpare: PartnerSigningKey;
  let jp: PartnerSigningKey;
  let kr: PartnerSigningKey;
  let admin: AdminSigningKey;

  beforeAll(async () => {
    [eu, euSpare, jp, kr, admin] = await Promise.all([createPartnerKey('EU'), createPartnerKey('EU'), createPartnerKey('JP'), createPartnerKey('KR'), createAdminKey()]);
    cluster = await GatewayCluster.start(3, { keys: [eu, euSpare, jp, kr], adminKeys: [admin.publicJwk], env: { RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: String(LIMIT) } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.dispose();
  });

  it('answers the same message arriving at two instances at once with one 202 and one 200 carrying the same receipt', async () => {
    const jws = await signCompact(memberList([memberOf('EU', 1, 'D')], { kind: 'delta' }), eu);
    const answers = await Promise.all([post(cluster, 0, jws), post(cluster, 1, jws)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 202]);
    expect(receiptOf(answers[0])).toBe(receiptOf(answers[1]));
    const [row] = await cluster.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM outbox WHERE member_key = 'EU:DED000000001'");
    expect(row!.n).toBe(1);
  });

  it('applies two snapshots of one administration sent at once one after the other, never interleaved', async () => {
    const ids = (tag: string) => Array.from({ length: 300 }, (_, i) => memberOf('EU', i, tag));
    const older = memberList([...ids('S'), ...ids('O')], { kind: 'snapshot', issuedAt: new Date(Date.now() - 2000).toISOString() });
    const newer = memberList([...ids('S'), ...ids('N')], { kind: 'snapshot', issuedAt: new Date(Date.now() - 1000).toISOString() });
    const [first, second] = await Promise.all([post(cluster, 1, await signCompact(older, eu)), post(cluster, 2, await signCompact(newer, eu))]);
    expect(second.status).toBe(202);
    // The older one either went first (202) or came second and is refused as issued before the newer (409).
    expect([202, 409]).toContain(first.status);
    if (first.status === 409) expect(typeOf(first)).toBe(problem('sequence-not-increasing'));
    const members = await cluster.query<{ member_id: string }>("SELECT member_id FROM members WHERE administration = 'EU' AND removed_at IS NULL AND member_id LIKE ANY (ARRAY['DES%', 'DEO%', 'DEN%'])");
    const tags = new Set(members.map((m) => m.member_id.slice(2, 3)));
    expect([...tags].sort()).toEqual(['N', 'S']);
    expect(members).toHaveLength(600);
  });

  it('refuses at instance B a key revoked through instance A, on the very next request', async () => {
    const revoked = await adminCall(cluster.members[0]!.http, admin, 'post', `/administrations/EU/keys/${euSpare.kid}/revoke`, { reason: 'exposed in an incident' });
    expect(revoked.status).toBe(200);
    const refused = await post(cluster, 1, await signCompact(memberList([memberOf('EU', 2, 'D')], { kind: 'delta' }), euSpare));
    expect(refused.status).toBe(401);
    expect(typeOf(refused)).toBe(problem('inactive-key'));
  });

  it('puts a suspension and a reinstatement through A in force at B and C for the next submission', async () => {
    const suspend = await adminCall(cluster.members[0]!.http, admin, 'patch', '/administrations/JP', { status: 'suspended', reason: 'Joint review' });
    expect(suspend.status).toBe(200);
    const refused = await post(cluster, 1, await signCompact(memberList([memberOf('JP', 1, 'D')], { administration: 'JP', kind: 'delta' }), jp));
    expect(refused.status).toBe(403);
    expect(typeOf(refused)).toBe(problem('mra-not-active'));
    const reinstate = await adminCall(cluster.members[0]!.http, admin, 'patch', '/administrations/JP', { status: 'active', reason: 'Review closed' });
    expect(reinstate.status).toBe(200);
    const accepted = await post(cluster, 2, await signCompact(memberList([memberOf('JP', 2, 'D')], { administration: 'JP', kind: 'delta' }), jp));
    expect(accepted.status).toBe(202);
  });

  it("shows a suspension through A in the register's reads at B within moments, and the reinstatement", async () => {
    const member = memberOf('JP', 7, 'R');
    expect((await post(cluster, 0, await signCompact(memberList([member], { administration: 'JP', kind: 'delta' }), jp))).status).toBe(202);
    const reader = await adminToken(admin, { claims: { jti: undefined } });
    const statusAtB = async () => ((await cluster.members[1]!.http.get(`/v1/members/JP:${member.memberId}`).set('Authorization', `Bearer ${reader}`)).body as { arrangement?: { status: string } }).arrangement?.status;
    expect(await statusAtB()).toBe('active');
    expect((await adminCall(cluster.members[0]!.http, admin, 'patch', '/administrations/JP', { status: 'suspended', reason: 'Joint review' })).status).toBe(200);
    // Announced by NOTIFY: no round trip per read, so allow the notification its milliseconds.
    await waitUntil('B shows the suspension', async () => (await statusAtB()) === 'suspended', 2_000);
    expect((await adminCall(cluster.members[0]!.http, admin, 'patch', '/administrations/JP', { status: 'active', reason: 'Review closed' })).status).toBe(200);
    await waitUntil('B shows the reinstatement', async () => (await statusAtB()) === 'active', 2_000);
  });

  it('signs receipts at B with a receipt key rotated through A, from the next submission on', async () => {
    const rotated = await adminCall(cluster.members[0]!.http, admin, 'post', '/receipt-keys/rotate');
    expect(rotated.status).toBe(201);
    const newKid = (rotated.body as { signing: string }).signing;
    // Nothing has asked C for anything since: its published keys change by the notification alone.
    const publishedAtB = async () => ((await cluster.members[2]!.http.get('/.well-known/jwks.json')).body as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    await waitUntil('instance C publishes the new receipt key', async () => (await publishedAtB()).includes(newKid), 2_000);
    const accepted = await post(cluster, 1, await signCompact(memberList([memberOf('EU', 3, 'D')], { kind: 'delta' }), eu));
    expect(accepted.status).toBe(202);
    expect(decodeProtectedHeader(receiptOf(accepted)!).kid).toBe(newKid);
  });

  it('counts one allowance per administration across the instances', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const answer = await post(cluster, i % 3, await signCompact(memberList([memberOf('KR', i, 'L')], { administration: 'KR', kind: 'delta' }), kr));
      statuses.push(answer.status);
      if (answer.status === 429) {
        expect(typeOf(answer)).toBe(problem('rate-limited'));
        expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    // Spread over three instances, each saw about a third: only a shared count refuses any.
    expect(statuses.slice(0, LIMIT).every((status) => status === 202)).toBe(true);
    expect(statuses.slice(LIMIT)).toEqual([429, 429]);
  });

  it("refuses at B an admin token already used at A", async () => {
    const token = await adminToken(admin);
    const first = await cluster.members[0]!.http.get('/admin/v1/audit').set('Authorization', `Bearer ${token}`);
    expect(first.status).toBe(200);
    const again = await cluster.members[1]!.http.get('/admin/v1/audit').set('Authorization', `Bearer ${token}`);
    expect(again.status).toBe(401);
    expect(typeOf(again)).toBe(problem('unauthorized'));
  });

  it('publishes a record whose transaction drew its position before another instance committed later ones', async () => {
    // EU's next intake is held inside its transaction (after it wrote its outbox rows, at the cursor
    // update) by a row lock this test takes; meanwhile JP commits through another instance and its
    // record is published. Then EU commits: its record, below positions already published, must come.
    expect((await post(cluster, 2, await signCompact(memberList([memberOf('EU', 6, 'D')], { kind: 'delta' }), eu))).status).toBe(202);
    const locker = await cluster.sql.connect();
    try {
      await locker.query('BEGIN');
      await locker.query("SELECT * FROM administration_cursors WHERE administration = 'EU' FOR UPDATE");
      // supertest sends on then(): start it now, await it later.
      const held = post(cluster, 0, await signCompact(memberList([memberOf('EU', 4, 'D')], { kind: 'delta' }), eu)).then((response) => response);
      await waitUntil('EU intake waits on the cursor row', async () => (await cluster.query("SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'")).length > 0);
      const jpAnswer = await post(cluster, 1, await signCompact(memberList([memberOf('JP', 3, 'D')], { administration: 'JP', kind: 'delta' }), jp));
      expect(jpAnswer.status).toBe(202);
      await waitUntil('the JP record is published', () => cluster.consumer.records.some((r) => r.body.member.key === 'JP:JP-D-0000003'));
      const [positions] = await cluster.query<{ jp: number }>(
        "SELECT (SELECT MAX(seq) FROM outbox WHERE member_key = 'JP:JP-D-0000003')::int AS jp",
      );
      await locker.query('COMMIT');
      expect((await held).status).toBe(202);
      await waitUntil('the EU record is published', () => cluster.consumer.records.some((r) => r.body.member.key === 'EU:DED000000004'));
      const [late] = await cluster.query<{ seq: number }>("SELECT seq::int AS seq FROM outbox WHERE member_key = 'EU:DED000000004'");
      // It really drew its position first: below JP's, which had been published before it committed.
      expect(late!.seq).toBeLessThan(positions!.jp);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
  });

  it('takes over publishing when the relay holder is paused, and the paused one publishes nothing after it resumes', async () => {
    const holderPid = await cluster.relayHolderPid();
    const holder = cluster.members.find((m) => m.process.pid === holderPid)!;
    expect(holder).toBeDefined();
    const others = cluster.members.filter((m) => m !== holder);
    process.kill(holderPid!, 'SIGSTOP');
    try {
      const answer = await others[0]!.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList([memberOf('EU', 5, 'D')], { kind: 'delta' }), eu));
      expect(answer.status).toBe(202);
      await waitUntil('another instance publishes while the holder is paused', () => cluster.consumer.records.some((r) => r.body.member.key === 'EU:DED000000005'), 30_000);
      expect(await cluster.relayHolderPid()).not.toBe(holderPid);
    } finally {
      process.kill(holderPid!, 'SIGCONT');
    }
    const before = cluster.consumer.records.length;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Fenced: the resumed process found its lease gone and published nothing more.
    expect(cluster.consumer.records.length).toBe(before);
    const fenced = holder.process.output.some((line) => /relay lease lost|another instance took over/.test(line));
    expect(fenced).toBe(true);
    // Every record of every member arrived in the order accepted.
    const rows = await cluster.query<{ event_id: string; member_key: string; seq: number }>('SELECT event_id, member_key, seq::int AS seq FROM outbox ORDER BY seq');
    await waitUntil('every record is published', () => new Set(cluster.consumer.records.map((r) => r.body.eventId)).size === rows.length, 20_000);
    const firstArrival = new Map<string, number>();
    cluster.consumer.records.forEach((r, i) => firstArrival.has(r.body.eventId) || firstArrival.set(r.body.eventId, i));
    const byMember = new Map<string, string[]>();
    for (const row of rows) byMember.set(row.member_key, [...(byMember.get(row.member_key) ?? []), row.event_id]);
    for (const events of byMember.values()) {
      const arrivals = events.map((e) => firstArrival.get(e)!);
      expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b));
    }
  }, 60_000);
});
