import { Router } from 'express';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../domain/gateway-error.js';
import { SCHEMA_BASE, SCHEMA_DIR, schemaFileNames } from '../validation/json-schemas.js';

/** docs/, two levels above this file both in src/ and in dist/ (like schemas/). */
const DOCS_DIR = fileURLToPath(new URL('../../docs/', import.meta.url));

const CACHE = 'public, max-age=300';

/**
 * Serves the API documents and the JSON Schemas they reference, as in the repository. The documents
 * refer to the schemas as `../schemas/<name>`; resolved against /openapi.json or /asyncapi.json that is
 * /schemas/<name>, so the same files work from disk and over HTTP, unchanged. A schema's `$id` is the
 * one thing that differs: it names where this gateway serves it (`<publicBaseUrl>/schemas/<name>`,
 * PUBLIC_BASE_URL), so that every `$id` a reader meets resolves to the document itself.
 * Everything is read once, at start-up: a missing document stops the gateway rather than a client.
 */
export function apiDocumentsRouter(publicBaseUrl: () => string): Router {
  const documents = {
    '/openapi.json': readFileSync(`${DOCS_DIR}openapi.json`),
    '/asyncapi.json': readFileSync(`${DOCS_DIR}asyncapi.json`),
  };
  const files = new Map(schemaFileNames().map((name) => [name, readFileSync(`${SCHEMA_DIR}${name}`, 'utf8')]));
  let served: { base: string; schemas: Map<string, Buffer> } | undefined;
  const schemasAt = (base: string): Map<string, Buffer> => {
    if (served?.base !== base) served = { base, schemas: new Map([...files].map(([name, text]) => [name, Buffer.from(withId(text, name, base))])) };
    return served.schemas;
  };

  const router = Router();
  for (const [path, bytes] of Object.entries(documents)) {
    router.get(path, (_req, res) => {
      res.set('Cache-Control', CACHE).type('application/json').send(bytes);
    });
  }
  router.get('/schemas/', (_req, res) => {
    res.set('Cache-Control', CACHE).json({ schemas: [...files.keys()] });
  });
  router.get('/schemas/:name', (req, res) => {
    const bytes = schemasAt(publicBaseUrl()).get(req.params.name);
    if (!bytes) throw new GatewayError('not-found', `There is no schema ${req.params.name}; GET /schemas/ lists them.`);
    res.set('Cache-Control', CACHE).type('application/schema+json').send(bytes);
  });
  return router;
}

/** The schema text with its `$id` (the repository's, under SCHEMA_BASE) moved to `<base>/schemas/<name>`. */
function withId(text: string, name: string, base: string): string {
  const id = JSON.stringify(`${SCHEMA_BASE}${name}`);
  const at = text.indexOf(`"$id": ${id}`);
  if (at < 0) throw new Error(`schemas/${name} does not have the $id ${id}`);
  return `${text.slice(0, at)}"$id": ${JSON.stringify(`${base}/schemas/${name}`)}${text.slice(at + `"$id": ${id}`.length)}`;
}
