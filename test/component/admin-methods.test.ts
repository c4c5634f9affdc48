import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { startTestGateway, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Every admin path, with ids that do not exist and bodies that are refused, so that a method the path
 * supports answers 400 or 404 (or 200 for a read) and changes nothing.
 */
const PATHS: { path: string; allow: string }[] = [
  { path: '/administrations', allow: 'GET, HEAD' },
  { path: '/administrations/XX', allow: 'GET, HEAD, PATCH' },
  { path: '/administrations/XX/keys', allow: 'GET, HEAD, POST' },
  { path: '/administrations/XX/keys/none/retire', allow: 'POST' },
  { path: '/administrations/XX/keys/none/revoke', allow: 'POST' },
  { path: '/receipt-keys', allow: 'GET, HEAD' },
  { path: '/receipt-keys/rotate', allow: 'POST' },
  { path: '/receipt-keys/none/retire', allow: 'POST' },
  { path: '/audit', allow: 'GET, HEAD' },
];

describe('the admin API answers 405 with a truthful Allow header', () => {
  let admin: AdminSigningKey;
  let test: TestGateway;

  beforeAll(async () => {
    admin = await createAdminKey();
    test = await startTestGateway({ adminKeys: [admin.publicJwk] });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  const send = async (method: (typeof METHODS)[number], path: string) => {
    const request = test.http[method.toLowerCase() as 'get'](`/admin/v1${path}`).set('Authorization', `Bearer ${await adminToken(admin)}`);
    return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? request : request.send({ refused: true });
  };

  for (const { path, allow } of PATHS) {
    it(`${path}: 405 exactly for the methods Allow leaves out (${allow})`, async () => {
      const allowed = allow.split(', ');
      for (const method of METHODS) {
        const response = await send(method, path);
        if (allowed.includes(method)) {
          expect({ method, status: response.status }).not.toEqual({ method, status: 405 });
        } else {
          expect({ method, status: response.status, allow: response.headers.allow }).toEqual({ method, status: 405, allow });
        }
      }
    });
  }

  it('HEAD on a read answers like GET, without a body', async () => {
    const get = await send('GET', '/audit');
    const head = await send('HEAD', '/audit');
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.text ?? '').toBe('');
  });
});
