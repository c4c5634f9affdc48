import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestConsumer } from '../support/broker.js';
import { signCompact } from '../support/jws.js';
import { memberList, type Member } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { disposeTestGateway, startTestGateway, waitForOutboxDrained, type TestGateway } from '../support/test-gateway.js';

// Issue 4: records carry what CBP risk systems link on: the identifier check of each scheme, MID
// candidates (derived by CBP's rules, or sent by the partner), and warnings for implausible data.

const canadian = (overrides: Partial<Member>): Member => ({
  memberId: '123026635RC0001',
  idScheme: 'BN',
  legalName: 'Maple Leaf Plastics Inc.',
  tradeNames: [],
  address: { lines: ['200 Bay Street'], city: 'Toronto', region: 'ON', postalCode: 'M5J 2J5', country: 'CA' },
  roles: ['manufacturer', 'exporter'],
  status: 'certified',
  statusSince: '2019-04-01',
  certifiedOn: '2019-04-01',
  lastValidatedOn: '2024-03-01',
  certificateType: 'PIP',
  ...overrides,
});

const inTenDays = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);

describe('identifier checks, MID candidates and warnings on real records', () => {
  let ca: PartnerSigningKey;
  let jp: PartnerSigningKey;
  let test: TestGateway;
  let consumer: TestConsumer;

  beforeAll(async () => {
    [ca, jp] = await Promise.all([createPartnerKey('CA'), createPartnerKey('JP')]);
    test = await startTestGateway({ keys: [ca, jp] });
    consumer = await TestConsumer.bind(test.topology.exchange);
  });

  afterAll(async () => {
    await consumer?.close();
    await disposeTestGateway(test);
  });

  it('a Canadian list: BN checks, province MIDs, partner MIDs, and warnings that do not refuse the list', async () => {
    const members = [
      canadian({}),
      canadian({ memberId: '123456783', legalName: 'Bad Check Digit Co.', roles: ['exporter'] }),
      canadian({
        memberId: '864213574RM0001',
        legalName: 'Acme Widgets Ltée',
        address: { lines: ['55 Rue Sainte-Catherine'], city: 'Montréal', region: 'QC', country: 'CA' },
        mids: ['XQACMEWID55MON'],
      }),
      canadian({
        memberId: '130692544',
        legalName: 'Border Freight LLC',
        address: { lines: ['1 Harbor Way'], city: 'Buffalo', country: 'US' },
        roles: ['carrier'],
        statusSince: inTenDays,
        lastValidatedOn: '2018-01-01',
      }),
    ];
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList(members, { administration: 'CA' }), ca));

    expect(response.status).toBe(202);
    const warnings = (response.body as { warnings: { pointer: string; code: string }[] }).warnings.map((w) => [w.code, w.pointer]);
    expect(warnings).toEqual([
      ['identifier-check-failed', '/members/1/memberId'],
      ['country-outside-administration', '/members/3/address/country'],
      ['date-in-future', '/members/3/statusSince'],
      ['validated-before-certified', '/members/3/lastValidatedOn'],
    ]);

    const records = await consumer.waitForCount(4);
    const byId = new Map(records.map((r) => [r.body.member.memberId as string, r.body.member]));
    expect(byId.get('123026635RC0001')).toMatchObject({ idCheck: 'valid', mids: [{ value: 'XOMAPLEA200TOR', source: 'derived' }] });
    expect(byId.get('123456783')).toMatchObject({ idCheck: 'invalid', mids: [] });
    expect(byId.get('864213574RM0001')).toMatchObject({
      mids: [
        { value: 'XQACMEWID55MON', source: 'partner' },
        { value: 'XQACMWID55MON', source: 'derived' },
      ],
    });
    expect(byId.get('130692544')).toMatchObject({ idCheck: 'valid', mids: [] });
  });

  it('a Japanese corporate number passes its check digit', async () => {
    await waitForOutboxDrained(test);
    const before = consumer.records.length;
    const member = canadian({
      memberId: '7000012050002',
      idScheme: 'JCN',
      legalName: 'Nippon Precision Tools KK',
      address: { lines: ['1-2-3 Marunouchi'], city: 'Chiyoda-ku', country: 'JP' },
      certificateType: 'AEO',
    });
    const response = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(memberList([member], { administration: 'JP' }), jp));
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ warnings: [] });
    const [record] = (await consumer.waitForCount(before + 1)).slice(before);
    expect(record!.body.member).toMatchObject({ idCheck: 'valid', mids: [{ value: 'JPNIPPRE123CHI', source: 'derived' }] });
  });

  it.each([
    ['a BN of the wrong length', { memberId: '12345' }, '/members/0/memberId'],
    ['a partner MID that cannot be one', { mids: ['CA-NOT-A-MID'] }, '/members/0/mids/0'],
  ])('refuses %s with 422 and the member pointer, storing nothing', async (_name, overrides, pointer) => {
    await waitForOutboxDrained(test);
    const before = test.counts();
    const response = await test.http
      .post('/v1/member-lists')
      .set('Content-Type', 'application/jose')
      .send(await signCompact(memberList([canadian(overrides)], { administration: 'CA' }), ca));
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ type: expect.stringMatching(/:(invalid-members|schema-violation)$/) as unknown });
    expect((response.body as { errors: { pointer: string }[] }).errors.map((e) => e.pointer)).toContain(pointer);
    expect(test.counts()).toEqual(before);
  });
});
