/**
 * The intake's targets (issue 7) and the checks against them. The size-dependent targets are set for
 * 50,000 and 250,000 members; another size is held to the nearer of the two (up to 100,000 members the
 * 50,000 one), and the target says so.
 */

/** One figure against its target. */
export interface Check {
  value: number;
  target: string;
  met: boolean;
}

/** A check in the flat list at the end of the bench's output, with the run it belongs to (value null: not measured). */
export interface TargetEntry {
  figure: string;
  store: string;
  members: number;
  value: number | null;
  target: string;
  met: boolean;
}

export const below = (value: number, limit: number, unit = '', note = ''): Check => ({ value, target: `< ${limit}${unit}${note}`, met: value < limit });
export const atMost = (value: number, limit: number, unit = '', note = ''): Check => ({ value, target: `<= ${limit}${unit}${note}`, met: value <= limit });
export const atLeast = (value: number, limit: number, note = ''): Check => ({ value, target: `>= ${limit}${note}`, met: value >= limit });
export const exactly = (value: number, expected: number): Check => ({ value, target: `= ${expected}`, met: value === expected });

/** The targets that depend on the list's size. */
interface SizeTargets {
  receiptSeconds: number;
  memory: { figure: 'gatewayPeakRssMb' | 'peakAboveIdleMb'; limitMb: number; unit: string };
  /** Empty at 50,000 and 250,000 members; otherwise which size's target applies. */
  note: string;
}

export function sizeTargets(members: number): SizeTargets {
  const small = members <= 100_000;
  const setFor = small ? 50_000 : 250_000;
  return {
    receiptSeconds: small ? 1 : 5,
    memory: small ? { figure: 'peakAboveIdleMb', limitMb: 100, unit: ' MB above idle' } : { figure: 'gatewayPeakRssMb', limitMb: 600, unit: ' MB' },
    note: members === setFor ? '' : ` (the target at ${setFor.toLocaleString('en-US')} members)`,
  };
}

/** The checks of a section, as entries of the flat list, each figure named `section.figure`. */
export function entries(section: string, store: string, members: number, checks: Record<string, Check>): TargetEntry[] {
  return Object.entries(checks).map(([figure, check]) => ({ figure: `${section}.${figure}`, store, members, ...check }));
}
