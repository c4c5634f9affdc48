import { DiagnosticSeverity, Parser, fromFile } from '@asyncapi/parser';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_API_ROLES } from '../../src/admin/admin-key.js';
import { adminRouter, type AdminApi } from '../../src/admin/admin-router.js';
import { loadConfig } from '../../src/config/app-config.js';
import { problemTypes, problemTypeUri } from '../../src/domain/problem-types.js';
import { NOT_READY_REASONS } from '../../src/operations/readiness.js';
import { recordProperties } from '../../src/messaging/record-message.js';
import { adminCall, createAdminKey, type AdminSigningKey } from '../support/admin-tokens.js';
import { signCompact } from '../support/jws.js';
import { euMember, memberList } from '../support/member-lists.js';
import { createPartnerKey, type PartnerSigningKey } from '../support/partner-keys.js';
import { startTestGateway, type TestGateway, disposeTestGateway } from '../support/test-gateway.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ROOT = path.resolve(import.meta.dirname, '../..');
const OPENAPI_FILE = path.join(ROOT, 'docs/openapi.json');
const ASYNCAPI_FILE = path.join(ROOT, 'docs/asyncapi.json');
const SCHEMA_NAMES = ['member-list.v1.json', 'member-record.v1.json', 'mra-registry.v1.json'];

type Json = Record<string, unknown>;
const readJson = (file: string): Json => JSON.parse(readFileSync(file, 'utf8')) as Json;
const openapi = readJson(OPENAPI_FILE);
const asyncapi = readJson(ASYNCAPI_FILE);

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: { $ref: string } }> }>;
}
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The documented admin operations: path template, method, operation. */
const adminOperations = Object.entries(openapi.paths as Record<string, Record<string, Operation>>)
  .filter(([route]) => route.startsWith('/admin/'))
  .flatMap(([route, item]) => HTTP_METHODS.filter((method) => item[method]).map((method) => ({ route, method, operation: item[method]! })));

/** Every `$ref` value in a document. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => (key === '$ref' && typeof v === 'string' ? [v] : refsIn(v)));
}

/**
 * The OpenAPI validator resolves external references by exact URI, not relative to the referring file,
 * so each schema is registered under both names it is referred to by: `../schemas/<name>` (from docs/)
 * and `<name>` (from a sibling schema).
 */
async function validateOpenApi(document: Json): Promise<{ valid: boolean; errors?: unknown }> {
  const validator = new Validator();
  for (const name of SCHEMA_NAMES) {
    await validator.addSpecRef(readJson(path.join(ROOT, 'schemas', name)), `../schemas/${name}`);
    await validator.addSpecRef(readJson(path.join(ROOT, 'schemas', name)), name);
  }
  // The validator inlines the schemas into what it is given: give it a copy.
  return validator.validate(structuredClone(document));
}

