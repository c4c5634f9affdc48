/**
 * ICD 4: logs never carry payloads, keys, tokens or signatures. A full working day is driven through
 * one gateway (submissions in every serialization, accepted, replayed and refused; a partner key
 * rotation with add, retire and revoke; a receipt key rotation; bad admin tokens), every secret that
 * passed through it is collected, and the captured log is searched for each.
 */
import { exportJWK } from 'jose';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED_KEK_FILE } from '../../src/receipts/key-encryption-key.js';
import { isSealed, ReceiptKeySealer, type SealedPrivateKey } from '../../src/receipts/receipt-key-sealing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { signCompact, signFlattened, signGeneral } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { startTestGateway, type TestGateway, disposeTestGateway, embeddedDb } from '../support/test-gateway.js';

let test: TestGateway;
let admin: AdminSigningKey;
let eu2026: PartnerSigningKey;
let eu2027: PartnerSigningKey;
let euSpare: PartnerSigningKey;

/** Every secret that passed through the gateway, with what it is (for the failure message). */
const secrets = new Map<string, string>();
function remember(what: string, value: string | undefined): void {
  // Short values (a base64url "e30", a status word) would match by accident; real secrets are long.
  if (value !== undefined && value.length >= 12) secrets.set(value, what);
}
function rememberJws(what: string, jws: string): void {
  const parts = jws.startsWith('{') ? jwsJsonParts(jws) : jws.split('.');
  parts.forEach((part, i) => {
    remember(`${what} segment ${i}`, part);
    remember(`${what} segment ${i} (start)`, part.slice(0, 40));
  });
}
function jwsJsonParts(json: string): string[] {
  const parsed = JSON.parse(json) as { payload: string; protected?: string; signature?: string; signatures?: { protected: string; signature: string }[] };
  return [parsed.payload, ...(parsed.signatures ?? [parsed as { protected: string; signature: string }]).flatMap((s) => [s.protected, s.signature])];
}
async function rememberKey(what: string, key: { privateKey: PartnerSigningKey['privateKey'] }): Promise<void> {
  const jwk = await exportJWK(key.privateKey);
  for (const member of ['d', 'x', 'y', 'n', 'e', 'p', 'q', 'dp', 'dq', 'qi'] as const) remember(`${what} ${member}`, jwk[member]);
}

async function adminRequest(method: 'get' | 'post', path: string, body?: object) {
  const token = await adminToken(admin, { claims: { sub: 'rotation-operator@cbp.example' } });
  rememberJws('admin token', token);
  const request = test.http[method](`/admin/v1${path}`).set('Authorization', `Bearer ${token}`);
  return body === undefined ? request : request.send(body);
}

async function submit(contentType: 'application/jose' | 'application/jose+json', body: string) {
  rememberJws('submitted JWS', body);
  const response = await test.http.post('/v1/member-lists').set('Content-Type', contentType).send(body);
  const receipt = (response.body as { receipt?: string }).receipt;
  if (receipt) rememberJws('receipt', receipt);
  return response;
}

beforeAll(async () => {
  [admin, eu2026, eu2027, euSpare] = await Promise.all([createAdminKey(), createPartnerKey('EU', { kid: 'eu-2026' }), createPartnerKey('EU', { kid: 'eu-2027' }), createPartnerKey('EU', { kid: 'eu-spare' })]);
  test = await startTestGateway({ keys: [eu2026], adminKeys: [admin.publicJwk] });
  for (const [what, key] of [['admin key', admin], ['partner key eu-2026', eu2026], ['partner key eu-2027', eu2027], ['partner key eu-spare', euSpare]] as const) await rememberKey(what, key);
});

afterAll(async () => {
  await disposeTestGateway(test);
});

