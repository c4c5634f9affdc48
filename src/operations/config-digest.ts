import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A file of CONFIG_DIR that shapes behaviour: its path relative to CONFIG_DIR ('/'-separated) and its bytes. */
export interface ConfigFile {
  path: string;
  content: Buffer;
}

/**
 * The files of CONFIG_DIR the gateway acts on: mras.json (the arrangements), admin-keys.json (who may
 * administer), partner-keys/<CODE>.json (the bootstrap partner keys), each when present. Exactly the
 * names the loaders read; anything else in the directory does not change behaviour and is not read.
 */
export function readConfigFiles(configDir: string): ConfigFile[] {
  const files: ConfigFile[] = [];
  for (const name of ['mras.json', 'admin-keys.json']) {
    const file = path.join(configDir, name);
    if (existsSync(file)) files.push({ path: name, content: readFileSync(file) });
  }
  const keysDir = path.join(configDir, 'partner-keys');
  if (existsSync(keysDir)) {
    for (const name of readdirSync(keysDir).filter((n) => n.endsWith('.json'))) {
      files.push({ path: `partner-keys/${name}`, content: readFileSync(path.join(keysDir, name)) });
    }
  }
  return files;
}

/**
 * SHA-256 (hex) over the files, by relative path and content, in byte order of the paths (never the
 * order a directory listing happens to return). Each file enters as its path, a NUL, its length in
 * bytes, a NUL and its content, so no two different sets of files hash alike by shifting bytes from
 * one file, or name, to the next. Says nothing about the contents beyond equality.
 */
export function digestConfigFiles(files: readonly ConfigFile[]): string {
  const hash = createHash('sha256');
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  for (const file of sorted) {
    hash.update(`${file.path}\0${file.content.length}\0`);
    hash.update(file.content);
  }
  return hash.digest('hex');
}

/**
 * The digest of the configuration in CONFIG_DIR that shapes behaviour. Instances on one store should
 * all report the same one (operations/instance-heartbeat.ts compares them).
 */
export function configDigest(configDir: string): string {
  return digestConfigFiles(readConfigFiles(configDir));
}
