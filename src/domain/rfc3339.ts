const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2})(?::?(\d{2}))?)$/;

/**
 * Milliseconds since the epoch of an RFC 3339 date-time, as the member-list schema accepts it
 * (ajv-formats `date-time`), or NaN when the text is none. `Date.parse` cannot be used: it returns NaN
 * for a leap second (`23:59:60`) and for an hours-only offset (`+01`), both of which the schema lets
 * through, and a NaN silently passes every comparison. A leap second is read as the first instant of
 * the next minute.
 */
export function parseInstant(text: string): number {
  const match = INSTANT.exec(text);
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second, fraction, zone, sign, offsetHours, offsetMinutes] = match;
  const milliseconds = fraction ? Math.floor(Number(`0${fraction}`) * 1000) : 0;
  const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), milliseconds);
  if (Number.isNaN(utc) || Number(month) > 12 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60) return Number.NaN;
  if (zone === 'Z' || zone === 'z') return utc;
  const offset = (Number(offsetHours) * 60 + Number(offsetMinutes ?? 0)) * 60_000;
  return sign === '+' ? utc - offset : utc + offset;
}
