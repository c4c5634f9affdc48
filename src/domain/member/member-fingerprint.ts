import { createHash } from 'node:crypto';
import type { NormalizedMember } from './normalized-member.js';

/**
 * A digest of everything a consumer would see of the member. Normalized members are built with a
 * fixed key order, so equal members give equal JSON; comparing digests finds unchanged members of a
 * large snapshot without loading or comparing their stored state.
 */
export function memberFingerprint(member: NormalizedMember): string {
  return createHash('sha256').update(JSON.stringify(member)).digest('base64url');
}
