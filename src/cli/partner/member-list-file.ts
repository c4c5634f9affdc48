import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MemberList } from '../../domain/generated/member-list.js';
import { schemaErrors, validators } from '../../validation/json-schemas.js';
import { CliError, errorCode } from '../cli-error.js';

/** How many schema errors are shown; the count of the rest is given. */
const SHOWN_ERRORS = 20;

export interface MemberListFile {
  list: MemberList;
  /** The exact bytes to sign: the file as read, or the re-serialized list after --stamp. */
  payload: Buffer;
}

/**
 * Reads a member-list JSON file and checks it against the same schema the gateway applies
 * (schemas/member-list.v1.json), so a list that would be refused never leaves the partner.
 * `stamp` makes it fresh for a trial run: issuedAt now, a new messageId, and no sequence.
 */
export function readMemberListFile(file: string, options: { stamp?: boolean; now?: Date } = {}): MemberListFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CliError('file-unreadable', `cannot read the member list ${file}: ${errorCode(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new CliError('invalid-json', `${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (options.stamp && typeof parsed === 'object' && parsed !== null) parsed = stamp(parsed as Record<string, unknown>, options.now ?? new Date());
  const errors = schemaErrors(validators.memberList, parsed);
  if (errors.length > 0) {
    const shown = errors.slice(0, SHOWN_ERRORS).map((e) => `${e.pointer || '/'}: ${e.detail}`);
    if (errors.length > SHOWN_ERRORS) shown.push(`... and ${errors.length - SHOWN_ERRORS} more`);
    throw new CliError('schema-violation', `${file} does not match member-list.v1.json (${errors.length} error(s)); nothing was signed or sent`, shown);
  }
  const list = parsed as MemberList;
  return { list, payload: options.stamp ? Buffer.from(JSON.stringify(list)) : bytes };
}

function stamp(list: Record<string, unknown>, now: Date): Record<string, unknown> {
  const administration = typeof list.administration === 'string' ? list.administration : 'XX';
  const time = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  // Without a sequence the gateway orders snapshots by issuedAt, which is now: later than any earlier list.
  const rest = { ...list };
  delete rest.sequence;
  return { ...rest, messageId: `${administration}-${time}-${randomBytes(3).toString('hex')}`, issuedAt: now.toISOString() };
}
