import type { ProblemItem } from '../gateway-error.js';
import type { Warning } from '../member/member-cross-checks.js';

/** At most this many errors are listed in a problem document (ICD 1, rule 3). */
export const MAX_LISTED_ERRORS = 100;
/** At most this many warnings are listed on a receipt; a last warning says how many were left out. */
export const MAX_LISTED_WARNINGS = 1000;

/**
 * Items found one member at a time, of which a problem document or receipt lists only the first few:
 * the rest are counted, not kept, so that a list whose every member is wrong costs no more memory
 * than one whose members are all right.
 */
class ListedItems<T> {
  readonly listed: T[] = [];
  total = 0;

  constructor(private readonly limit: number) {}

  add(item: T): void {
    this.total++;
    if (this.listed.length < this.limit) this.listed.push(item);
  }

  get empty(): boolean {
    return this.total === 0;
  }
}

/** The errors of a message, the first MAX_LISTED_ERRORS listed. */
export class ListedProblems extends ListedItems<ProblemItem> {
  constructor() {
    super(MAX_LISTED_ERRORS);
  }

  /** Adds errors whose pointers are relative to `prefix` (a JSON Pointer). */
  addUnder(prefix: string, items: readonly ProblemItem[]): void {
    for (const item of items) this.add({ pointer: `${prefix}${item.pointer}`, detail: item.detail });
  }
}

/** The warnings of a message of one kind, the first MAX_LISTED_WARNINGS kept. */
export class ListedWarnings extends ListedItems<Warning> {
  constructor() {
    super(MAX_LISTED_WARNINGS);
  }
}

/**
 * The warnings a receipt lists: those of each list in turn, at most MAX_LISTED_WARNINGS, and then
 * one saying how many more there were.
 */
export function receiptWarnings(...lists: readonly ListedWarnings[]): Warning[] {
  const all = lists.flatMap((list) => list.listed);
  const total = lists.reduce((sum, list) => sum + list.total, 0);
  if (total <= MAX_LISTED_WARNINGS) return all;
  return [
    ...all.slice(0, MAX_LISTED_WARNINGS),
    { pointer: '', code: 'warnings-truncated', detail: `${total - MAX_LISTED_WARNINGS} more warning(s) not listed.` },
  ];
}
