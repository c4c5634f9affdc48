import { describe, expect, it } from 'vitest';
import { readAddKeyRequest, readAuditQuery, readEmptyRequest, readRetireRequest, readRevokeRequest, readStatusChangeRequest } from '../../../src/admin/admin-requests.js';
import { GatewayError } from '../../../src/domain/gateway-error.js';

function problemOf(read: () => unknown): { code: string; pointers: string[] } | 'accepted' {
  try {
    read();
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return { code: (error as GatewayError).code, pointers: ((error as GatewayError).errors ?? []).map((e) => e.pointer) };
  }
}

describe('admin request readers', () => {
  it('reads a key registration with optional validity times', () => {
    expect(readAddKeyRequest({ jwk: { kid: 'k' }, notBefore: '2030-01-01T00:00:00Z', notAfter: '2031-01-01T00:00:00+01:00' })).toEqual({
      jwk: { kid: 'k' },
      notBefore: new Date('2030-01-01T00:00:00Z'),
      notAfter: new Date('2030-12-31T23:00:00Z'),
    });
    expect(readAddKeyRequest({ jwk: { kid: 'k' } })).toEqual({ jwk: { kid: 'k' }, notBefore: null, notAfter: null });
  });

  const bad: { name: string; read: () => unknown; pointers: string[] }[] = [
    { name: 'a key registration that is not an object', read: () => readAddKeyRequest([]), pointers: [] },
    { name: 'a key registration without jwk', read: () => readAddKeyRequest({}), pointers: ['/jwk'] },
    { name: 'every problem of a key registration at once', read: () => readAddKeyRequest({ notBefore: '2030-01-01', notAfter: 5, extra: 1 }), pointers: ['/extra', '/jwk', '/notBefore', '/notAfter'] },
    { name: 'a date without time zone', read: () => readAddKeyRequest({ jwk: {}, notAfter: '2030-01-01T00:00:00' }), pointers: ['/notAfter'] },
    { name: 'an impossible date', read: () => readAddKeyRequest({ jwk: {}, notAfter: '2030-02-31T00:00:00Z' }), pointers: [] },
    { name: 'a retirement without notAfter', read: () => readRetireRequest({}), pointers: ['/notAfter'] },
    { name: 'a retirement with notAfter null', read: () => readRetireRequest({ notAfter: null }), pointers: ['/notAfter'] },
    { name: 'a revocation without reason', read: () => readRevokeRequest({}), pointers: ['/reason'] },
    { name: 'a revocation with a blank reason', read: () => readRevokeRequest({ reason: ' \n ' }), pointers: ['/reason'] },
    { name: 'a revocation with a reason too long', read: () => readRevokeRequest({ reason: 'x'.repeat(1001) }), pointers: ['/reason'] },
    { name: 'a status that does not exist', read: () => readStatusChangeRequest({ status: 'paused', reason: 'x' }), pointers: ['/status'] },
    { name: 'a status change without reason', read: () => readStatusChangeRequest({ status: 'suspended' }), pointers: ['/reason'] },
    { name: 'a status change with a blank reason', read: () => readStatusChangeRequest({ status: 'suspended', reason: '\t \u00a0' }), pointers: ['/reason'] },
    { name: 'a status change with a reason too long once trimmed', read: () => readStatusChangeRequest({ status: 'suspended', reason: ` ${'x'.repeat(1001)} ` }), pointers: ['/reason'] },
    { name: 'a revocation with a reason that is not a string', read: () => readRevokeRequest({ reason: 42 }), pointers: ['/reason'] },
    { name: 'a body where none is taken', read: () => readEmptyRequest({ force: true }), pointers: ['/force'] },
    { name: 'an audit limit of 0', read: () => readAuditQuery({ limit: '0' }), pointers: ['/limit'] },
    { name: 'an audit limit over 500', read: () => readAuditQuery({ limit: '501' }), pointers: ['/limit'] },
    { name: 'a repeated cursor', read: () => readAuditQuery({ after: ['1', '2'] }), pointers: ['/after'] },
    { name: 'an unknown query parameter', read: () => readAuditQuery({ page: '2' }), pointers: ['/page'] },
  ];
  for (const { name, read, pointers } of bad) {
    it(`refuses ${name} with 400 invalid-request`, () => {
      const problem = problemOf(read);
      expect(problem).not.toBe('accepted');
      if (problem === 'accepted') return;
      expect(problem.code).toBe('invalid-request');
      if (pointers.length > 0) expect(problem.pointers).toEqual(pointers);
    });
  }

  it('measures a reason after trimming it, for every body with a reason', () => {
    const longest = 'x'.repeat(1000);
    const padded = `${' '.repeat(20)}${longest}\n${' '.repeat(20)}`;
    expect(readRevokeRequest({ reason: padded })).toEqual({ reason: longest });
    expect(readStatusChangeRequest({ status: 'suspended', reason: padded })).toEqual({ status: 'suspended', reason: longest });
    expect(readRevokeRequest({ reason: '   x   ' })).toEqual({ reason: 'x' });
    // Characters are code points (as JSON Schema counts them), not UTF-16 units.
    expect(readRevokeRequest({ reason: '\u{1F511}'.repeat(1000) }).reason).toHaveLength(2000);
    expect(problemOf(() => readRevokeRequest({ reason: '\u{1F511}'.repeat(1001) }))).toMatchObject({ code: 'invalid-request', pointers: ['/reason'] });
  });

  it('reads the other bodies and the audit query', () => {
    expect(readRetireRequest({ notAfter: '2030-01-01T00:00:00.000Z' })).toEqual({ notAfter: new Date('2030-01-01T00:00:00Z') });
    expect(readRevokeRequest({ reason: '  key leaked  ' })).toEqual({ reason: 'key leaked' });
    expect(readStatusChangeRequest({ status: 'terminated', reason: 'ended' })).toEqual({ status: 'terminated', reason: 'ended' });
    expect(problemOf(() => readEmptyRequest(undefined))).toBe('accepted');
    expect(problemOf(() => readEmptyRequest({}))).toBe('accepted');
    expect(readAuditQuery({})).toEqual({ after: 0, limit: 100 });
    expect(readAuditQuery({ after: '42', limit: '500' })).toEqual({ after: 42, limit: 500 });
  });
});
