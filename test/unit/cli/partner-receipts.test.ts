import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPartnerTool } from '../../../src/cli/partner/partner-commands.js';
import { CLI_ERROR_EXIT_CODES as PARTNER_TOOL_EXIT_CODES } from '../../../src/cli/cli-error.js';
import { captureIo } from '../../support/cli-capture.js';
import { signCompact } from '../../support/jws.js';
import { euMember, memberList } from '../../support/member-lists.js';
import { createPartnerKey } from '../../support/partner-keys.js';
import { temporaryDirectories } from '../../support/temp-dirs.js';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('base64url');
const dirs = temporaryDirectories('partner-receipts-');

/** What the stand-in gateway answers: status, and the digests its signed receipt states (undefined: left out). */
interface Answer {
  status: number;
  digest: (body: Buffer) => string | undefined;
  payloadDigest: string | undefined;
}

/**
 * A stand-in for the gateway that answers the partner tool's push with a receipt signed by a key it
 * publishes at /.well-known/jwks.json, stating whatever digests the test says: the tool must accept
 * exactly the receipts that are about what it sent.
 */
describe('the partner tool checks what a receipt is about', () => {
  let server: http.Server;
  let url: string;
  let answer: Answer;
  let receiptKey: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwks: object;

  beforeAll(async () => {
    receiptKey = await generateKeyPair('ES256', { extractable: true });
    jwks = { keys: [{ ...(await exportJWK(receiptKey.publicKey)), kid: 'receipt-1', alg: 'ES256', use: 'sig' }] };
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void respond(req, Buffer.concat(chunks)).then(({ status, json }) => {
          res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
          res.end(JSON.stringify(json));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function respond(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; json: object }> {
    if (req.method === 'GET') return { status: 200, json: jwks };
    const clear = {
      messageId: 'eu-1',
      administration: 'EU',
      receivedAt: '2026-11-29T14:05:00.123Z',
      outcome: answer.status >= 400 ? 'rejected' : 'accepted',
      counts: { members: 1, added: 1, updated: 0, statusChanged: 0, removed: 0, unchanged: 0, notRecognized: 0 },
    };
    const claims = { ...clear, ...(answer.status >= 400 ? { status: answer.status } : {}), digest: answer.digest(body), payloadDigest: answer.payloadDigest };
    const receipt = await new CompactSign(Buffer.from(JSON.stringify(claims))).setProtectedHeader({ alg: 'ES256', kid: 'receipt-1', typ: 'mra-receipt+jwt' }).sign(receiptKey.privateKey);
    if (answer.status >= 400) return { status: answer.status, json: { type: 'urn:mra-gateway:problem:message-id-conflict', status: answer.status, detail: 'conflict', receipt } };
    return { status: answer.status, json: { ...clear, warnings: [], receipt } };
  }

  const payload = Buffer.from(JSON.stringify(memberList([euMember()])));
  const thisBody = (body: Buffer) => sha256(body);
  const otherBody = () => sha256('an earlier body with the same payload');

  it.each([
    { what: 'a replay receipt of another body with this payload', status: 200, digest: otherBody, payloadDigest: sha256(payload), code: 0, says: /payloadDigest is that of the payload signed/ },
    { what: 'a replay receipt of this very body', status: 200, digest: thisBody, payloadDigest: sha256(payload), code: 0, says: /digest is that of the body sent/ },
    { what: 'a replay receipt of this body from before payload digests', status: 200, digest: thisBody, payloadDigest: undefined, code: 0, says: /digest is that of the body sent/ },
    { what: 'a replay receipt with another payload digest', status: 200, digest: otherBody, payloadDigest: sha256('another payload'), code: PARTNER_TOOL_EXIT_CODES['receipt-unverified'], says: /another payload/ },
    { what: 'a replay receipt of this body with another payload digest', status: 200, digest: thisBody, payloadDigest: sha256('another payload'), code: PARTNER_TOOL_EXIT_CODES['receipt-unverified'], says: /another payload/ },
    { what: 'a replay receipt of another body without a payload digest', status: 200, digest: otherBody, payloadDigest: undefined, code: PARTNER_TOOL_EXIT_CODES['receipt-unverified'], says: /no payloadDigest/ },
    { what: 'an acceptance of another body with this payload', status: 202, digest: otherBody, payloadDigest: sha256(payload), code: PARTNER_TOOL_EXIT_CODES['receipt-unverified'], says: /another body/ },
    { what: 'an acceptance of this body', status: 202, digest: thisBody, payloadDigest: sha256(payload), code: 0, says: /digest is that of the body sent/ },
    { what: 'a rejection about another payload', status: 409, digest: thisBody, payloadDigest: sha256('another payload'), code: PARTNER_TOOL_EXIT_CODES['receipt-unverified'], says: /another payload/ },
    { what: 'a rejection of this message', status: 409, digest: thisBody, payloadDigest: sha256(payload), code: PARTNER_TOOL_EXIT_CODES.refused, says: /rejection receipt is signed/ },
  ])('$what (answer $status) -> exit $code', async ({ status, digest, payloadDigest, code, says }) => {
    answer = { status, digest, payloadDigest };
    const file = path.join(dirs(), 'list.jws');
    writeFileSync(file, await signCompact(payload, await createPartnerKey('EU')));
    const io = captureIo();
    expect(await runPartnerTool(['push', '--gateway-url', url, '--jws', file], io)).toBe(code);
    expect(io.err()).toMatch(says);
  });
});
