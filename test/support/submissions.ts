import type supertest from 'supertest';
import { signCompact } from './jws.js';
import { euMember, memberList } from './member-lists.js';
import type { PartnerSigningKey } from './partner-keys.js';

/** Submits a fresh one-member EU snapshot signed with `key` (an EU key, or another to see it refused). */
export async function submitSignedList(http: ReturnType<typeof supertest>, key: PartnerSigningKey): Promise<supertest.Response> {
  const list = memberList([euMember()]);
  return http.post('/v1/member-lists').set('Content-Type', 'application/jose').send(await signCompact(list, key));
}
