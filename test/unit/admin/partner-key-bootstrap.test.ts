import { exportJWK, generateKeyPair } from 'jose';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/admin/audit-log.js';
import { PartnerKeyAdmin } from '../../../src/admin/partner-key-admin.js';
import { ConfigError } from '../../../src/config/app-config.js';
import { importBootstrapPartnerKeys } from '../../../src/config/partner-key-bootstrap.js';
import { ArrangementRegistry, type Arrangement } from '../../../src/domain/arrangement.js';
import { systemClock } from '../../../src/domain/clock.js';
import { createLogger } from '../../../src/logging/logger.js';
import { SqliteAdminStore } from '../../../src/store/sqlite/sqlite-admin-store.js';
import { SqliteDatabase } from '../../../src/store/sqlite/sqlite-database.js';
import { SqlitePartnerKeyStore } from '../../../src/store/sqlite/sqlite-partner-key-store.js';
import { temporaryDirectories } from '../../support/temp-dirs.js';
import { weakKeyCases } from '../../support/weak-keys.js';

const temporaryDirectory = temporaryDirectories('partner-key-bootstrap-');
const ALGORITHMS = ['ES256', 'PS256', 'EdDSA'];
const arrangement = (code: string): Arrangement => ({ code, administration: code, program: 'AEO', signedOn: '2012-05', status: 'active', countries: ['DE'], certificateTypes: ['AEOS'], recognizedCertificateTypes: ['AEOS'] });
const silent = createLogger('error', new Writable({ write: (_chunk, _encoding, done) => done() }));

/** A public JWK with members the gateway has no use for, as key tooling often exports them. */
async function decoratedPublicJwk(kid: string) {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig', key_ops: ['verify'], ext: true, x5t: 'not-a-thumbprint', comment: 'from the partner' };
}

describe('partner keys imported from CONFIG_DIR/partner-keys at start-up', () => {
  const databases: SqliteDatabase[] = [];
  afterEach(async () => {
    for (const database of databases.splice(0)) await database.close();
  });

  function setUp(files: Record<string, object>) {
    const root = temporaryDirectory();
    const configDir = path.join(root, 'config');
    mkdirSync(path.join(configDir, 'partner-keys'), { recursive: true });
    for (const [code, content] of Object.entries(files)) writeFileSync(path.join(configDir, 'partner-keys', `${code}.json`), JSON.stringify(content));
    const database = SqliteDatabase.open(path.join(root, 'data'));
    databases.push(database);
    const arrangements = new ArrangementRegistry([arrangement('EU'), arrangement('JP')]);
    const keys = new SqlitePartnerKeyStore(database);
    const store = new SqliteAdminStore(database);
    const admin = new PartnerKeyAdmin({ arrangements, store, audit: new AuditLog(store, systemClock, silent), clock: systemClock, allowedAlgorithms: ALGORITHMS });
    return { import: () => importBootstrapPartnerKeys(configDir, arrangements, keys, ALGORITHMS, silent), keys, admin };
  }

  it('keeps the same public members as a key registered through the admin API', async () => {
    const jwk = await decoratedPublicJwk('eu-2026');
    const gateway = setUp({ EU: { keys: [{ ...jwk, notAfter: '2030-01-01T00:00:00Z' }] } });
    await gateway.import();
    // The same key under a kid of its own: a kid names one key across all administrations.
    await gateway.admin.add({ kid: 'alice-2026', sub: 'alice' }, 'JP', { jwk: { ...jwk, kid: 'jp-2026' }, notBefore: null, notAfter: null });

    const [imported] = await gateway.keys.list('EU');
    const [registered] = await gateway.keys.list('JP');
    expect(imported!.jwk).toEqual({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: 'eu-2026', alg: 'ES256', use: 'sig' });
    expect(imported!.jwk).toEqual({ ...registered!.jwk, kid: 'eu-2026' });
    expect(imported!.notAfter).toEqual(new Date('2030-01-01T00:00:00Z'));
  });

  it('refuses a key whose numbers do not form a public key, as the admin API does, naming the field', async () => {
    const jwk = await decoratedPublicJwk('off-curve');
    const gateway = setUp({ EU: { keys: [{ ...jwk, y: jwk.x }] } });
    const refused = gateway.import();
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(/partner-keys\/EU\.json\/keys\/0.*not on the curve/);
    expect(await gateway.keys.hasKeys('EU')).toBe(false);
  });

  it('refuses a weak or degenerate key, or an unsafe kid, naming the key, and stores none of the file', async () => {
    const sound = await decoratedPublicJwk('eu-sound');
    for (const { name, jwk } of weakKeyCases('eu')) {
      const gateway = setUp({ EU: { keys: [sound, jwk] } });
      const refused = gateway.import();
      await expect(refused, name).rejects.toBeInstanceOf(ConfigError);
      await expect(refused, name).rejects.toMatchObject({ field: 'CONFIG_DIR/partner-keys/EU.json/keys/1' });
      expect(await gateway.keys.hasKeys('EU'), name).toBe(false);
    }
  });

  it('refuses a kid repeated in the files, or held by another administration in the store, and stores nothing', async () => {
    const [eu, jp, again] = await Promise.all([decoratedPublicJwk('shared'), decoratedPublicJwk('shared'), decoratedPublicJwk('eu-1')]);
    const acrossFiles = setUp({ EU: { keys: [eu] }, JP: { keys: [jp] } });
    await expect(acrossFiles.import()).rejects.toMatchObject({ name: 'ConfigError', field: 'CONFIG_DIR/partner-keys/JP.json/keys/0/kid' });
    expect([await acrossFiles.keys.hasKeys('EU'), await acrossFiles.keys.hasKeys('JP')]).toEqual([false, false]);

    const withinFile = setUp({ EU: { keys: [again, { ...again, x: eu.x, y: eu.y }] } });
    await expect(withinFile.import()).rejects.toMatchObject({ name: 'ConfigError', field: 'CONFIG_DIR/partner-keys/EU.json/keys/1/kid' });
    expect(await withinFile.keys.hasKeys('EU')).toBe(false);

    const inStore = setUp({ EU: { keys: [eu] } });
    await inStore.admin.add({ kid: 'alice-2026', sub: 'alice' }, 'JP', { jwk: jp, notBefore: null, notAfter: null });
    await expect(inStore.import()).rejects.toMatchObject({ name: 'ConfigError', field: 'CONFIG_DIR/partner-keys/EU.json/keys/0/kid' });
    expect(await inStore.keys.hasKeys('EU')).toBe(false);
  });
});
