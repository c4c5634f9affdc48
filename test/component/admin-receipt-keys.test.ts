import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { submitSignedList } from '../support/submissions.js';
import { startTestGateway, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;

interface ReceiptKeyList {
  signing: string;
  keys: { kid: string; state: string; jwk: Record<string, unknown> }[];
}

describe('receipt key rotation through the admin API', () => {
  let admin: AdminSigningKey;
  let euKey: PartnerSigningKey;
  let test: TestGateway;
  let firstKid: string;
  let secondKid: string;
  let oldReceipt: string;
  let newReceipt: string;

  beforeAll(async () => {
    admin = await createAdminKey();
    euKey = await createPartnerKey('EU');
    test = await startTestGateway({ keys: [euKey], adminKeys: [admin.publicJwk] });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const jwks = async () => (await test.http.get('/.well-known/jwks.json')).body as JSONWebKeySet;
  const receipt = async () => {
    const response = await submitSignedList(test.http, euKey);
    expect(response.status).toBe(202);
    return (response.body as { receipt: string }).receipt;
  };
  const verifies = async (jws: string) =>
    compactVerify(jws, createLocalJWKSet(await jwks())).then(
      () => true,
      () => false,
    );

  it('rotates: the new key signs, the previous one stays published, and both receipts verify', async () => {
    oldReceipt = await receipt();
    firstKid = decodeProtectedHeader(oldReceipt).kid!;
    const rotated = await adminCall(test.http, admin, 'post', '/receipt-keys/rotate');
    expect(rotated.status).toBe(201);
    const list = rotated.body as ReceiptKeyList;
    secondKid = list.signing;
    expect(secondKid).not.toBe(firstKid);
    expect(list.keys.map((k) => [k.kid, k.state])).toEqual([
      [secondKid, 'signing'],
      [firstKid, 'published'],
    ]);
    for (const key of list.keys) expect(key.jwk).not.toHaveProperty('d');

    newReceipt = await receipt();
    expect(decodeProtectedHeader(newReceipt).kid).toBe(secondKid);
    expect((await jwks()).keys.map((k) => k.kid).sort()).toEqual([firstKid, secondKid].sort());
    expect(await verifies(oldReceipt)).toBe(true);
    expect(await verifies(newReceipt)).toBe(true);
  });

  it('refuses to retire the signing key, an unknown kid, or a body', async () => {
    const signing = await adminCall(test.http, admin, 'post', `/receipt-keys/${secondKid}/retire`);
    expect(signing.status).toBe(409);
    expect(signing.body).toMatchObject({ type: problem('invalid-state-transition') });
    const unknown = await adminCall(test.http, admin, 'post', '/receipt-keys/no-such-kid/retire');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ type: problem('receipt-key-not-found') });
    const withBody = await adminCall(test.http, admin, 'post', '/receipt-keys/rotate', { alg: 'HS256' });
    expect(withBody.status).toBe(400);
    expect(withBody.body).toMatchObject({ type: problem('invalid-request') });
    expect((await jwks()).keys).toHaveLength(2);
  });

  it('retires the previous key: it leaves jwks.json and its receipts no longer verify there', async () => {
    const retired = await adminCall(test.http, admin, 'post', `/receipt-keys/${firstKid}/retire`);
    expect(retired.status).toBe(200);
    expect((retired.body as ReceiptKeyList).keys.map((k) => [k.kid, k.state])).toEqual([
      [secondKid, 'signing'],
      [firstKid, 'retired'],
    ]);
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([secondKid]);
    expect(await verifies(oldReceipt)).toBe(false);
    expect(await verifies(newReceipt)).toBe(true);
    const again = await adminCall(test.http, admin, 'post', `/receipt-keys/${firstKid}/retire`);
    expect(again.status).toBe(409);
  });

  it('audits the rotation and the retirement', async () => {
    const entries = ((await adminCall(test.http, admin, 'get', '/audit')).body as { entries: { action: string; kid: string; before: unknown; after: unknown }[] }).entries;
    expect(entries.map((e) => [e.action, e.kid, e.before, e.after])).toEqual([
      ['receipt-key.rotate', secondKid, { signing: firstKid }, { signing: secondKid }],
      ['receipt-key.retire', firstKid, { state: 'published' }, { state: 'retired', retiredAt: expect.any(String) as unknown }],
    ]);
  });

  it('keeps signing with the rotated key after a restart on the same DATA_DIR', async () => {
    await test.stop();
    test = await startTestGateway({ reuse: test });
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([secondKid]);
    const after = await receipt();
    expect(decodeProtectedHeader(after).kid).toBe(secondKid);
    expect(await verifies(newReceipt)).toBe(true);
    expect(await verifies(after)).toBe(true);
  });
});
