import { useState } from 'preact/hooks';
import type { DailySubmissions } from '../../../src/admin/submission-log.js';

const OUTCOMES = ['accepted', 'replayed', 'rejected'] as const;
type Outcome = (typeof OUTCOMES)[number];
const DAY_MS = 86_400_000;

// Drawing units of the SVG's viewBox; the picture scales to the page's width.
const WIDTH = 960;
const HEIGHT = 220;
const LEFT = 40;
const BOTTOM = 24;
const TOP = 8;

interface Day {
  day: string;
  counts: Record<Outcome, number>;
}

/**
 * Submissions per UTC day as stacked bars (accepted, replayed, rejected), for all administrations or
 * one; the same figures are in a table below it for screen readers and for copying.
 */
export function SubmissionsChart({ daily, titleId }: { daily: DailySubmissions; titleId: string }) {
  const [administration, setAdministration] = useState('');
  const administrations = [...new Set(daily.days.map((d) => d.administration))].sort();
  const days = perDay(daily, administration);
  const highest = Math.max(1, ...days.map((d) => total(d)));
  const scale = niceCeiling(highest);
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / Math.max(1, days.length);
  const y = (value: number) => TOP + plotHeight - (value / scale) * plotHeight;
  const labelEvery = Math.ceil(days.length / 10);

  return (
    <figure class="chart" data-testid="submissions-chart">
      <div class="chart-controls">
        <label for="chart-administration">Administration</label>
        <select id="chart-administration" value={administration} onChange={(e) => setAdministration((e.currentTarget).value)}>
          <option value="">All</option>
          {administrations.map((code) => (
            <option key={code} value={code}>
              {code}
            </option>
          ))}
        </select>
        <ul class="legend" aria-label="Legend">
          {OUTCOMES.map((o) => (
            <li key={o}>
              <span class={`swatch outcome-${o}`} aria-hidden="true" />
              {o}
            </li>
          ))}
        </ul>
      </div>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId} class="chart-svg">
        {[0, scale / 2, scale].map((tick) => (
          <g key={tick} class="grid">
            <line x1={LEFT} x2={WIDTH} y1={y(tick)} y2={y(tick)} />
            <text x={LEFT - 6} y={y(tick) + 4} text-anchor="end">
              {tick}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          let base = 0;
          const x = LEFT + i * slot + slot * 0.15;
          return (
            <g key={d.day}>
              <title>
                {d.day}: {OUTCOMES.map((o) => `${d.counts[o]} ${o}`).join(', ')}
              </title>
              {OUTCOMES.map((o) => {
                const value = d.counts[o];
                if (value === 0) return null;
                const top = y(base + value);
                const height = y(base) - top;
                base += value;
                return <rect key={o} class={`outcome-${o}`} x={x} y={top} width={slot * 0.7} height={height} />;
              })}
              {i % labelEvery === 0 ? (
                <text class="axis" x={x + slot * 0.35} y={HEIGHT - 6} text-anchor="middle">
                  {d.day.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>The figures as a table</summary>
        <table class="data compact">
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              {OUTCOMES.map((o) => (
                <th scope="col" key={o}>
                  {o}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days
              .filter((d) => total(d) > 0)
              .map((d) => (
                <tr key={d.day}>
                  <th scope="row">{d.day}</th>
                  {OUTCOMES.map((o) => (
                    <td key={o}>{d.counts[o]}</td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** Every day from `from` to `to`, days without submissions included (as zeros). */
function perDay(daily: DailySubmissions, administration: string): Day[] {
  const byDay = new Map<string, Day>();
  for (let t = Date.parse(`${daily.from}T00:00:00Z`); t <= Date.parse(`${daily.to}T00:00:00Z`); t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    byDay.set(day, { day, counts: { accepted: 0, replayed: 0, rejected: 0 } });
  }
  for (const row of daily.days) {
    if (administration !== '' && row.administration !== administration) continue;
    const day = byDay.get(row.day);
    if (!day) continue;
    for (const o of OUTCOMES) day.counts[o] += row[o];
  }
  return [...byDay.values()];
}

function total(d: Day): number {
  return d.counts.accepted + d.counts.replayed + d.counts.rejected;
}

/** The axis' top: 1, 2 or 5 times a power of ten, at or above the highest bar. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((m) => m * power).find((n) => n >= value) ?? 10 * power);
}
