/**
 * Requests that are not well-formed (issue 11): a path whose percent-encoding does not decode, HTTP
 * Node's parser refuses, headers that are too large or too slow, and more connections than the gateway
 * keeps open. Each is a 4xx problem document (never a 500 and an error-level log line with a stack),
 * and the gateway keeps serving everyone else.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { rawExchange } from '../support/raw-http.js';
import { disposeTestGateway, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;

let admin: AdminSigningKey;
let test: TestGateway;
let port: number;

beforeAll(async () => {
  admin = await createAdminKey();
  test = await startTestGateway({ adminKeys: [admin.publicJwk], env: { HEADERS_TIMEOUT_SECONDS: '1', MAX_CONNECTIONS: '4' } });
  port = Number(new URL(test.gateway.url).port);
});

afterAll(async () => {
  await disposeTestGateway(test);
});

const errorLines = () => test.logs.filter((line) => (JSON.parse(line) as { level: string }).level === 'error');

/** The status line and the problem document of a raw HTTP answer. */
function parse(response: string): { status: number; contentType: string | undefined; problem: Record<string, unknown> } {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /^content-type: (.*)$/im.exec(head)?.[1];
  return { status, contentType, problem: body === '' ? {} : (JSON.parse(body) as Record<string, unknown>) };
}

describe('paths that cannot be decoded', () => {
  it.each(['/schemas/%ZZ', '/schemas/%C0%AF', '/schemas/%ED%A0%80'])('GET %s is 400 bad-request', async (path) => {
    const response = await test.http.get(path);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: problem('bad-request'), status: 400 });
  });

  it.each(['/administrations/%ZZ', '/administrations/EU/keys/%C0%AF/revoke', '/administrations/%C0%AF/keys'])('an authenticated admin call to %s is 400 bad-request', async (path) => {
    const response = await test.http.get(`/admin/v1${path}`).set('Authorization', `Bearer ${await adminToken(admin)}`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: problem('bad-request') });
  });

  it('logs none of them as an error', () => {
    expect(errorLines()).toEqual([]);
  });
});

describe("Node's own refusals are problem documents", () => {
  it('HTTP the parser refuses: 400 bad-request', async () => {
    const { response } = await rawExchange(port, [{ write: 'GARBAGE / NOTHTTP\r\n\r\n' }]);
    const answer = parse(response);
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.problem).toMatchObject({ type: problem('bad-request'), status: 400 });
    expect(response).toMatch(/x-content-type-options: nosniff/i);
  });

  it('headers larger than Node accepts: 431 headers-too-large', async () => {
    const { response } = await rawExchange(port, [{ write: `GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n` }]);
    const answer = parse(response);
    expect(answer.status).toBe(431);
    expect(answer.problem).toMatchObject({ type: problem('headers-too-large'), status: 431 });
  });

  it('headers that never end: 408 request-timeout', async () => {
    const { response } = await rawExchange(port, [{ write: 'GET /healthz HTTP/1.1\r\nHost: gateway\r\n' }]);
    const answer = parse(response);
    expect(answer.status).toBe(408);
    expect(answer.problem).toMatchObject({ type: problem('request-timeout'), status: 408 });
  });

  it('each has a request id in the log', () => {
    const lines = test.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.message === 'request refused by the HTTP parser');
    expect(lines.map((line) => line.status).sort()).toEqual([400, 408, 431]);
    expect(lines.every((line) => typeof line.requestId === 'string')).toBe(true);
  });
});

describe('open connections', () => {
  it('beyond MAX_CONNECTIONS a new connection is closed at once; the open ones are served, and room comes back', async () => {
    const open = await Promise.all(Array.from({ length: 4 }, () => connect()));
    const refused = await connect();
    const closedWithoutAnswer = await new Promise<boolean>((resolve) => {
      let data = '';
      refused.on('data', (chunk: Buffer) => (data += chunk.toString()));
      refused.on('close', () => resolve(data === ''));
      refused.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
    });
    expect(closedWithoutAnswer).toBe(true);

    const served = await new Promise<string>((resolve) => {
      open[0]!.once('data', (chunk: Buffer) => resolve(chunk.toString()));
      open[0]!.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
    });
    expect(served).toMatch(/^HTTP\/1\.1 200/);
    for (const socket of open) socket.destroy();
    await until(async () => (await connections()) === 0);
    expect((await test.http.get('/healthz')).status).toBe(200);
    expect(test.logs.some((line) => line.includes('MAX_CONNECTIONS'))).toBe(true);
  });
});

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

function connections(): Promise<number> {
  return new Promise((resolve, reject) => test.gateway.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
