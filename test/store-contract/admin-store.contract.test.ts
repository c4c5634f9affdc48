import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PartnerKey } from '../../src/domain/partner-key.js';
import { storeAdapters, type OpenedStore } from './store-adapters.js';

const key = (administration: string, kid: string, addedAt = 1000): PartnerKey => ({
  administration,
  kid,
  jwk: { kty: 'OKP', crv: 'Ed25519', x: kid },
  notBefore: null,
  notAfter: null,
  revokedAt: null,
  revocationReason: null,
  addedAt: new Date(addedAt),
});

const actor = { kid: 'admin-1', sub: 'alice', requestId: 'req-1' };

describe.each(storeAdapters)('admin, key and token stores contract: $name', (adapter) => {
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await adapter.open();
  });
  afterEach(async () => {
    await opened.dispose();
  });

  it('keeps partner keys per administration, finds a kid across them, adds all or none', async () => {
    const keys = opened.store.partnerKeys;
    await keys.add([key('EU', 'k1', 1000), key('EU', 'k2', 2000), key('JP', 'k3', 1500)]);
    expect((await keys.list('EU')).map((k) => k.kid)).toEqual(['k1', 'k2']);
    expect((await keys.all()).map((k) => `${k.administration}/${k.kid}`)).toEqual(['EU/k1', 'EU/k2', 'JP/k3']);
    expect(await keys.findByKid('k3')).toEqual([key('JP', 'k3', 1500)]);
    expect(await keys.hasKeys('JP')).toBe(true);
    expect(await keys.hasKeys('KR')).toBe(false);
    await expect(keys.add([key('KR', 'k4'), key('EU', 'k1')])).rejects.toThrow();
    expect(await keys.hasKeys('KR')).toBe(false);
  });

  it('commits an admin change with its audit entry, or neither', async () => {
    const admin = opened.store.admin;
    await admin.transaction(async (tx) => {
      await tx.addPartnerKey(key('EU', 'k1'));
      await tx.appendAudit({ at: new Date(5000), actor, action: 'partner-key.add', administration: 'EU', kid: 'k1', before: null, after: { kid: 'k1' }, reason: null });
    });
    await expect(
      admin.transaction(async (tx) => {
        await tx.updatePartnerKey({ ...key('EU', 'k1'), revokedAt: new Date(6000), revocationReason: 'exposed' });
        await tx.appendAudit({ at: new Date(6000), actor, action: 'partner-key.revoke', administration: 'EU', kid: 'k1', before: null, after: null, reason: 'exposed' });
        throw new Error('refused after writing');
      }),
    ).rejects.toThrow('refused after writing');
    expect((await admin.partnerKeys('EU'))[0]!.revokedAt).toBeNull();
    const entries = await admin.auditEntries(0, 10);
    expect(entries).toEqual([
      { seq: entries[0]!.seq, at: new Date(5000), actor, action: 'partner-key.add', administration: 'EU', kid: 'k1', before: null, after: { kid: 'k1' }, reason: null },
    ]);

    await admin.transaction(async (tx) => {
      await tx.updatePartnerKey({ ...key('EU', 'k1'), notAfter: new Date(9000), revokedAt: new Date(6000), revocationReason: 'exposed' });
      expect(await tx.partnerKey('EU', 'k1')).toMatchObject({ notAfter: new Date(9000), revokedAt: new Date(6000), revocationReason: 'exposed' });
      expect((await tx.partnerKeysWithKid('k1')).map((k) => k.administration)).toEqual(['EU']);
    });
  });

  it('pages the audit log by position, and the database refuses to change or delete an entry', async () => {
    const admin = opened.store.admin;
    for (let i = 0; i < 5; i++) {
      await admin.transaction((tx) => tx.appendAudit({ at: new Date(i * 1000), actor, action: 'arrangement.suspend', administration: 'EU', kid: null, before: { i }, after: null, reason: `r${i}` }));
    }
    const first = await admin.auditEntries(0, 2);
    const next = await admin.auditEntries(first[1]!.seq, 10);
    expect([...first, ...next].map((e) => e.reason)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    await expect(opened.sql("UPDATE audit_log SET reason = 'edited'")).rejects.toThrow(/append-only/);
    await expect(opened.sql('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    expect((await admin.auditEntries(0, 10)).map((e) => e.reason)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('keeps arrangement status changes, one per administration, the latest in force', async () => {
    const admin = opened.store.admin;
    await admin.transaction((tx) => tx.setArrangementStatus({ administration: 'JP', status: 'suspended', reason: 'review', changedAt: new Date(1000), changedBy: '{"kid":"a","sub":"b"}' }));
    await admin.transaction((tx) => tx.setArrangementStatus({ administration: 'JP', status: 'active', reason: 'done', changedAt: new Date(2000), changedBy: '{"kid":"a","sub":"b"}' }));
    await admin.transaction((tx) => tx.setArrangementStatus({ administration: 'EU', status: 'terminated', reason: 'end', changedAt: new Date(3000), changedBy: 'x' }));
    expect(await admin.arrangementStatuses()).toEqual([
      { administration: 'EU', status: 'terminated', reason: 'end', changedAt: new Date(3000), changedBy: 'x' },
      { administration: 'JP', status: 'active', reason: 'done', changedAt: new Date(2000), changedBy: '{"kid":"a","sub":"b"}' },
    ]);
    expect(await admin.transaction((tx) => tx.arrangementStatus('KR'))).toBeUndefined();
  });

  it('keeps receipt keys newest first and retires them', async () => {
    const receiptKey = (kid: string, createdAt: number) => ({ kid, privateJwk: { sealed: 'v1' as const, kek: 'kek-id', iv: 'iv', data: `sealed-${kid}`, tag: 'tag' }, publicJwk: { kty: 'EC', kid }, createdAt: new Date(createdAt), retiredAt: null });
    await opened.store.receiptKeys.add(receiptKey('r1', 1000));
    await opened.store.admin.transaction((tx) => tx.addReceiptKey(receiptKey('r2', 2000)));
    expect((await opened.store.receiptKeys.unretired()).map((k) => k.kid)).toEqual(['r2', 'r1']);
    await opened.store.admin.transaction((tx) => tx.retireReceiptKey('r1', new Date(3000)));
    expect((await opened.store.receiptKeys.unretired()).map((k) => k.kid)).toEqual(['r2']);
    expect((await opened.store.admin.receiptKeys()).map((k) => [k.kid, k.retiredAt])).toEqual([
      ['r2', null],
      ['r1', new Date(3000)],
    ]);
  });

  it('accepts an admin token id once until it expires', async () => {
    const t = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);
    const ledger = opened.store.adminTokens;
    expect(await ledger.useOnce('alice', 'j1', t(90), t(0))).toBe(true);
    expect(await ledger.useOnce('alice', 'j1', t(90), t(1))).toBe(false);
    expect(await ledger.useOnce('bob', 'j1', t(90), t(1))).toBe(true);
    expect(await ledger.useOnce('alice', 'j2', t(200), t(90))).toBe(true);
    expect(await opened.sql('SELECT kid, jti FROM admin_token_uses ORDER BY kid, jti')).toEqual([{ kid: 'alice', jti: 'j2' }]);
  });
});

/** Two instances on one store: the token ledger decides between them. */
describe('admin token ledger: postgres only', () => {
  const adapter = storeAdapters.find((a) => a.name === 'postgres')!;
  let opened: OpenedStore;
  beforeEach(async () => {
    opened = await adapter.open();
  });
  afterEach(async () => {
    await opened.dispose();
  });

  it('accepts one of the same token id presented at two instances at once', async () => {
    const other = await opened.openAnother!();
    const until = new Date(Date.now() + 60_000);
    const results = await Promise.all([opened.store.adminTokens.useOnce('alice', 'same', until, new Date()), other.adminTokens.useOnce('alice', 'same', until, new Date())]);
    expect(results.sort()).toEqual([false, true]);
  });
});
