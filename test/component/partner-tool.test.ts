import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePartnerKey, readSigningKey } from '../../src/cli/partner/partner-key-files.js';
import { runPartnerTool } from '../../src/cli/partner/partner-commands.js';
import { CLI_ERROR_EXIT_CODES } from '../../src/cli/cli-error.js';
import { pushMemberList } from '../../src/cli/partner/push-member-list.js';
import { signMemberList } from '../../src/cli/partner/sign-member-list.js';
import { deleteTopology } from '../support/broker.js';
import { freePort } from '../support/gateway-process.js';
import { captureIo } from '../support/cli-capture.js';
import { euMember, memberList, type Member } from '../support/member-lists.js';
import { partnerToolKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { removeTestFiles, startTestGateway, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const exit = CLI_ERROR_EXIT_CODES;


function runBin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/mra-partner.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the partner tool against a running gateway', () => {
  let dir: string;
  let keyFile: string;
  let test: TestGateway;
  const file = (name: string) => path.join(dir, name);
  const writeList = (name: string, members: Member[] = [euMember()]) => {
    writeFileSync(file(name), JSON.stringify(memberList(members), null, 2));
    return file(name);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mra-partner-test-'));
    keyFile = file('eu.jwk.json');
    // Registered the way CBP would at onboarding: the public JWK in CONFIG_DIR/partner-keys/EU.json.
    const registered = await partnerToolKey(keyFile);
    test = await startTestGateway({ keys: [registered] });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keygen writes the private key 0600, prints the public key, and never overwrites', async () => {
    const io = captureIo();
    const code = await runPartnerTool(['keygen', '--administration', 'JP', '--key', file('jp.jwk.json')], io);
    expect(code).toBe(0);
    expect(statSync(file('jp.jwk.json')).mode & 0o777).toBe(0o600);
    const publicJwk = JSON.parse(io.out()) as Record<string, unknown>;
    expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(publicJwk).not.toHaveProperty('d');
    expect(JSON.parse(readFileSync(file('jp.jwk.json'), 'utf8'))).toMatchObject({ kid: publicJwk.kid, d: expect.any(String) as unknown });

    const again = await runPartnerTool(['keygen', '--administration', 'JP', '--key', file('jp.jwk.json')], captureIo());
    expect(again).toBe(exit['file-exists']);
  });

  it('signs, pushes, prints the receipt and verifies it against the gateway JWKS', async () => {
    const list = writeList('list.json', [euMember(), euMember({ memberId: 'FR987654321', certificateType: 'AEOS', address: { lines: ['1 Quai'], city: 'Bordeaux', country: 'FR' } })]);
    expect(await runPartnerTool(['sign', '--key', keyFile, '--list', list, '--out', file('list.jws')], captureIo())).toBe(0);

    const io = captureIo();
    const code = await runPartnerTool(['push', '--gateway-url', test.gateway.url, '--jws', file('list.jws'), '--receipt-out', file('receipt.json')], io);
    expect(code).toBe(0);
    const receipt = JSON.parse(io.out()) as Record<string, unknown>;
    expect(receipt).toMatchObject({ administration: 'EU', outcome: 'accepted', counts: { members: 2, added: 2 } });
    expect(JSON.parse(readFileSync(file('receipt.json'), 'utf8'))).toEqual(receipt);
    expect(test.counts().messages).toBe(1);

    // The same body again is a replay, with the original receipt, verified the same way.
    const replay = await pushMemberList({ gateway: test.gateway.url, jws: readFileSync(file('list.jws'), 'utf8') });
    expect(replay.outcome).toBe('replayed');
    expect(replay.outcome !== 'rejected' && replay.receipt).toEqual(receipt);
  });

  it('retries by sending the same list again: signed anew, answered as a replay, verified by its payloadDigest', async () => {
    const list = writeList('retry.json');
    const first = captureIo();
    expect(await runPartnerTool(['send', '--gateway-url', test.gateway.url, '--key', keyFile, '--list', list], first)).toBe(0);
    expect(first.err()).toMatch(/digest is that of the body sent/);
    const before = test.counts();

    // send signs again: an ES256 signature differs every time, so the body (and its digest) differs.
    const retry = captureIo();
    expect(await runPartnerTool(['send', '--gateway-url', test.gateway.url, '--key', keyFile, '--list', list, '--serialization', 'json'], retry)).toBe(0);
    expect(JSON.parse(retry.out())).toEqual(JSON.parse(first.out()));
    expect(retry.err()).toMatch(/replayed \(200\)/);
    expect(retry.err()).toMatch(/payloadDigest is that of the payload signed/);
    // Nothing stored and nothing queued for publishing (records of the first send may still be on their way).
    expect(test.counts()).toMatchObject({ messages: before.messages, outbox: before.outbox });
  });

  it('refuses a receipt that does not verify against the keys it trusts', async () => {
    const otherGateway = await startTestGateway({});
    try {
      const pinned = file('other-jwks.json');
      writeFileSync(pinned, JSON.stringify((await otherGateway.http.get('/.well-known/jwks.json')).body));
      const code = await runPartnerTool(['send', '--gateway-url', test.gateway.url, '--key', keyFile, '--list', writeList('pinned.json'), '--jwks', pinned], captureIo());
      expect(code).toBe(exit['receipt-unverified']);
    } finally {
      await otherGateway.stop();
      await deleteTopology(otherGateway.topology);
      removeTestFiles(otherGateway);
    }
  });

  it.each([
    { case: 'an unreadable list file', list: () => file('missing.json'), code: exit['file-unreadable'] },
    { case: 'a list that is not JSON', list: () => (writeFileSync(file('broken.json'), '{"specVersion": "1.0",'), file('broken.json')), code: exit['invalid-json'] },
    { case: 'a list that fails the schema', list: () => (writeFileSync(file('bad.json'), JSON.stringify({ ...memberList([euMember()]), kind: 'everything', extra: 1 })), file('bad.json')), code: exit['schema-violation'] },
  ])('stops before sending anything on $case', async ({ list, code }) => {
    const before = test.counts();
    const io = captureIo();
    expect(await runPartnerTool(['send', '--gateway-url', test.gateway.url, '--key', keyFile, '--list', list()], io)).toBe(code);
    expect(io.out()).toBe('');
    expect(test.counts()).toEqual(before);
  });

  it('reports an unreachable gateway, never saying the list was sent', async () => {
    const io = captureIo();
    const code = await runPartnerTool(['send', '--gateway-url', `http://127.0.0.1:${await freePort()}`, '--key', keyFile, '--list', writeList('unreachable.json')], io);
    expect(code).toBe(exit.unreachable);
    expect(io.out()).toBe('');
    expect(io.err()).not.toMatch(/^(sending|uploaded)/m);
  });

  it('prints the problem of a rejected list, with its verified rejection receipt', async () => {
    const stranger = await generatePartnerKey({ administration: 'EU', alg: 'ES256', privateKeyFile: file('stranger.jwk.json') });
    const io = captureIo();
    expect(await runPartnerTool(['send', '--gateway-url', test.gateway.url, '--key', file('stranger.jwk.json'), '--list', writeList('stranger.json')], io)).toBe(exit.refused);
    expect(JSON.parse(io.out())).toMatchObject({ type: 'urn:mra-gateway:problem:unknown-key', status: 401 });
    expect(stranger.kid).not.toBe('');

    // Authenticated but refused (an old snapshot): the rejection carries a signed receipt, verified.
    const signing = await readSigningKey(keyFile);
    const stale = await signMemberList(Buffer.from(JSON.stringify(memberList([euMember()], { sequence: 1 }))), signing);
    const result = await pushMemberList({ gateway: test.gateway.url, jws: stale });
    expect(result.outcome).toBe('rejected');
    expect(result.status).toBe(409);
    expect(result.verified?.claims).toMatchObject({ outcome: 'rejected', administration: 'EU', status: 409 });
  });

  it('shows upload progress for a large list', async () => {
    const members = Array.from({ length: 6000 }, (_, i) => euMember({ memberId: `DE${String(100_000_000_000 + i)}`, legalName: `Exportgesellschaft Nummer ${i} GmbH` }));
    const signing = await readSigningKey(keyFile);
    const jws = await signMemberList(Buffer.from(JSON.stringify(memberList(members))), signing);
    expect(jws.length).toBeGreaterThan(1024 * 1024);
    const progress: [number, number][] = [];
    const result = await pushMemberList({ gateway: test.gateway.url, jws, onProgress: (sent, total) => progress.push([sent, total]) });
    expect(result.outcome).toBe('accepted');
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.every(([, total]) => total === jws.length)).toBe(true);
    expect(progress.map(([sent]) => sent)).toEqual([...progress.map(([sent]) => sent)].sort((a, b) => a - b));
    expect(progress.at(-1)![0]).toBe(jws.length);
  });

  it('keygen creates the folders and records the administration; a list of another administration is refused before anything is signed or sent', async () => {
    const jpKey = file('nested/keys/jp-2026.jwk.json');
    const jpPublic = file('nested/public/jp-2026.pub.json');
    expect(await runPartnerTool(['keygen', '--administration', 'JP', '--key', jpKey, '--public-key', jpPublic], captureIo())).toBe(0);
    expect(statSync(jpKey).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(jpKey, 'utf8'))).toMatchObject({ 'mra:administration': 'JP', d: expect.any(String) as unknown });
    const publicJwk = JSON.parse(readFileSync(jpPublic, 'utf8')) as Record<string, unknown>;
    expect(publicJwk).not.toHaveProperty('d');
    expect(publicJwk).not.toHaveProperty('mra:administration');

    // public-key prints the same public JWK again from the private file.
    const again = captureIo();
    expect(await runPartnerTool(['public-key', '--key', jpKey], again)).toBe(0);
    expect(JSON.parse(again.out())).toEqual(publicJwk);

    const before = test.counts();
    const euList = writeList('for-jp-key.json');
    for (const argv of [
      ['send', '--gateway-url', test.gateway.url, '--key', jpKey, '--list', euList],
      ['sign', '--key', jpKey, '--list', euList, '--out', file('never.jws')],
    ]) {
      const io = captureIo();
      expect({ argv, code: await runPartnerTool(argv, io) }).toEqual({ argv, code: exit['key-mismatch'] });
      expect(io.out()).toBe('');
    }
    expect(() => statSync(file('never.jws'))).toThrow();
    expect(test.counts()).toMatchObject({ messages: before.messages, outbox: before.outbox });
  });

  it('still reads key files written before keys named their administration', async () => {
    const legacy = JSON.parse(readFileSync(keyFile, 'utf8')) as Record<string, unknown>;
    delete legacy['mra:administration'];
    writeFileSync(file('legacy.jwk.json'), JSON.stringify(legacy), { mode: 0o600 });
    const io = captureIo();
    expect(await runPartnerTool(['send', '--gateway-url', test.gateway.url, '--key', file('legacy.jwk.json'), '--list', writeList('legacy.json'), '--stamp'], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ outcome: 'accepted' });
  });

  it('sign says where it wrote the JWS (creating the folder); the same JWS pushed twice is accepted, then a replay', async () => {
    const out = file('signed/today/list.jws');
    const signing = captureIo();
    expect(await runPartnerTool(['sign', '--key', keyFile, '--list', writeList('twice.json'), '--stamp', '--out', out], signing)).toBe(0);
    expect(signing.out()).toBe('');
    expect(signing.err()).toContain(out);
    expect(readFileSync(out, 'utf8').trim().split('.')).toHaveLength(3);

    const first = captureIo();
    expect(await runPartnerTool(['push', '--gateway-url', test.gateway.url, '--jws', out], first)).toBe(0);
    const stored = test.counts();
    const second = captureIo();
    expect(await runPartnerTool(['push', '--gateway-url', test.gateway.url, '--jws', out], second)).toBe(0);
    expect(JSON.parse(second.out())).toEqual(JSON.parse(first.out()));
    expect(test.counts()).toMatchObject({ messages: stored.messages, outbox: stored.outbox });
  });

  it('a wrong base URL, or no mra-gateway there, is exit code 5 before anything is sent', async () => {
    const posts: string[] = [];
    const stranger = http.createServer((req, res) => {
      if (req.method === 'POST') posts.push(req.url ?? '');
      req.resume();
      if (req.url === '/html/.well-known/jwks.json' || req.url?.startsWith('/html/')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome</body></html>');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      }
    });
    await new Promise<void>((resolve) => stranger.listen(0, '127.0.0.1', resolve));
    const strangerUrl = `http://127.0.0.1:${(stranger.address() as AddressInfo).port}`;
    try {
      const before = test.counts();
      for (const base of [`${test.gateway.url}/no-such-prefix`, strangerUrl, `${strangerUrl}/html`]) {
        const io = captureIo();
        const code = await runPartnerTool(['send', '--gateway-url', base, '--key', keyFile, '--list', writeList('wrong-url.json'), '--stamp'], io);
        expect({ base, code }).toEqual({ base, code: exit['unexpected-response'] });
        expect(io.out()).toBe('');
        expect(io.err()).not.toMatch(/^(sending|uploaded)/m);
      }
      expect(posts).toEqual([]);
      expect(test.counts()).toMatchObject({ messages: before.messages, outbox: before.outbox });
    } finally {
      await new Promise<void>((resolve) => stranger.close(() => resolve()));
    }
  });

  it('works as the installed command: keygen, then send', async () => {
    const keygen = await runBin(['keygen', '--administration', 'EU', '--key', file('bin.jwk.json'), '--public-key', file('bin.pub.json')]);
    expect(keygen.code).toBe(0);
    const publicJwk = JSON.parse(readFileSync(file('bin.pub.json'), 'utf8')) as PartnerSigningKey['publicJwk'];
    await test.gateway.partnerKeys.add([{ administration: 'EU', kid: publicJwk.kid, jwk: publicJwk, notBefore: null, notAfter: null, revokedAt: null, revocationReason: null, addedAt: new Date() }]);

    const sent = await runBin(['send', '--gateway-url', test.gateway.url, '--key', file('bin.jwk.json'), '--list', writeList('bin.json'), '--stamp']);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ administration: 'EU', outcome: 'accepted' });

    const usage = await runBin(['send']);
    expect(usage.code).toBe(exit.usage);
  });
});
