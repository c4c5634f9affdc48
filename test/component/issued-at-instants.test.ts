/**
 * Regression (found by the hostile-input work of issue 6): the schema's `date-time` format accepts a
 * leap second (`...T23:59:60Z`) and an hours-only offset (`+01`), which `Date.parse` reads as NaN, and
 * a NaN passed every comparison of rules 6 and 8. The intake now reads them with parseInstant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { startTestGateway, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

let eu: PartnerSigningKey;
let test: TestGateway;

beforeAll(async () => {
  eu = await createPartnerKey('EU');
  test = await startTestGateway({ keys: [eu] });
});

afterAll(async () => {
  await disposeTestGateway(test);
});

/** A one-member EU snapshot without a sequence, so that rule 8 orders it by issuedAt. */
const submit = async (issuedAt: string, legalName: string) => {
  const list = memberList([euMember({ legalName })], { issuedAt, sequence: undefined });
  return test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(list, eu));
};

describe('an issuedAt the schema accepts is read correctly for rules 6 and 8', () => {
  it('a list issued six years ago, at a leap second, is refused as too old (rule 6)', async () => {
    const response = await submit('2020-06-30T23:59:60Z', 'Six Years Old GmbH');
    expect(response.status, 'accepted although issued in 2020: Date.parse gave NaN').toBe(422);
    expect(response.body).toMatchObject({ type: 'urn:mra-gateway:problem:issued-at-out-of-range' });
  });

  it('a list issued six years ago, with an hours-only offset, is refused as too old (rule 6)', async () => {
    const response = await submit('2020-01-01T12:00:00+01', 'Offset Only GmbH');
    expect(response.status, 'accepted although issued in 2020: Date.parse gave NaN').toBe(422);
  });

  it('after a snapshot issued at a leap second, an older snapshot without a sequence is refused (rule 8)', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    // Issued at yesterday's 23:59:60: within the 72 h window, so rule 6 does not refuse it.
    expect((await submit(`${yesterday}T23:59:60Z`, 'Leap Second GmbH')).status).toBe(202);
    // Issued before it: must not roll the state back.
    const older = await submit(`${yesterday}T12:00:00Z`, 'Rolled Back GmbH');
    expect(older.status, 'an older snapshot was accepted after the leap-second one').toBe(409);
  });
});