async function asyncApiDiagnostics(document: Json | undefined) {
  const parser = new Parser();
  const result = document === undefined ? await fromFile(parser, ASYNCAPI_FILE).parse() : await parser.parse(JSON.stringify(document), { source: ASYNCAPI_FILE });
  const serious = new Set([DiagnosticSeverity.Error, DiagnosticSeverity.Warning]);
  return { document: result.document, problems: result.diagnostics.filter((d) => serious.has(d.severity)).map((d) => `${d.code}: ${d.message} at ${d.path.join('/')}`) };
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document whose schema references resolve', async () => {
    const result = await validateOpenApi(openapi);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(openapi.openapi).toMatch(/^3\.1\./);
  });

  it('fails validation when broken (the validator is not vacuous)', async () => {
    const broken = structuredClone(openapi) as { components: { schemas: Json } };
    broken.components.schemas.MemberList = { $ref: '../schemas/member-list.v2.json' };
    expect((await validateOpenApi(broken)).valid).toBe(false);
    const noDescription = structuredClone(openapi) as { paths: Record<string, { get?: { responses: Json } }> };
    noDescription.paths['/healthz']!.get!.responses['200'] = {};
    expect((await validateOpenApi(noDescription)).valid).toBe(false);
  });

  it('references the JSON Schemas of schemas/ instead of copying them', () => {
    const external = refsIn(openapi).filter((ref) => !ref.startsWith('#'));
    expect(new Set(external)).toEqual(new Set(['../schemas/member-list.v1.json', '../schemas/member-record.v1.json']));
    expect(JSON.stringify(openapi)).not.toContain('"$defs"');
  });

  it('lists exactly the problem types and readiness reasons the gateway has', () => {
    const schemas = (openapi.components as Json).schemas as Record<string, Json>;
    const documented = (schemas.ProblemType as { enum: string[] }).enum;
    expect([...documented].sort()).toEqual(Object.keys(problemTypes).map((code) => problemTypeUri(code as keyof typeof problemTypes)).sort());
    const readiness = schemas.Readiness as { properties: { reasons: { items: { enum: string[] } } } };
    expect(readiness.properties.reasons.items.enum).toEqual([...NOT_READY_REASONS]);
  });

  it('describes every admin route with the methods admin-router.ts registers, each with its bearer token and, for a change, its role', () => {
    const registered: Record<string, string[]> = {};
    const fallbacks: string[] = [];
    // The router only touches the services when a request comes; its route table is all this needs.
    const router = adminRouter({} as AdminApi) as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
    for (const { route } of router.stack) {
      if (!route) continue;
      const documentPath = `/admin/v1${route.path.replace(/:(\w+)/g, '{$1}')}`;
      if (route.methods._all) fallbacks.push(documentPath);
      else (registered[documentPath] ??= []).push(...Object.keys(route.methods));
    }
    const documented: Record<string, string[]> = {};
    for (const { route, method } of adminOperations) (documented[route] ??= []).push(method);
    const sorted = (table: Record<string, string[]>) => Object.fromEntries(Object.entries(table).map(([p, methods]) => [p, [...methods].sort()]));
    expect(Object.keys(registered)).toHaveLength(14);
    expect(sorted(documented)).toEqual(sorted(registered));
    // The 405 answers (with Allow) cover exactly the documented paths.
    expect(fallbacks.sort()).toEqual(Object.keys(documented).sort());
    for (const { method, operation } of adminOperations) {
      expect(operation.security).toHaveLength(1);
      const [roles] = Object.values(operation.security![0]!);
      expect(Object.keys(operation.security![0]!)).toEqual(['bearerAuth']);
      // Reads take any admin role and list none; a change lists the one it needs (never audit's or the register's).
      if (method === 'get') {
        expect(roles).toEqual([]);
      } else {
        expect(roles).toHaveLength(1);
        expect(ADMIN_API_ROLES.filter((r) => r !== 'audit')).toContain(roles![0]);
      }
      expect(operation.responses['401']).toEqual({ $ref: '#/components/responses/AdminUnauthorized' });
    }
  });
});

describe('the AsyncAPI document', () => {
  it('is a valid AsyncAPI 3 document whose payload is the member-record schema', async () => {
    const { document, problems } = await asyncApiDiagnostics(undefined);
    expect(problems).toEqual([]);
    expect(document?.version()).toMatch(/^3\./);
    const payload = document!.messages().all()[0]!.payload()!;
    const recordSchema = readJson(path.join(ROOT, 'schemas/member-record.v1.json'));
    expect(Object.keys(payload.properties() ?? {})).toEqual(Object.keys(recordSchema.properties as Json));
  });

  it('fails validation when broken (the parser is not vacuous)', async () => {
    const broken = structuredClone(asyncapi) as { operations: Record<string, Json> };
    broken.operations.publishMemberRecord!.action = 'publish';
    expect((await asyncApiDiagnostics(broken)).problems).not.toEqual([]);
    const missingSchema = structuredClone(asyncapi) as { components: { messages: { memberRecord: { payload: { schema: Json } } } } };
    missingSchema.components.messages.memberRecord.payload.schema = { $ref: '../schemas/member-record.v9.json' };
    expect((await asyncApiDiagnostics(missingSchema as unknown as Json)).problems).not.toEqual([]);
  });

  it('names the exchange, queue, routing keys and headers the gateway uses', () => {
    const defaults = loadConfig({}).topology;
    const channels = asyncapi.channels as Record<string, { address: string; parameters?: Record<string, { enum?: string[] }>; bindings: { amqp: Record<string, { name: string }> } }>;
    expect(channels.memberRecords!.bindings.amqp.exchange!.name).toBe(defaults.exchange);
    expect(channels.riskQueue!.address).toBe(defaults.queue);
    expect(channels.riskQueue!.bindings.amqp.queue!.name).toBe(defaults.queue);
    expect(channels.memberRecords!.address).toBe('member.{change}.{administration}');
    const recordSchema = readJson(path.join(ROOT, 'schemas/member-record.v1.json')) as { properties: { change: { enum: string[] } } };
    expect(channels.memberRecords!.parameters!.change!.enum).toEqual(recordSchema.properties.change.enum);

    const message = ((asyncapi.components as Json).messages as Record<string, { headers: { properties: Json; required: string[] } }>).memberRecord!;
    const sent = recordProperties({ seq: 1, eventId: 'e', administration: 'EU', memberKey: 'EU:X', change: 'added', routingKey: 'member.added.eu', occurredAt: new Date().toISOString(), body: '' });
    expect(Object.keys(message.headers.properties).sort()).toEqual(Object.keys(sent.headers as Json).sort());
    expect([...message.headers.required].sort()).toEqual(Object.keys(sent.headers as Json).sort());
  });
});

