import { createHash } from 'node:crypto';
import type { Arrangement } from '../arrangement.js';
import type { JsonSpan } from './strict-json.js';
import type { Receipt, ReceiptCounts } from './receipt.js';

/**
 * Partners commonly send their full list again when nothing changed (a daily snapshot export). If a
 * snapshot's `members` text is byte for byte the text of the snapshot that produced the
 * administration's current state, under the same rules, every member is unchanged: the gateway can
 * say so without parsing, validating and normalizing 50,000 members again. This is what it keeps to
 * recognize that case.
 */
export interface SnapshotMark {
  /** SHA-256 (base64url) of the exact text of the snapshot's `members` array. */
  membersDigest: string;
  /** Its length in bytes of UTF-8 (a cheap first comparison; marks made by earlier builds counted characters, which differ only for text beyond ASCII: such a snapshot then takes the full path once). */
  membersLength: number;
  /** The rules the members went through: see rulesDigest. */
  rulesDigest: string;
  /** The snapshot applied with those members; its receipt holds the counts and warnings. */
  messageId: string;
  receivedAt: string;
}

/** A mark together with the receipt of its snapshot, as the store returns it. */
export interface MarkedSnapshot {
  mark: SnapshotMark;
  receipt: Receipt;
}

/** SHA-256 of the members text: the payload's bytes at `span`. */
export function membersDigest(bytes: Buffer, span: JsonSpan): string {
  return createHash('sha256').update(bytes.subarray(span.start, span.end)).digest('base64url');
}

/**
 * Everything besides the members text that decides what the members become: the arrangement as
 * configured (its status is checked on every message anyway) and the gateway's version (its
 * identifier checks, normalization and MID rules). A change to either sends the next snapshot through
 * the full path.
 */
export function rulesDigest(arrangement: Arrangement, gatewayVersion: string): string {
  return createHash('sha256').update(JSON.stringify([gatewayVersion, { ...arrangement, status: undefined }])).digest('base64url');
}

/**
 * The counts and warnings for a snapshot that repeats `marked`, or undefined when the full path must
 * run: the members text or the rules differ, the list is now over the size limit, or the earlier
 * receipt's warnings could read differently today (a date in the future is judged against the clock,
 * and a truncated list may hide such a warning).
 */
export function repeatOutcome(
  marked: MarkedSnapshot | undefined,
  current: { bytes: Buffer; members: JsonSpan | undefined; rulesDigest: string; receivedAt: Date; maxMembers: number },
): { counts: ReceiptCounts; warnings: Receipt['warnings'] } | undefined {
  if (!marked || !current.members) return undefined;
  const { mark, receipt } = marked;
  if (mark.rulesDigest !== current.rulesDigest || mark.membersLength !== current.members.end - current.members.start) return undefined;
  if (receipt.counts.members > current.maxMembers || current.receivedAt.getTime() < Date.parse(mark.receivedAt)) return undefined;
  if (receipt.warnings.some((w) => w.code === 'date-in-future' || w.code === 'warnings-truncated')) return undefined;
  if (membersDigest(current.bytes, current.members) !== mark.membersDigest) return undefined;
  const members = receipt.counts.members;
  return {
    counts: { members, added: 0, updated: 0, statusChanged: 0, removed: 0, unchanged: members, notRecognized: receipt.counts.notRecognized },
    warnings: receipt.warnings,
  };
}
