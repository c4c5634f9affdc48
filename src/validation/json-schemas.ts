import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProblemItem } from '../domain/gateway-error.js';
import type { MemberListSchema } from '../domain/intake/member-list-schema.js';
import { describeRefusedCharacter, refusedCharacter } from '../domain/text-characters.js';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The folder holding the JSON Schemas, two levels above this file both in src/ and in dist/. */
export const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** The base of the schemas' `$id`s in the repository; the gateway serves them under its public base URL. */
export const SCHEMA_BASE = 'https://mra-gateway.example/schemas/';

/** The schema files' names (also what /schemas/ serves). */
export function schemaFileNames(): string[] {
  return readdirSync(SCHEMA_DIR).filter((name) => name.endsWith('.json')).sort();
}

/**
 * One Ajv instance with every schema of schemas/, compiled once at start-up. Strict mode, so a typo in
 * a schema keyword fails at start rather than silently accepting everything. Patterns are Unicode
 * regular expressions (Ajv's default, stated here because the free-text pattern depends on it: only
 * under the u flag does [\ud800-\udfff] match unpaired surrogates alone, not halves of valid pairs).
 */
function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, unicodeRegExp: true });
  addFormats(ajv);
  for (const name of schemaFileNames()) {
    ajv.addSchema(JSON.parse(readFileSync(`${SCHEMA_DIR}${name}`, 'utf8')) as object);
  }
  return ajv;
}

const ajv = createAjv();

function compiled(name: string): ValidateFunction {
  const validate = ajv.getSchema(`${SCHEMA_BASE}${name}`);
  if (!validate) throw new Error(`schema ${name} is missing from ${SCHEMA_DIR}`);
  return validate;
}

export const validators = {
  memberList: compiled('member-list.v1.json'),
  memberRecord: compiled('member-record.v1.json'),
  mraRegistry: compiled('mra-registry.v1.json'),
};

/**
 * The member-list schema applied a member at a time (see MemberListSchema): the list's own validator
 * for the list, and the schema's own subschemas, by reference, for one entry of a snapshot or a delta.
 */
export const memberListSchema: MemberListSchema = (() => {
  const list = `${SCHEMA_BASE}member-list.v1.json`;
  const member = ajv.compile({ $ref: `${list}#/else/properties/members/items` });
  const memberOrRemoval = ajv.compile({ $ref: `${list}#/then/properties/members/items` });
  return {
    list: (value) => schemaErrors(validators.memberList, value),
    entry: (kind, value) => schemaErrors(kind === 'member' ? member : memberOrRemoval, value),
  };
})();

/** Runs a validator and returns its errors as JSON Pointer + message, schema noise removed. */
export function schemaErrors(validate: ValidateFunction, value: unknown): ProblemItem[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).filter((error) => error.keyword !== 'if').map((error) => toProblemItem(error, value));
}

function toProblemItem(error: ErrorObject, value: unknown): ProblemItem {
  const params = error.params as Record<string, unknown>;
  let pointer = error.instancePath;
  // Point at the property itself when the error is about a property, not at the object holding it.
  if (error.keyword === 'required') pointer += `/${escape(String(params.missingProperty))}`;
  if (error.keyword === 'additionalProperties') pointer += `/${escape(String(params.additionalProperty))}`;
  let detail = error.message ?? 'is invalid';
  if (error.keyword === 'additionalProperties') detail = 'is not a known property';
  if (error.keyword === 'enum') detail = `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
  if (error.keyword === 'pattern') {
    // Say which character is refused and where, rather than quote a pattern of escapes.
    const text = valueAt(value, error.instancePath);
    const found = typeof text === 'string' ? refusedCharacter(text) : undefined;
    if (found) detail = describeRefusedCharacter(found);
  }
  return { pointer, detail };
}

/** The value a JSON Pointer of Ajv's (instancePath) points at. */
function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const token of pointer.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    const name = token.replace(/~1/g, '/').replace(/~0/g, '~');
    node = Object.hasOwn(node, name) ? (node as Record<string, unknown>)[name] : undefined;
  }
  return node;
}

function escape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
