import express from 'express';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { ArrangementRegistry, type Arrangement } from '../../../src/domain/arrangement.js';
import { memberRegisterRouter } from '../../../src/register/member-register-router.js';
import type { ListedVersion, MemberRegisterStore } from '../../../src/register/member-register-store.js';

const listed = (administration: string, memberId: string): ListedVersion => ({
  administration,
  memberId,
  version: 1,
  change: 'added',
  acceptedAt: '2026-01-01T00:00:00.000Z',
  record: JSON.stringify({ change: 'added', member: { key: `${administration}:${memberId}`, version: 1 }, source: null }),
  member: null,
});

describe('the listing route', () => {
  it('leaves out members of an administration the registry no longer lists, and still pages past them', async () => {
    const rows = [listed('EU', 'DE1'), listed('XX', 'GONE1'), listed('XX', 'GONE2')];
    const register: MemberRegisterStore = {
      latest: async () => undefined,
      asOf: async () => undefined,
      history: async () => [],
      list: async (query) => rows.slice(0, query.limit),
    };
    const app = express().use(
      memberRegisterRouter({
        register,
        readers: { authenticate: async () => ({ kind: 'cbp', kid: 'k', sub: 's' }) },
        arrangements: new ArrangementRegistry([{ code: 'EU', status: 'active' } as Arrangement]),
      }),
    );
    const response = await supertest(app).get('/v1/members?limit=2');
    expect(response.status).toBe(200);
    const body = response.body as { members: { key: string; arrangement: { code: string } }[]; next: string | null };
    expect(body.members.map((m) => [m.key, m.arrangement.code])).toEqual([['EU:DE1', 'EU']]);
    expect(body.next).not.toBeNull();
  });
});