describe('the gateway serves the documents, and its answers match them', () => {
  let key: PartnerSigningKey;
  let admin: AdminSigningKey;
  let auditor: AdminSigningKey;
  let test: TestGateway;
  let ajv: Ajv2020;
  const BASE = 'https://mra-gateway.example/';

  function check(component: string, value: unknown): string[] {
    const validate = ajv.getSchema(`${BASE}docs/openapi.json#/components/schemas/${component}`);
    if (!validate) throw new Error(`no component ${component}`);
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  }

  /** Checks a response against what the document says `method route` answers with its status and media type. */
  function checkDocumented(method: string, route: string, response: supertest.Response): string[] {
    const operation = adminOperations.find((o) => o.method === method && o.route === route)?.operation;
    if (!operation) return [`${method} ${route} is not documented`];
    let documented = operation.responses[String(response.status)];
    if (documented?.$ref) documented = ((openapi.components as Json).responses as Record<string, typeof documented>)[documented.$ref.split('/').pop()!];
    if (!documented) return [`${method} ${route}: ${response.status} is not documented`];
    const mediaType = String(response.headers['content-type']).split(';')[0]!;
    const content = documented.content?.[mediaType];
    if (!content) return [`${method} ${route}: ${response.status} ${mediaType} is not documented`];
    return check(content.schema.$ref.split('/').pop()!, response.body);
  }

  beforeAll(async () => {
    key = await createPartnerKey('EU');
    [admin, auditor] = await Promise.all([createAdminKey(), createAdminKey({ roles: ['audit'] })]);
    test = await startTestGateway({ keys: [key], adminKeys: [admin.publicJwk, auditor.publicJwk] });
    // Placed at <base>/docs/openapi.json, the document's "../schemas/<name>" resolves to the schemas' own $id.
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const name of SCHEMA_NAMES) ajv.addSchema(readJson(path.join(ROOT, 'schemas', name)));
    ajv.addSchema({ $id: `${BASE}docs/openapi.json`, components: openapi.components });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  it('serves both documents byte for byte', async () => {
    for (const [route, file] of [['/openapi.json', OPENAPI_FILE], ['/asyncapi.json', ASYNCAPI_FILE]] as const) {
      const response = await test.http.get(route).buffer(true);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.text).toBe(readFileSync(file, 'utf8'));
    }
  });

  it('serves every schema a document references, at the URL the reference resolves to', async () => {
    for (const route of ['/openapi.json', '/asyncapi.json']) {
      const documentUrl = new URL(route, test.gateway.url);
      for (const ref of new Set(refsIn(route === '/openapi.json' ? openapi : asyncapi).filter((r) => !r.startsWith('#')))) {
        const url = new URL(ref, documentUrl);
        expect(url.pathname).toMatch(/^\/schemas\//);
        const response = await test.http.get(url.pathname).buffer(true);
        expect(response.status).toBe(200);
        expect(response.headers['content-type']).toMatch(/^application\/schema\+json/);
        // Byte for byte as in the repository but for the $id, which names where it was fetched from.
        const name = path.basename(url.pathname);
        const file = readFileSync(path.join(ROOT, 'schemas', name), 'utf8');
        expect(response.text).toBe(file.replace(`"$id": "https://mra-gateway.example/schemas/${name}"`, `"$id": "${test.gateway.url}/schemas/${name}"`));
        const id = (JSON.parse(response.text) as { $id: string }).$id;
        expect(id).toBe(url.toString());
        expect(await (await fetch(id)).text()).toBe(response.text);
      }
    }
    const index = await test.http.get('/schemas/');
    expect(index.body).toEqual({ schemas: SCHEMA_NAMES });
    expect((await test.http.get('/schemas/..%2Fpackage.json')).status).toBe(404);
  });

  it('answers as documented: receipt, problems, readiness, keys', async () => {
    const list = memberList([euMember()]);
    const accepted = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(list, key));
    expect(accepted.status).toBe(202);
    expect(check('Receipt', accepted.body)).toEqual([]);
    const claims = JSON.parse(Buffer.from((accepted.body as { receipt: string }).receipt.split('.')[1]!, 'base64url').toString('utf8')) as unknown;
    expect(check('ReceiptClaims', claims)).toEqual([]);

    const invalid = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact({ ...memberList([]), kind: 'everything' }, key));
    expect(invalid.status).toBe(422);
    expect(check('Problem', invalid.body)).toEqual([]);
    const rejectionClaims = JSON.parse(Buffer.from((invalid.body as { receipt: string }).receipt.split('.')[1]!, 'base64url').toString('utf8')) as unknown;
    expect(check('ReceiptClaims', rejectionClaims)).toEqual([]);

    const unauthenticated = await test.http.post('/v1/member-lists').set('Content-Type', 'application/jose').send('a.b.c');
    expect(check('Problem', unauthenticated.body)).toEqual([]);

    const ready = await test.http.get('/readyz');
    expect(check('Readiness', ready.body)).toEqual([]);
    expect(check('JwkSet', (await test.http.get('/.well-known/jwks.json')).body)).toEqual([]);
  });

  it('answers the admin API as documented, for every admin operation and its problems', async () => {
    const next = await createPartnerKey('EU');
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const firstReceiptKid = ((await adminCall(test.http, admin, 'get', '/receipt-keys')).body as { signing: string }).signing;
    // The previous test's submissions are in the log.
    const logged = ((await adminCall(test.http, admin, 'get', '/submissions?limit=1')).body as { submissions: { id: string }[] }).submissions[0]!.id;
    const calls: [method: 'get' | 'post' | 'patch', route: string, url: string, body: object | undefined, status: number][] = [
      ['get', '/admin/v1/administrations', '/administrations', undefined, 200],
      ['patch', '/admin/v1/administrations/{code}', '/administrations/JP', { status: 'suspended', reason: 'documented' }, 200],
      ['get', '/admin/v1/administrations/{code}', '/administrations/JP', undefined, 200],
      ['post', '/admin/v1/administrations/{code}/keys', '/administrations/EU/keys', { jwk: next.publicJwk, notBefore: null }, 201],
      ['get', '/admin/v1/administrations/{code}/keys', '/administrations/EU/keys', undefined, 200],
      ['post', '/admin/v1/administrations/{code}/keys/{kid}/retire', `/administrations/EU/keys/${next.kid}/retire`, { notAfter: future }, 200],
      ['post', '/admin/v1/administrations/{code}/keys/{kid}/revoke', `/administrations/EU/keys/${next.kid}/revoke`, { reason: 'documented' }, 200],
      ['post', '/admin/v1/receipt-keys/rotate', '/receipt-keys/rotate', undefined, 201],
      ['post', '/admin/v1/receipt-keys/{kid}/retire', `/receipt-keys/${firstReceiptKid}/retire`, {}, 200],
      ['get', '/admin/v1/receipt-keys', '/receipt-keys', undefined, 200],
      ['get', '/admin/v1/audit', '/audit?limit=2', undefined, 200],
      ['get', '/admin/v1/me', '/me', undefined, 200],
      ['get', '/admin/v1/submissions', '/submissions?outcome=rejected&limit=5', undefined, 200],
      ['get', '/admin/v1/submissions/{id}', `/submissions/${logged}`, undefined, 200],
      ['get', '/admin/v1/submissions/daily', '/submissions/daily', undefined, 200],
      ['get', '/admin/v1/overview', '/overview', undefined, 200],
      // Problems: unknown members and values, unknown administration, a repeated revocation, a bad query.
      ['patch', '/admin/v1/administrations/{code}', '/administrations/JP', { status: 'paused', why: 'x' }, 400],
      ['post', '/admin/v1/administrations/{code}/keys', '/administrations/EU/keys', { jwk: { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' } }, 400],
      ['get', '/admin/v1/administrations/{code}/keys', '/administrations/XX/keys', undefined, 404],
      ['post', '/admin/v1/administrations/{code}/keys/{kid}/revoke', `/administrations/EU/keys/${next.kid}/revoke`, { reason: 'again' }, 409],
      ['get', '/admin/v1/audit', '/audit?limit=0', undefined, 400],
      ['get', '/admin/v1/submissions', '/submissions?outcome=lost&since=yesterday', undefined, 400],
      ['get', '/admin/v1/submissions/{id}', '/submissions/01890000-0000-7000-8000-000000000000', undefined, 404],
      ['get', '/admin/v1/submissions/daily', '/submissions/daily?from=2026-02-30', undefined, 400],
      ['get', '/admin/v1/overview', '/overview?administration=EU', undefined, 400],
    ];
    for (const [method, route, url, body, status] of calls) {
      const response = await adminCall(test.http, admin, method, url, body);
      expect(response.status, `${method} ${url}: ${JSON.stringify(response.body)}`).toBe(status);
      expect(checkDocumented(method, route, response), `${method} ${url}`).toEqual([]);
      // The documented request body accepts what the gateway accepts and refuses what it refuses as invalid.
      if (body === undefined) continue;
      const schema = adminOperations.find((o) => o.method === method && o.route === route)!.operation.requestBody!.content['application/json']!.schema;
      const problems = check(schema.$ref.split('/').pop()!, body);
      if (status === 400) expect(problems, `${method} ${url}`).not.toEqual([]);
      else expect(problems, `${method} ${url}`).toEqual([]);
    }
    expect(new Set(calls.map(([method, route]) => `${method} ${route}`)).size).toBe(adminOperations.length);
    expect(((await adminCall(test.http, admin, 'get', '/audit?limit=2')).body as { next: unknown }).next).toBe(2);

    const unauthenticated = await test.http.get('/admin/v1/audit');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['www-authenticate']).toBe('Bearer realm="mra-gateway-admin"');
    expect(checkDocumented('get', '/admin/v1/audit', unauthenticated)).toEqual([]);
  });

  it('refuses every change with 403 unless the key has the role the document names, and lets any admin role read', async () => {
    for (const { route, method, operation } of adminOperations) {
      const role = operation.security![0]!.bearerAuth![0];
      const response = await adminCall(test.http, auditor, method as 'get' | 'post' | 'patch', route.slice('/admin/v1'.length).replace('{code}', 'EU').replace('{kid}', 'none').replace('{id}', 'none'));
      if (role === undefined) {
        expect(response.status, `${method} ${route}`).toBe(route.endsWith('{id}') ? 404 : 200);
        expect(checkDocumented(method, route, response)).toEqual([]);
      } else {
        expect(response.status, `${method} ${route}`).toBe(403);
        expect((response.body as { detail: string }).detail).toContain(`role "${role}"`);
        expect(checkDocumented(method, route, response)).toEqual([]);
      }
    }
  });

  it('answers every documented GET path without parameters', async () => {
    const paths = Object.entries(openapi.paths as Record<string, { get?: { responses: Json } }>).filter(([p, item]) => item.get && !p.includes('{'));
    expect(paths.length).toBeGreaterThanOrEqual(7);
    for (const [route, item] of paths) {
      const response = await test.http.get(route);
      expect(Object.keys(item.get!.responses)).toContain(String(response.status));
    }
  });
});

describe('the schemas behind a public address', () => {
  let test: TestGateway;

  beforeAll(async () => {
    test = await startTestGateway({ env: { PUBLIC_BASE_URL: 'https://mra-gateway.cbp.example/' } });
  });

  afterAll(async () => {
    await disposeTestGateway(test);
  });

  it('carry $ids under PUBLIC_BASE_URL, where the gateway serves them', async () => {
    for (const name of SCHEMA_NAMES) {
      const response = await test.http.get(`/schemas/${name}`).buffer(true);
      expect((JSON.parse(response.text) as { $id: string }).$id).toBe(`https://mra-gateway.cbp.example/schemas/${name}`);
    }
  });
});
