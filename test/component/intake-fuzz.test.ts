import fc from 'fast-check';
import { KeyObject, sign as cryptoSign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemTypes, problemTypeUri, type ProblemCode } from '../../src/domain/problem-types.js';
import { TestConsumer } from '../support/broker.js';
import { readOutbox, waitForDelivery } from '../support/delivery-audit.js';
import { MEMBER_LIST_TYP, signCompact, signFlattened } from '../support/jws.js';
import { euMember, memberList, type MemberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { requireBroker } from '../support/reliability-scenarios.js';
import { startTestGateway, type TestGateway, disposeTestGateway, embeddedDb } from '../support/test-gateway.js';

// Property-based fuzzing of POST /v1/member-lists (issue 6) with mutated valid messages: payload fields,
// types, raw payload bytes, JWS bytes, protected headers, the JSON serialization, media types. For
// every input: no 5xx; a non-2xx is an application/problem+json document with a known `type` and the
// same `status`; a rejection stores nothing (TestGateway.counts() unchanged) and publishes nothing.
// FC_SEED reproduces a run, FC_RUNS scales it (default keeps the file under 20 s on CI).

const RUNS = Number(process.env.FC_RUNS ?? 300);
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const KNOWN_TYPES = new Set(Object.keys(problemTypes).map((code) => problemTypeUri(code as ProblemCode)));
const HEADER_MEMBERS_THAT_REFUSE = ['crit', 'b64', 'jwk', 'jku', 'x5u', 'x5c'];

type Path = (string | number)[];

interface Outcome {
  status: number;
  type?: string;
}

describe('the intake under mutated messages (property-based)', () => {
  let key: PartnerSigningKey;
  let otherKey: PartnerSigningKey;
  let test: TestGateway;
  let consumer: TestConsumer;
  /** Highest sequence accepted so far: each base message goes one above it. */
  let sequence = 0;
  const accepted = new Set<string>();
  const rejected = new Set<string>();
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    await requireBroker();
    key = await createPartnerKey('EU');
    otherKey = await createPartnerKey('JP');
    // Rate limits off: this file is about the intake's answers to ~1,500 requests within seconds from one
    // address; the limits have tests of their own.
    test = await startTestGateway({ keys: [key, otherKey], env: { RATE_LIMIT_PER_CLIENT_PER_MINUTE: '0', RATE_LIMIT_PER_ADMINISTRATION_PER_MINUTE: '0' } });
    consumer = await TestConsumer.bind(test.topology.exchange);
  });

  afterAll(async () => {
    await consumer?.close();
    await disposeTestGateway(test);
    console.log(`intake fuzz: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ')} (${accepted.size} accepted, ${rejected.size} rejected messageIds)`);
  });

  /** What a submission can store (not `unpublished`, which the relay changes on its own). */
  function stored(): { messages: number; outbox: number; members: number } {
    const { messages, outbox, members } = test.counts();
    return { messages, outbox, members };
  }

  /** A valid EU snapshot, one sequence above anything accepted. */
  function baseList(): MemberList {
    return memberList(
      [
        euMember(),
        euMember({ memberId: 'FR987654321', legalName: 'Société des Vins du Sud SA', roles: ['exporter'], certificateType: 'AEOS', address: { lines: ['8 Rue de la République'], city: 'Bordeaux', postalCode: '33000', country: 'FR' } }),
      ],
      { sequence: sequence + 1 },
    );
  }

  /** Posts, checks the universal properties, and keeps track of what may reach a consumer. */
  async function post(body: string | Buffer, contentType: string, messageId: unknown): Promise<Outcome> {
    const before = stored();
    const request = test.http.post('/v1/member-lists');
    if (contentType !== '') request.set('Content-Type', contentType);
    const response = await request.send(body);
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
    if (response.status >= 300) {
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = response.body as { type?: unknown; status?: unknown; title?: unknown };
      expect(KNOWN_TYPES.has(String(problem.type)), `unknown problem type ${String(problem.type)}`).toBe(true);
      expect(problem.status).toBe(response.status);
      expect(typeof problem.title).toBe('string');
      expect(stored(), 'a rejection stored something').toEqual(before);
      if (typeof messageId === 'string') rejected.add(messageId);
      return { status: response.status, type: String(problem.type) };
    }
    expect([200, 202]).toContain(response.status);
    const receipt = response.body as { messageId: string };
    accepted.add(receipt.messageId);
    return { status: response.status };
  }

  /** Remembers the sequence of an accepted list, so the next base list is newer. */
  function noteAccepted(outcome: Outcome, list: unknown): void {
    if (outcome.status !== 202 || typeof list !== 'object' || list === null) return;
    const value = (list as { sequence?: unknown }).sequence;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > sequence) sequence = value;
  }

  it('payload mutations (fields, types, unknown and hostile members) never break the intake', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(payloadMutation(), { minLength: 1, maxLength: 3 }), async (mutations) => {
        const list = baseList();
        let payload: unknown = structuredClone(list);
        for (const mutation of mutations) payload = applyMutation(payload, mutation);
        const outcome = await post(await signCompact(payload, key), 'application/jose', messageIdOf(payload));
        noteAccepted(outcome, payload);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('raw payload bytes (not UTF-8, not JSON, duplicate keys, truncated) never break the intake', async () => {
    await fc.assert(
      fc.asyncProperty(rawPayloadMutation(), async (mutate) => {
        const list = baseList();
        const bytes = mutate(Buffer.from(JSON.stringify(list)));
        const outcome = await post(await signCompact(bytes, key), 'application/jose', list.messageId);
        noteAccepted(outcome, list);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('byte flips and truncation of a signed compact JWS are never accepted unless the signed parts are intact', async () => {
    await fc.assert(
      fc.asyncProperty(jwsMutation(), fc.constantFrom('application/jose', 'application/jose', 'application/jose+json', 'application/json', 'text/plain', ''), async (mutate, contentType) => {
        const list = baseList();
        const original = await signCompact(list, key);
        const mutated = mutate(original);
        const outcome = await post(mutated, contentType, list.messageId);
        if (outcome.status < 300) {
          // Only a change that leaves header, payload and the decoded signature as they were can verify.
          // (Whitespace around the whole body is tolerated: it is not part of the signing input.)
          const [h0, p0, s0] = original.split('.');
          const [h1, p1, s1] = (typeof mutated === 'string' ? mutated : mutated.toString('latin1')).trim().split('.');
          expect(h1).toBe(h0);
          expect(p1).toBe(p0);
          expect(Buffer.from(s1 ?? '', 'base64url').equals(Buffer.from(s0!, 'base64url'))).toBe(true);
        }
        noteAccepted(outcome, list);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('protected header changes (alg, kid, typ, crit, b64, embedded keys) never pass the header policy', async () => {
    await fc.assert(
      fc.asyncProperty(headerMutation(), fc.boolean(), async (changes, signWithOtherKey) => {
        const list = baseList();
        const signer = signWithOtherKey ? otherKey : key;
        const header: Record<string, unknown> = { alg: 'ES256', kid: signer.kid, typ: MEMBER_LIST_TYP, ...changes };
        for (const [name, value] of Object.entries(changes)) if (value === undefined) delete header[name];
        const outcome = await post(handSigned(header, list, signer), 'application/jose', list.messageId);
        if (outcome.status < 300) {
          expect(header.alg).toBe('ES256');
          // ("b64": true is the default spelled out, which ICD 1 does not refuse; "b64": false is.)
          expect(HEADER_MEMBERS_THAT_REFUSE.filter((name) => name in header && !(name === 'b64' && header.b64 === true))).toEqual([]);
          expect(signWithOtherKey).toBe(false);
        }
        noteAccepted(outcome, list);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('mutations of the JSON serialization (flattened and general) never break the intake', async () => {
    await fc.assert(
      fc.asyncProperty(jsonSerializationMutation(), async (mutate) => {
        const list = baseList();
        const flattened = JSON.parse(await signFlattened(list, key)) as Record<string, unknown>;
        const outcome = await post(mutate(flattened), 'application/jose+json', list.messageId);
        noteAccepted(outcome, list);
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED, endOnFailure: true },
    );
  });

  it('afterwards: the gateway still answers, logged no error, and published only records of accepted messages', async () => {
    expect((await test.http.get('/healthz')).status).toBe(200);
    const errors = test.logs.filter((line) => (JSON.parse(line) as { level?: string }).level === 'error');
    expect(errors).toEqual([]);

    const outbox = readOutbox(embeddedDb(test.gateway));
    const drained = (): boolean => test.counts().unpublished === 0 && test.gateway.relay.inFlightCount === 0;
    expect(await waitForDelivery(consumer, outbox.map((r) => r.eventId), drained, { settleMs: 200 })).toBe(true);
    const fromElsewhere = consumer.records.filter((r) => !accepted.has((r.body.source as { messageId: string }).messageId));
    expect(fromElsewhere).toEqual([]);
    expect(outbox.every((row) => accepted.has(row.messageId))).toBe(true);
    expect(new Set(consumer.records.map((r) => r.body.eventId)).size).toBe(outbox.length);
    // Both outcomes must have happened, or the properties above tested less than they claim.
    expect(accepted.size).toBeGreaterThan(0);
    expect(rejected.size).toBeGreaterThan(0);
  });
});

// ---- generators -------------------------------------------------------------------------------------

type PayloadMutation =
  | { kind: 'set'; pick: number; value: unknown }
  | { kind: 'delete'; pick: number }
  | { kind: 'add'; pick: number; name: string; value: unknown }
  | { kind: 'duplicate-member' };

/** Values that sit on or near the edges of what the schema and the rules allow, plus anything at all. */
function anyValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(
      '', ' ', 'null', null, true, 0, -1, 1.5, 1e21, -0, [], {}, 'EU', 'JP', 'XX', 'eu', 'delta', 'snapshot', '1.0', '2.0',
      '2099-01-01T00:00:00Z', '1970-01-01T00:00:00Z', 'not a date', '2024-02-30', 'AEOC', 'GOLD', 'DE1', 'XI123456789', 'CA',
      'a'.repeat(300), '\u0000', '\u202e', '\ud800', 'Ñ', '../../etc/passwd', '<script>', "' OR 1=1 --", { removed: true },
    ),
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.integer(),
  );
}

function payloadMutation(): fc.Arbitrary<PayloadMutation> {
  const pick = fc.nat();
  return fc.oneof(
    fc.record({ kind: fc.constant('set' as const), pick, value: anyValue() }),
    fc.record({ kind: fc.constant('delete' as const), pick }),
    fc.record({
      kind: fc.constant('add' as const),
      pick,
      name: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'removed', 'extra', 'memberId', 'toString'), fc.string({ maxLength: 10 })),
      value: anyValue(),
    }),
    fc.constant({ kind: 'duplicate-member' as const }),
  );
}

function allPaths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) value.forEach((item, i) => out.push(...allPaths(item, [...prefix, i])));
  else if (isObject(value)) for (const [name, item] of Object.entries(value)) out.push(...allPaths(item, [...prefix, name]));
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Applies one mutation to a copy of `payload` at a path chosen by `pick` among its current paths. */
function applyMutation(payload: unknown, mutation: PayloadMutation): unknown {
  const root = structuredClone(payload);
  if (mutation.kind === 'duplicate-member') {
    if (isObject(root) && Array.isArray(root.members) && root.members.length > 0) root.members.push(structuredClone(root.members[0]));
    return root;
  }
  const paths = allPaths(root);
  const path = paths[mutation.pick % paths.length]!;
  if (path.length === 0) return mutation.kind === 'set' ? mutation.value : root;
  const parent = path.slice(0, -1).reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], root);
  const last = path[path.length - 1]!;
  const container = parent as Record<string | number, unknown>;
  switch (mutation.kind) {
    case 'set':
      // A sequence at the very top of the range would leave every later base message stale (409s only).
      if (path.length === 1 && last === 'sequence' && typeof mutation.value === 'number' && mutation.value > 2 ** 50) return root;
      defineOwn(container, last, mutation.value);
      break;
    case 'delete':
      if (Array.isArray(container)) container.splice(Number(last), 1);
      else delete container[last];
      break;
    case 'add': {
      const target = container[last];
      if (isObject(target)) defineOwn(target, mutation.name, mutation.value);
      else if (Array.isArray(target)) target.push(mutation.value);
      else defineOwn(container, last, { [mutation.name]: mutation.value });
      break;
    }
  }
  return root;
}

/** Sets an own, enumerable property, even one named __proto__ (so JSON.stringify sends it). */
function defineOwn(target: Record<string | number, unknown>, name: string | number, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function messageIdOf(payload: unknown): unknown {
  return isObject(payload) ? payload.messageId : undefined;
}

/** Changes to the exact payload bytes that JSON.stringify would never produce. */
function rawPayloadMutation(): fc.Arbitrary<(bytes: Buffer) => Buffer> {
  return fc.oneof(
    fc.nat().map((at) => (bytes: Buffer) => bytes.subarray(0, at % bytes.length)),
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => (bytes: Buffer) => {
      const copy = Buffer.from(bytes);
      copy[at % copy.length] = byte;
      return copy;
    }),
    fc.constantFrom(
      // invalid UTF-8, a BOM, a UTF-16 body, a duplicated key, trailing garbage, a lone surrogate escape
      (bytes: Buffer) => Buffer.concat([bytes.subarray(0, 20), Buffer.from([0xc3, 0x28, 0xff]), bytes.subarray(20)]),
      (bytes: Buffer) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]),
      (bytes: Buffer) => Buffer.from(bytes.toString('utf8'), 'utf16le'),
      (bytes: Buffer) => Buffer.from(bytes.toString('utf8').replace('{', '{"administration":"JP",')),
      (bytes: Buffer) => Buffer.from(bytes.toString('utf8').replace('"members":[', '"members":[],"members":[')),
      (bytes: Buffer) => Buffer.concat([bytes, Buffer.from(' {}')]),
      (bytes: Buffer) => Buffer.from(bytes.toString('utf8').replace('Hamburg', '\\ud800Hamburg')),
      (bytes: Buffer) => Buffer.from(bytes.toString('utf8').replace('"legalName":', '"legal\\u004eame":')),
      (bytes: Buffer) => Buffer.from(`[${bytes.toString('utf8')}]`),
      (_bytes: Buffer) => Buffer.from('{"a":'.repeat(5000)),
    ),
  );
}

/** Byte-level damage to a compact JWS: flips, inserts, deletions, truncation, segment games. */
function jwsMutation(): fc.Arbitrary<(jws: string) => string | Buffer> {
  return fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => (jws: string) => {
      const bytes = Buffer.from(jws, 'latin1');
      bytes[at % bytes.length] = byte;
      return bytes;
    }),
    fc.tuple(fc.nat(), fc.constantFrom('A', '_', '-', '.', '=', '+', '/', ' ', '\n', '%', 'é')).map(([at, char]) => (jws: string) => {
      const i = at % jws.length;
      return jws.slice(0, i) + char + jws.slice(i);
    }),
    fc.tuple(fc.nat(), fc.nat({ max: 40 })).map(([at, length]) => (jws: string) => {
      const i = at % jws.length;
      return jws.slice(0, i) + jws.slice(i + length);
    }),
    fc.nat().map((at) => (jws: string) => jws.slice(0, at % jws.length)),
    fc.constantFrom(
      (jws: string) => jws.split('.').reverse().join('.'),
      (jws: string) => jws.split('.').slice(0, 2).join('.') + '.',
      (jws: string) => `${jws}.${jws.split('.')[2]}`,
      (jws: string) => jws.replace(/\./g, '..'),
      (jws: string) => ` ${jws} `,
      (jws: string) => jws.toUpperCase(),
      (jws: string) => {
        const [h, p, s] = jws.split('.');
        return `${h}.${p}.${Buffer.from(s!, 'base64url').reverse().toString('base64url')}`;
      },
      (jws: string) => {
        const [h, p] = jws.split('.');
        return `${h}.${p}.${Buffer.alloc(64).toString('base64url')}`;
      },
    ),
  );
}

/** Protected-header members to add, change or (value undefined) remove. */
function headerMutation(): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(
    fc.constantFrom('alg', 'kid', 'typ', 'crit', 'b64', 'jwk', 'jku', 'x5u', 'x5c', 'cty', 'zip', 'x5t', 'extra'),
    fc.oneof(
      fc.constantFrom<unknown>(
        undefined, 'none', 'None', 'HS256', 'ES256', 'ES384', 'RS256', 'PS256', 'EdDSA', '', null, false, true, ['b64'], ['exp'], [],
        'mra-member-list+json', 'application/mra-member-list+json', 'JWT', 'DEF', { kty: 'oct', k: 'AAAA' }, 'https://attacker.example/jwks',
        ['MIIB'], 'other-kid',
      ),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    { minKeys: 1, maxKeys: 3 },
  );
}

/** A compact JWS over any protected header, with a real ES256 signature by `key` (jose would refuse to make most of these). */
function handSigned(header: Record<string, unknown>, payload: unknown, key: PartnerSigningKey): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const signature = cryptoSign('sha256', Buffer.from(input), { key: KeyObject.from(key.privateKey), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** Changes to a flattened JWS object: members replaced, removed or added, or wrapped as the general form. */
function jsonSerializationMutation(): fc.Arbitrary<(jws: Record<string, unknown>) => string> {
  const member = fc.constantFrom('protected', 'payload', 'signature', 'header', 'signatures', 'extra');
  return fc.oneof(
    fc.tuple(member, anyValue()).map(([name, value]) => (jws: Record<string, unknown>) => JSON.stringify({ ...jws, [name]: value })),
    member.map((name) => (jws: Record<string, unknown>) => {
      const copy = { ...jws };
      delete copy[name];
      return JSON.stringify(copy);
    }),
    fc.constantFrom(
      (jws: Record<string, unknown>) => JSON.stringify({ payload: jws.payload, signatures: [{ protected: jws.protected, signature: jws.signature }] }),
      (jws: Record<string, unknown>) => JSON.stringify({ payload: jws.payload, signatures: [] }),
      (jws: Record<string, unknown>) => JSON.stringify({ payload: jws.payload, signatures: [{ protected: jws.protected, signature: jws.signature }, { protected: jws.protected, signature: 'AAAA' }] }),
      (jws: Record<string, unknown>) => JSON.stringify({ ...jws, header: { alg: 'none' } }),
      (jws: Record<string, unknown>) => JSON.stringify([jws]),
      (jws: Record<string, unknown>) => JSON.stringify(jws).slice(0, -1),
      (jws: Record<string, unknown>) => `${JSON.stringify(jws)}${JSON.stringify(jws)}`,
    ),
  );
}
