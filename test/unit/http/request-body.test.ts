/**
 * Reading a member-list body within its limits (issue 11): the decoded size, the size on the wire of an
 * encoded body and its expansion ratio are limited separately, and a compression bomb is refused after
 * decoding about RATIO_FREE_BYTES plus the ratio times what was sent, not its full size. The work is
 * counted through the memory reservation, which sees every decoded byte kept; no clock is read.
 */
import express from 'express';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import { BodyMemoryBudget, type BodyReservation } from '../../../src/http/body-memory-budget.js';
import { problemHandler } from '../../../src/http/problem-responses.js';
import { contentEncodingOf, RATIO_FREE_BYTES, readRequestBody, type BodyLimits } from '../../../src/http/request-body.js';
import { createLogger } from '../../../src/logging/logger.js';
import { brotliBomb, deflateBomb, gzipBomb, MiB } from '../../support/hostile-bodies.js';

const problem = (code: string) => `urn:mra-gateway:problem:${code}`;
const LIMITS: BodyLimits = { maxBytes: 64 * MiB, maxEncodedBytes: 8 * MiB, maxExpansionRatio: 100 };
/** The most a decoder hands over past a limit before it is stopped: one output chunk. */
const DECODER_CHUNK = 64 * 1024;

/** An app whose one route reads the body and answers with its length; `kept` counts the bytes reserved. */
function app(limits: BodyLimits = LIMITS, budget = new BodyMemoryBudget(256 * MiB, 7)) {
  const observed = { kept: 0, released: false };
  const server = express();
  server.post('/body', async (req, res) => {
    const reservation = budget.open();
    const counting: BodyReservation = {
      retryAfterSeconds: reservation.retryAfterSeconds,
      add: (bytes) => {
        const ok = reservation.add(bytes);
        if (ok) observed.kept += bytes;
        return ok;
      },
      release: () => {
        observed.released = true;
        reservation.release();
      },
    };
    res.once('close', () => counting.release());
    const read = await readRequestBody(req, contentEncodingOf(req), limits, counting);
    res.json({ length: read.body.length, encodedBytes: read.encodedBytes, sha: sha256(read.body) });
  });
  server.use(problemHandler(createLogger('error', new Writable({ write: (_c, _e, done) => done() }))));
  return { http: supertest(server), observed, budget };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const junk = (bytes: number) => Buffer.alloc(bytes, '{},');

describe('a body within its limits', () => {
  it.each([
    ['identity', (b: Buffer) => b],
    ['gzip', (b: Buffer) => gzipSync(b)],
    ['br', brotliBomb],
    ['deflate', deflateBomb],
  ])('is read whole with Content-Encoding %s', async (encoding, encode) => {
    const body = randomBytes(300_000);
    const { http } = app();
    const response = await http.post('/body').set('Content-Type', 'application/octet-stream').set('Content-Encoding', encoding).send(encode(body));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ length: body.length, sha: sha256(body) });
  });
});

describe('a large body of declared length', () => {
  it('is assembled in place, byte for byte', async () => {
    const body = randomBytes(3 * MiB + 17);
    const { http, observed, budget } = app();
    const response = await http.post('/body').set('Content-Type', 'application/octet-stream').send(body);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ length: body.length, sha: sha256(body) });
    expect(observed.kept).toBe(body.length);
    expect(budget.reservedBytes).toBe(0);
  });
});

