import { hash } from 'node:crypto';
import type { NormalizedMember } from './normalized-member.js';

/** A normalized member serialized once: the same text is fingerprinted, stored and published. */
export interface SerializedMember {
  member: NormalizedMember;
  /** JSON of `member`; normalized members are built with a fixed key order, so equal members give equal text. */
  json: string;
  /** SHA-256 of `json`, base64url. */
  fingerprint: string;
}

/**
 * Serializes and fingerprints a member. Comparing fingerprints finds the unchanged members of a large
 * snapshot without loading or comparing their stored state.
 */
export function serializeMember(member: NormalizedMember): SerializedMember {
  const json = JSON.stringify(member);
  return { member, json, fingerprint: hash('sha256', json, 'base64url') };
}
