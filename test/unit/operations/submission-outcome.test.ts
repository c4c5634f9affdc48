import { describe, expect, it } from 'vitest';
import { submissionOutcome } from '../../../src/operations/submission-outcome.js';

function fakeReceipt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'ES256' })}.${encode(claims)}.c2ln`;
}

const counts = { members: 3, added: 2, updated: 0, statusChanged: 1, removed: 0, unchanged: 0, notRecognized: 1 };

describe('submissionOutcome', () => {
  it('reads an accepted receipt', () => {
    expect(submissionOutcome(202, { administration: 'EU', counts }, undefined)).toEqual({ outcome: 'accepted', administration: 'EU', counts });
  });

  it('reads a replay', () => {
    expect(submissionOutcome(200, { administration: 'JP', counts }, undefined)).toEqual({ outcome: 'replayed', administration: 'JP' });
  });

  it('takes the administration of a rejection from its signed receipt', () => {
    const body = { type: 'urn:mra-gateway:problem:schema-violation', receipt: fakeReceipt({ administration: 'MX', outcome: 'rejected' }) };
    expect(submissionOutcome(422, body, 'schema-violation')).toEqual({ outcome: 'rejected', administration: 'MX', problem: 'schema-violation' });
  });

  it.each([
    { case: 'no receipt (sender not authenticated)', body: { type: 'urn:mra-gateway:problem:unknown-key' } },
    { case: 'a receipt that is not a JWS', body: { receipt: 'garbage' } },
    { case: 'a receipt whose payload is not JSON', body: { receipt: 'a.b.c' } },
    { case: 'an administration that is not a registry code', body: { receipt: fakeReceipt({ administration: 'eu; drop' }) } },
    { case: 'no body at all', body: undefined },
  ])('counts $case as administration "unknown"', ({ body }) => {
    expect(submissionOutcome(401, body, 'unknown-key')).toMatchObject({ outcome: 'rejected', administration: 'unknown' });
  });

  it('never turns an odd problem code into a label', () => {
    expect(submissionOutcome(500, {}, 'Robert"); DROP')).toMatchObject({ problem: 'unknown' });
  });
});
