import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Arrangement } from '../domain/arrangement.js';
import type { MraRegistry } from '../domain/generated/mra-registry.js';
import { schemaErrors, validators } from '../validation/json-schemas.js';
import { ConfigError } from './app-config.js';

/**
 * Reads CONFIG_DIR/mras.json and checks it against schemas/mra-registry.v1.json and the rules a schema
 * cannot say: codes are unique and recognized certificate types are ones the program issues.
 */
export function loadMraRegistry(configDir: string): Arrangement[] {
  const file = path.join(configDir, 'mras.json');
  const field = 'CONFIG_DIR/mras.json';
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(field, `cannot be read as JSON (${(error as Error).message})`);
  }
  const errors = schemaErrors(validators.mraRegistry, parsed);
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new ConfigError(`${field}${first.pointer}`, `${first.detail}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
  }
  const arrangements = (parsed as MraRegistry).arrangements;
  const seen = new Set<string>();
  arrangements.forEach((arrangement, i) => {
    if (seen.has(arrangement.code)) throw new ConfigError(`${field}/arrangements/${i}/code`, `${arrangement.code} appears twice`);
    seen.add(arrangement.code);
    for (const type of arrangement.recognizedCertificateTypes) {
      if (!arrangement.certificateTypes.includes(type)) {
        throw new ConfigError(`${field}/arrangements/${i}/recognizedCertificateTypes`, `${type} is not in certificateTypes`);
      }
    }
  });
  return arrangements;
}
