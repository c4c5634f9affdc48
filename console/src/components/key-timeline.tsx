import type { PartnerKeyView } from '../../../src/admin/partner-key-admin.js';
import { formatInstant } from '../format.js';
import { href } from '../routing.js';

const DAY_MS = 86_400_000;
// Drawing units of the SVG's viewBox.
const WIDTH = 1200;
const LABEL = 70;
const ROW = 20;
const BAR = 14;
const AXIS = 30;

/** The window the timeline shows around now: the recent past, and the year ahead that rollovers are planned in. */
const PAST_DAYS = 90;
const FUTURE_DAYS = 365;

export interface AdministrationKeys {
  code: string;
  keys: PartnerKeyView[];
}

interface Window {
  start: number;
  end: number;
}

/**
 * Each administration's keys as bars on one time axis (from notBefore, or when it was added, to
 * notAfter or its revocation; an open end runs off the right edge), so overlaps are bars above each
 * other and a gap, a time in which no key verifies, is a red band under them.
 */
export function KeyTimeline({ administrations, now, selected }: { administrations: AdministrationKeys[]; now: Date; selected?: string | undefined }) {
  const from = now.getTime() - PAST_DAYS * DAY_MS;
  const to = now.getTime() + FUTURE_DAYS * DAY_MS;
  const x = (t: number) => LABEL + ((Math.min(Math.max(t, from), to) - from) / (to - from)) * (WIDTH - LABEL);
  const groups = administrations.map((a) => ({ ...a, rows: Math.max(1, a.keys.length) + 0.5 }));
  const height = AXIS + groups.reduce((sum, g) => sum + g.rows * ROW, 0) + 4;
  let top = AXIS;

  return (
    <svg viewBox={`0 0 ${WIDTH} ${height}`} class="timeline" aria-label="Partner key validity windows by administration" data-testid="key-timeline">
      <defs>
        <pattern id="revoked-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="6" height="6" class="hatch-bg" />
          <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
        </pattern>
      </defs>
      {monthTicks(from, to).map((t) => (
        <g key={t} class="grid">
          <line x1={x(t)} x2={x(t)} y1={AXIS - 4} y2={height} />
          <text x={x(t) + 3} y={AXIS - 8}>
            {new Date(t).toISOString().slice(0, 7)}
          </text>
        </g>
      ))}
      {groups.map((group) => {
        const groupTop = top;
        top += group.rows * ROW;
        // Gaps ahead are what an administrator must act on; the past is history.
        const gaps = uncovered(group.keys, now.getTime(), to);
        const bandY = groupTop + Math.max(1, group.keys.length) * ROW;
        return (
          <g key={group.code} data-administration={group.code} class={group.code === selected ? 'selected' : undefined}>
            <line class="group-rule" x1={0} x2={WIDTH} y1={groupTop} y2={groupTop} />
            <a href={href('keys', group.code)} aria-label={`${group.code}: ${group.keys.length} keys${gaps.length > 0 ? ', with times without a valid key' : ''}`}>
              <text class="group-label" x={4} y={groupTop + ROW - 5}>
                {group.code}
              </text>
            </a>
            {group.keys.length === 0 ? (
              <text class="no-keys" x={LABEL + 6} y={groupTop + ROW - 6}>
                no keys
              </text>
            ) : null}
            {group.keys.map((key, i) => {
              const w = validity(key);
              const y = groupTop + i * ROW + (ROW - BAR) / 2;
              const x1 = x(w.start);
              const x2 = x(w.end);
              return (
                <g key={key.kid} class={`key state-${key.state}`} data-kid={key.kid}>
                  <title>
                    {key.kid} ({key.state}): {formatInstant(key.notBefore ?? key.addedAt)} to {key.revokedAt ? `revoked ${formatInstant(key.revokedAt)}` : key.notAfter ? formatInstant(key.notAfter) : 'no end'}
                  </title>
                  <rect x={x1} y={y} width={Math.max(2, x2 - x1)} height={BAR} rx={3} class="bar" />
                  {x2 - x1 > 200 ? (
                    <text x={x1 + 4} y={y + BAR - 3} class="bar-label">
                      {shortKid(key.kid)}
                    </text>
                  ) : (
                    <text x={x2 + 4} y={y + BAR - 3} class="bar-label beside">
                      {shortKid(key.kid)}
                    </text>
                  )}
                  {w.end === Infinity ? <path class="open-end" d={`M${WIDTH - 8},${y} l8,${BAR / 2} l-8,${BAR / 2} z`} /> : null}
                </g>
              );
            })}
            {gaps.map((g) => (
              <rect key={g.start} class="gap" x={x(g.start)} y={bandY} width={Math.max(2, x(g.end) - x(g.start))} height={ROW * 0.35}>
                <title>
                  No valid key from {formatInstant(new Date(g.start).toISOString())} to {g.end >= to ? 'beyond' : formatInstant(new Date(g.end).toISOString())}
                </title>
              </rect>
            ))}
          </g>
        );
      })}
      <line class="now" x1={x(now.getTime())} x2={x(now.getTime())} y1={4} y2={height} />
      <text class="now-label" x={x(now.getTime()) + 4} y={12}>
        now
      </text>
    </svg>
  );
}

function shortKid(kid: string): string {
  return kid.length > 28 ? `${kid.slice(0, 27)}…` : kid;
}

/** When a key verifies: from notBefore (else when it was added) to notAfter or its revocation. */
function validity(key: PartnerKeyView): Window {
  const start = Date.parse(key.notBefore ?? key.addedAt);
  const ends = [key.notAfter, key.revokedAt].filter((v): v is string => v !== null).map((v) => Date.parse(v));
  return { start, end: ends.length > 0 ? Math.min(...ends) : Infinity };
}

/** The times between `from` and `to` in which none of the keys verifies (unsafe keys never do). */
function uncovered(keys: readonly PartnerKeyView[], from: number, to: number): Window[] {
  const windows = keys
    .filter((k) => k.state !== 'unsafe')
    .map(validity)
    .filter((w) => w.end > from && w.start < to)
    .sort((a, b) => a.start - b.start);
  const gaps: Window[] = [];
  let cursor = from;
  for (const w of windows) {
    if (w.start > cursor) gaps.push({ start: cursor, end: w.start });
    cursor = Math.max(cursor, w.end);
    if (cursor >= to) break;
  }
  if (cursor < to) gaps.push({ start: cursor, end: to });
  return gaps;
}

/** The first day of each month between `from` and `to`. */
function monthTicks(from: number, to: number): number[] {
  const ticks: number[] = [];
  const d = new Date(from);
  let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  while (t < to) {
    ticks.push(t);
    const m = new Date(t);
    t = Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1);
  }
  return ticks;
}
