import type { Member, Removal } from '../generated/member-list.js';
import type { IncomingEntry } from '../member/change-plan.js';
import { CHANGE_BATCH, type ChangeBatches } from './change-batches.js';
import type { ListedProblems } from './listed-problems.js';
import type { MemberEntries } from './member-entries.js';
import type { EntryKind, MemberListSchema } from './member-list-schema.js';
import type { MemberPreparation } from './member-preparation.js';

/** What one pass over a list's members does (see passMembers). */
export interface MemberPass {
  entries: MemberEntries | undefined;
  kind: EntryKind;
  schema: MemberListSchema;
  /** Rule 3: collects every member's schema errors (the list's own may be there already). */
  schemaErrors: ListedProblems;
  /** Rule 5a, when the list has passed rules 4 and 5 (there is an arrangement to judge by). */
  preparation?: MemberPreparation;
  /** Where the prepared members go, a batch at a time, when the message is to be applied. */
  changes?: ChangeBatches;
}

/**
 * One pass over a list's members, one at a time, in order: each is parsed from its text and held to
 * the schema; once the list has no schema error, to the member rules; while it has neither, it is
 * prepared and, a batch at a time, planned and written. The pass goes on to the last member after an
 * error, so that the problem lists every error; it then only checks, and the transaction (which the
 * caller ends by refusing the message) takes back what was written. Members that fail the schema
 * are not judged by the member rules: rule 3 refuses the message first.
 *
 * Between batches the pass lets other work run (a 250,000-member list takes seconds).
 */
export async function passMembers(pass: MemberPass): Promise<void> {
  const { entries, kind, schema, schemaErrors, preparation, changes } = pass;
  if (!entries) return;
  // The store writes one batch while the next is prepared (on PostgreSQL the database does its part
  // meanwhile); one batch at a time is in flight, in order, and a failed write stops the pass.
  let writing: Promise<void> = Promise.resolve();
  const send = async (next: IncomingEntry[]): Promise<void> => {
    await writing;
    writing = changes!.add(next);
    writing.catch(() => undefined); // awaited before the next batch, or at the end
  };
  let batch: IncomingEntry[] = [];
  try {
    for (let index = 0; index < entries.count; index++) {
      if (index > 0 && index % CHANGE_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
      const value = entries.parse(index);
      const errors = schema.entry(kind, value);
      if (errors.length > 0) schemaErrors.addUnder(`/members/${index}`, errors);
      if (!schemaErrors.empty || !preparation) continue;
      const entry = preparation.prepare(value as Member | Removal, index);
      if (!entry || !changes || !preparation.errors.empty) continue;
      batch.push(entry);
      if (batch.length === CHANGE_BATCH) {
        await send(batch);
        batch = [];
      }
    }
  } catch (error) {
    // A member that is not JSON: the message is refused; the write in flight settles first.
    await writing.catch(() => undefined);
    throw error;
  }
  await writing;
  if (changes && schemaErrors.empty && preparation?.errors.empty) {
    if (batch.length > 0) await changes.add(batch);
    await changes.finish();
  }
}
