import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config/app-config.js';

/**
 * compose.yaml against the Compose Specification's JSON schema, and against what the gateway reads.
 *
 * The schema is schema/compose-spec.json of github.com/compose-spec/compose-spec (Apache-2.0), as of
 * its commit a08f8d51631b7127ddac3d2c65537db429d0f1d0 (2025-10-28), copied unchanged to
 * test/support/compose-spec.schema.json: its git blob id is checked below. It is the schema Docker
 * Compose v2 (compose-go) validates with. To update: copy the newer file, then the blob id here.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const SCHEMA_FILE = path.join(root, 'test/support/compose-spec.schema.json');
const SCHEMA_BLOB = '5db97d0fbbb8e7fbedea0bb5fdb3fe0e93b0e4b1';

/** Values for the variables compose.yaml interpolates, as an .env file would give them. */
const ENV: Record<string, string> = { POSTGRES_PASSWORD: 'pg-test-password', RABBITMQ_PASSWORD: 'mq-test-password' };

/** Compose's interpolation of ${VAR}, ${VAR:-default} and ${VAR:?message} ($$ is a literal $). */
function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (match, name: string | undefined, operator: string | undefined, argument: string | undefined) => {
    if (match === '$$') return '$';
    const value = env[name!];
    const unset = operator?.startsWith(':') ? value === undefined || value === '' : value === undefined;
    if (!unset) return value!;
    if (operator?.endsWith('?')) throw new Error(`required variable ${name} is missing a value: ${argument}`);
    return operator?.endsWith('-') ? argument! : '';
  });
}

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  volumes?: string[];
  secrets?: (string | { source: string; target?: string })[];
  ports?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string }>;
  volumes?: Record<string, unknown>;
}

/** compose.yaml as Compose reads it: interpolated, YAML merge keys (<<) applied. */
function composeFile(env: Record<string, string | undefined> = ENV, text = readFileSync(path.join(root, 'compose.yaml'), 'utf8')): ComposeFile {
  return parse(interpolate(text, env), { merge: true }) as ComposeFile;
}

function composeValidator() {
  const require = createRequire(import.meta.url);
  const draft07 = require('ajv/dist/refs/json-schema-draft-07.json') as Record<string, unknown>;
  // The schema names its meta-schema https://json-schema.org/draft-07/schema (Ajv knows it by its
  // http:// id): the same meta-schema under that name, so the schema itself is checked too. Unknown
  // keywords stay errors (strictSchema); the schema's own union types and untyped
  // additionalProperties are allowed.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
  ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
}

const gateways = (file: ComposeFile): [string, Service][] => Object.entries(file.services).filter(([, s]) => s.image?.startsWith('mra-gateway') === true);

describe('compose.yaml', () => {
  it('is checked against the Compose Specification schema as published (the copy is unchanged)', () => {
    const content = readFileSync(SCHEMA_FILE);
    const blob = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    expect(blob).toBe(SCHEMA_BLOB);
  });

  it('is valid against the Compose Specification schema', () => {
    const validate = composeValidator();
    const valid = validate(composeFile());
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the validator does refuse what the specification does not allow', () => {
    const validate = composeValidator();
    const file = composeFile();
    const misspelt = structuredClone(file) as unknown as { services: Record<string, Record<string, unknown>> };
    misspelt.services['gateway-a']!.depends_onn = {};
    expect(validate(misspelt)).toBe(false);
    const badCondition = structuredClone(file);
    badCondition.services['gateway-a']!.depends_on!.postgres!.condition = 'service_ready';
    expect(validate(badCondition)).toBe(false);
  });

  it('refuses to start without the passwords', () => {
    expect(() => composeFile({ RABBITMQ_PASSWORD: 'x' })).toThrow(/POSTGRES_PASSWORD/);
    expect(() => composeFile({ POSTGRES_PASSWORD: 'x' })).toThrow(/RABBITMQ_PASSWORD/);
  });

  it('runs two gateway instances of one image on the postgres and rabbitmq services, each with its own host port', () => {
    const file = composeFile();
    const instances = gateways(file);
    expect(instances.map(([name]) => name)).toEqual(['gateway-a', 'gateway-b']);
    expect(new Set(instances.map(([, s]) => s.image)).size).toBe(1);
    const hostPorts = instances.flatMap(([, s]) => (s.ports ?? []).map((p) => p.split(':').slice(0, -1).join(':')));
    expect(new Set(hostPorts).size).toBe(instances.length);
    expect(file.services.postgres?.image).toMatch(/^postgres:/);
    expect(file.services.rabbitmq?.image).toMatch(/^rabbitmq:/);
    expect(file.services.postgres?.healthcheck?.test).toContain('pg_isready');
  });

  it.each(['gateway-a', 'gateway-b'])('%s: a configuration the gateway accepts, on the shared store with a KEK from a secret', (name) => {
    const file = composeFile();
    const service = file.services[name]!;
    const env = service.environment!;
    const config = loadConfig(env);
    expect(new URL(config.database!.url).hostname).toBe('postgres');
    expect(new URL(config.database!.url).pathname).toBe(`/${file.services.postgres!.environment!.POSTGRES_DB}`);
    expect(config.amqpUrls.map((u) => new URL(u).hostname)).toEqual(['rabbitmq']);
    expect(config.receiptKeyEncryption).toEqual({ file: '/run/secrets/receipt-kek' });
    // The KEK comes from a compose secret, from a file outside ./config (which is copied into the
    // image and mounted into every gateway) and ignored by git.
    expect(service.secrets).toContain('receipt-kek');
    const kekFile = file.secrets?.['receipt-kek']?.file ?? '';
    expect(kekFile).not.toMatch(/^(\.\/)?config\//);
    const ignored = readFileSync(path.join(root, '.gitignore'), 'utf8').split('\n').map((line) => line.trim());
    const kekDir = path.posix.dirname(path.posix.normalize(kekFile));
    expect(ignored.filter((line) => line === `${kekDir}/` || line === `/${kekDir}/`)).not.toEqual([]);
    for (const dependency of ['postgres', 'rabbitmq']) expect(service.depends_on?.[dependency]?.condition).toBe('service_healthy');
    expect(service.healthcheck?.test?.join(' ')).toContain('/readyz');
    expect(service.volumes).toContain('./config:/app/config:ro');
  });
});
