import { describe, expect, it } from 'vitest';
import { parseInstant } from '../../../src/domain/rfc3339.js';

describe('parseInstant reads every date-time the schema accepts', () => {
  it.each([
    ['2026-11-29T14:00:00Z', Date.UTC(2026, 10, 29, 14)],
    ['2026-11-29t14:00:00z', Date.UTC(2026, 10, 29, 14)],
    ['2026-11-29 14:00:00Z', Date.UTC(2026, 10, 29, 14)],
    ['2026-11-29T14:00:00.123Z', Date.UTC(2026, 10, 29, 14, 0, 0, 123)],
    ['2026-11-29T15:00:00+01:00', Date.UTC(2026, 10, 29, 14)],
    ['2026-11-29T15:00:00+01', Date.UTC(2026, 10, 29, 14)],
    ['2026-11-29T15:30:00+0130', Date.UTC(2026, 10, 29, 14)],
    ['2026-11-29T09:00:00-05:00', Date.UTC(2026, 10, 29, 14)],
    ['2016-12-31T23:59:60Z', Date.UTC(2017, 0, 1)],
  ])('%s', (text, expected) => {
    expect(parseInstant(text)).toBe(expected);
  });

  it.each(['2026-11-29', '2026-13-01T00:00:00Z', '2026-11-29T24:00:00Z', 'yesterday', '2026-11-29T14:00:00'])('%s is not an instant', (text) => {
    expect(parseInstant(text)).toBeNaN();
  });
});