describe('a day of submissions and key rotations leaves no secret in the log', () => {
  it('runs the day', async () => {
    const manufacturer = euMember({ memberId: 'DE7700112233445', legalName: 'Geheimnisvolle Kunststoffwerke GmbH', address: { lines: ['Verborgene Gasse 77'], city: 'Bremen', postalCode: '28195', country: 'DE' } });
    for (const value of [manufacturer.memberId, manufacturer.legalName, manufacturer.address.lines[0]]) remember('payload content', value);

    // Partner submissions: accepted, replayed, refused after authentication, and in the JSON forms.
    const first = await signCompact(memberList([manufacturer], { sequence: 1 }), eu2026);
    expect((await submit('application/jose', first)).status).toBe(202);
    expect((await submit('application/jose', first)).status).toBe(200);
    const refused = memberList([{ ...manufacturer, status: 'dormant' as never }], { sequence: 2 });
    expect((await submit('application/jose', await signCompact(refused, eu2026))).status).toBe(422);
    const duplicateKey = JSON.stringify(memberList([manufacturer], { sequence: 3 })).replace('"city":"Bremen"', '"city":"Bremen","city":"Geheimstadt-am-Rhein"');
    remember('payload content', 'Geheimstadt-am-Rhein');
    expect((await submit('application/jose', await signCompact(duplicateKey, eu2026))).status).toBe(422);
    expect((await submit('application/jose+json', await signFlattened(memberList([manufacturer], { sequence: 4 }), eu2026))).status).toBe(202);

    // Partner key rotation: register 2027, retire 2026 with an overlap, add and revoke a spare.
    expect((await adminRequest('post', '/administrations/EU/keys', { jwk: eu2027.publicJwk })).status).toBe(201);
    expect((await adminRequest('post', `/administrations/EU/keys/${eu2026.kid}/retire`, { notAfter: new Date(Date.now() + 3_600_000).toISOString() })).status).toBe(200);
    expect((await submit('application/jose+json', await signGeneral(memberList([manufacturer], { sequence: 5 }), [eu2026, eu2027]))).status).toBe(202);
    expect((await adminRequest('post', '/administrations/EU/keys', { jwk: euSpare.publicJwk })).status).toBe(201);
    const reason = 'private key found on a shared drive, ticket SEC-4711';
    remember('revocation reason', reason);
    expect((await adminRequest('post', `/administrations/EU/keys/${euSpare.kid}/revoke`, { reason })).status).toBe(200);
    expect((await submit('application/jose', await signCompact(memberList([manufacturer], { sequence: 6 }), euSpare))).status).toBe(401);

    // Receipt key rotation; a submission signed afterwards gets a receipt from the new key.
    expect((await adminRequest('post', '/receipt-keys/rotate')).status).toBe(201);
    expect((await submit('application/jose', await signCompact(memberList([{ ...manufacturer, legalName: `${manufacturer.legalName} Neu` }], { sequence: 7 }), eu2027))).status).toBe(202);
    expect((await adminRequest('get', '/receipt-keys')).status).toBe(200);
    expect((await adminRequest('get', '/audit')).status).toBe(200);

    // Refused admin calls: a replayed token, one for another audience, one signed by a partner key.
    const replayed = await adminToken(admin);
    rememberJws('admin token', replayed);
    expect((await test.http.get('/admin/v1/audit').set('Authorization', `Bearer ${replayed}`)).status).toBe(200);
    expect((await test.http.get('/admin/v1/audit').set('Authorization', `Bearer ${replayed}`)).status).toBe(401);
    const otherAudience = await adminToken(admin, { claims: { aud: 'another-service' } });
    rememberJws('admin token', otherAudience);
    expect((await test.http.get('/admin/v1/audit').set('Authorization', `Bearer ${otherAudience}`)).status).toBe(401);
    const partnerSigned = await adminToken({ ...admin, privateKey: eu2027.privateKey });
    rememberJws('admin token', partnerSigned);
    expect((await test.http.get('/admin/v1/audit').set('Authorization', `Bearer ${partnerSigned}`)).status).toBe(401);

    // The gateway's own receipt keys, old and new, private and public: unsealed with the key-encryption
    // key the embedded store made, which must not be in the log either (nor what it sealed).
    const kek = readFileSync(path.join(test.dataDir, GENERATED_KEK_FILE));
    for (const form of ['base64', 'base64url', 'hex'] as const) remember(`key-encryption key (${form})`, kek.toString(form));
    const sealer = new ReceiptKeySealer(kek);
    const rows = embeddedDb(test.gateway).prepare('SELECT kid, private_jwk FROM receipt_keys').all() as { kid: string; private_jwk: string }[];
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const sealed = JSON.parse(row.private_jwk) as SealedPrivateKey;
      expect(isSealed(sealed)).toBe(true);
      remember('sealed receipt key', sealed.data);
      const jwk = sealer.unseal(row.kid, sealed);
      for (const member of ['d', 'x', 'y'] as const) remember(`receipt key ${member}`, jwk[member]);
    }
  });

  it('the log has a line for every request and none of the secrets', () => {
    const lines = test.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((l) => l.message === 'request')).toHaveLength(19);
    expect(lines.filter((l) => l.message === 'admin action').map((l) => l.action)).toEqual([
      'partner-key.add',
      'partner-key.retire',
      'partner-key.add',
      'partner-key.revoke',
      'receipt-key.rotate',
    ]);
    expect(secrets.size).toBeGreaterThan(60);
    const everything = test.logs.join('\n');
    const leaked = [...secrets].filter(([secret]) => everything.includes(secret)).map(([, what]) => what);
    expect(leaked).toEqual([]);
  });
});
