import { tableLine, text, type TableColumn } from './table-cells.js';
/** How `mra consumer lookup` prints a member's version (a GET /v1/members/{key} body). */

const COLUMNS: readonly TableColumn[] = [
  { title: 'MEMBER', width: 28 },
  { title: 'VERSION', width: 7 },
  { title: 'CHANGE', width: 14 },
  { title: 'STATUS', width: 10 },
  { title: 'RECOGNIZED', width: 10 },
  { title: 'CERT', width: 8 },
  { title: 'MIDS', width: 34 },
  { title: 'LEGAL NAME', width: 40 },
];

/** A JSON line: the item exactly as the register gave it. */
export function memberJsonLine(item: unknown): string {
  return `${JSON.stringify(item)}\n`;
}

export function memberTableHeader(): string {
  return tableLine(COLUMNS, COLUMNS.map((c) => c.title));
}

/**
 * One table row. MIDS lists every MID, a derived one marked with `*` (a candidate computed from name
 * and address, never proof); a removed member shows its last state with CHANGE removed.
 */
export function memberTableRow(item: unknown): string {
  const view = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
  const member = (typeof view.member === 'object' && view.member !== null ? view.member : {}) as Record<string, unknown>;
  const mids = Array.isArray(member.mids) ? (member.mids as unknown[]) : [];
  return tableLine(COLUMNS, [
    text(view.key),
    typeof view.version === 'number' ? String(view.version) : '',
    text(view.change),
    text(member.status),
    member.recognized === true ? 'yes' : member.recognized === false ? 'no' : '',
    text(member.certificateType),
    mids
      .map((mid) => {
        const { value, source } = (typeof mid === 'object' && mid !== null ? mid : {}) as { value?: unknown; source?: unknown };
        return `${text(value)}${source === 'derived' ? '*' : ''}`;
      })
      .join(','),
    text(member.legalName),
  ]);
}