describe('a compression bomb', () => {
  const bomb = junk(190 * MiB);

  it.each([
    ['br', brotliBomb(bomb)],
    ['gzip', gzipBomb(bomb)],
    ['deflate', deflateBomb(bomb)],
  ])('in %s is refused 413 expansion-ratio after decoding a bounded share of it', async (encoding, body) => {
    const { http, observed, budget } = app({ ...LIMITS, maxBytes: 200 * MiB, maxEncodedBytes: 64 * MiB });
    const response = await http.post('/body').set('Content-Type', 'application/octet-stream').set('Content-Encoding', encoding).send(body);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ type: problem('payload-too-large'), limit: 'expansion-ratio' });
    expect(observed.kept).toBeLessThanOrEqual(RATIO_FREE_BYTES + LIMITS.maxExpansionRatio * body.length + DECODER_CHUNK);
    expect(observed.kept).toBeLessThan(bomb.length / 5);
    expect(observed.released).toBe(true);
    expect(budget.reservedBytes).toBe(0);
  });

  it('that stays within the ratio but decodes past MAX_BODY_BYTES is refused 413 body-size', async () => {
    const body = gzipSync(randomBytes(3 * MiB));
    const { http, observed } = app({ ...LIMITS, maxBytes: 2 * MiB });
    const response = await http.post('/body').set('Content-Type', 'application/octet-stream').set('Content-Encoding', 'gzip').send(body);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ type: problem('payload-too-large'), limit: 'body-size' });
    expect(observed.kept).toBeLessThanOrEqual(2 * MiB);
  });
});

describe('limits on the wire', () => {
  it('an encoded body larger than MAX_ENCODED_BODY_BYTES is refused 413 encoded-body-size as it arrives', async () => {
    const body = gzipSync(randomBytes(200_000));
    const { http } = app({ ...LIMITS, maxEncodedBytes: 100_000 });
    const response = await http.post('/body').set('Content-Type', 'application/octet-stream').set('Content-Encoding', 'gzip').send(body);
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ type: problem('payload-too-large'), limit: 'encoded-body-size' });
  });

  it('an identity body larger than MAX_BODY_BYTES is refused 413 body-size', async () => {
    const { http, observed } = app({ ...LIMITS, maxBytes: 100_000 });
    const response = await http.post('/body').set('Content-Type', 'application/octet-stream').send(randomBytes(300_000));
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ type: problem('payload-too-large'), limit: 'body-size' });
    expect(observed.kept).toBeLessThanOrEqual(100_000);
  });
});

describe('bodies that cannot be decoded', () => {
  it.each([
    ['gzip', Buffer.concat([gzipSync(Buffer.from('a'.repeat(10_000))).subarray(0, 20), Buffer.from('not gzip at all')])],
    ['deflate', Buffer.from('this is not deflate data')],
    ['br', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01])],
    ['gzip', Buffer.from('plain text sent as gzip')],
  ])('corrupt %s is 400 bad-content-encoding', async (encoding, body) => {
    const { http, budget } = app();
    const response = await http.post('/body').set('Content-Type', 'application/octet-stream').set('Content-Encoding', encoding).send(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: problem('bad-content-encoding') });
    expect(budget.reservedBytes).toBe(0);
  });

  it.each(['compress', 'gzip, br', 'zstd'])('Content-Encoding %s is 415', (encoding) => {
    const req = { get: (name: string) => (name === 'content-encoding' ? encoding : undefined) } as unknown as express.Request;
    expect(() => contentEncodingOf(req)).toThrow(GatewayError);
    try {
      contentEncodingOf(req);
    } catch (error) {
      expect((error as GatewayError).code).toBe('unsupported-media-type');
    }
  });
});

describe('the memory budget for bodies', () => {
  it('a body that does not fit what is left is refused 503 server-busy with Retry-After, and the budget is given back', async () => {
    const budget = new BodyMemoryBudget(1 * MiB, 7);
    const { http } = app(LIMITS, budget);
    const held = budget.open();
    expect(held.add(700_000)).toBe(true);
    const refused = await http.post('/body').set('Content-Type', 'application/octet-stream').send(randomBytes(500_000));
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ type: problem('server-busy'), retryAfter: 7 });
    expect(refused.headers['retry-after']).toBe('7');
    expect(budget.reservedBytes).toBe(700_000);
    held.release();
    expect(budget.reservedBytes).toBe(0);
    const accepted = await http.post('/body').set('Content-Type', 'application/octet-stream').send(randomBytes(500_000));
    expect(accepted.status).toBe(200);
    expect(budget.reservedBytes).toBe(0);
  });
});
