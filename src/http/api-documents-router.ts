import { Router } from 'express';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../domain/gateway-error.js';
import { SCHEMA_DIR, schemaFileNames } from '../validation/json-schemas.js';

/** docs/, two levels above this file both in src/ and in dist/ (like schemas/). */
const DOCS_DIR = fileURLToPath(new URL('../../docs/', import.meta.url));

const CACHE = 'public, max-age=300';

/**
 * Serves the API documents and the JSON Schemas they reference, byte for byte as in the repository.
 * The documents refer to the schemas as `../schemas/<name>`; resolved against /openapi.json or
 * /asyncapi.json that is /schemas/<name>, so the same files work from disk and over HTTP, unchanged.
 * Everything is read once, at start-up: a missing document stops the gateway rather than a client.
 */
export function apiDocumentsRouter(): Router {
  const documents = {
    '/openapi.json': readFileSync(`${DOCS_DIR}openapi.json`),
    '/asyncapi.json': readFileSync(`${DOCS_DIR}asyncapi.json`),
  };
  const schemas = new Map(schemaFileNames().map((name) => [name, readFileSync(`${SCHEMA_DIR}${name}`)]));

  const router = Router();
  for (const [path, bytes] of Object.entries(documents)) {
    router.get(path, (_req, res) => {
      res.set('Cache-Control', CACHE).type('application/json').send(bytes);
    });
  }
  router.get('/schemas/', (_req, res) => {
    res.set('Cache-Control', CACHE).json({ schemas: [...schemas.keys()] });
  });
  router.get('/schemas/:name', (req, res) => {
    const bytes = schemas.get(req.params.name);
    if (!bytes) throw new GatewayError('not-found', `There is no schema ${req.params.name}; GET /schemas/ lists them.`);
    res.set('Cache-Control', CACHE).type('application/schema+json').send(bytes);
  });
  return router;
}
