/** How the console writes times: UTC always, as the gateway and partners do, to the minute. */
export function formatInstant(iso: string | null | undefined): string {
  if (!iso) return '—';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** An age or a remaining time, in the two largest units: "3 d 4 h", "2 h 10 min", "45 s". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  // Under two days in hours: partners deliver daily, and "26 h" reads better than "1 d 2 h".
  if (days >= 2) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (days > 0) return `${Math.floor(s / 3600)} h`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  if (minutes > 0) return `${minutes} min`;
  return `${s} s`;
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('en-US');
}

/** A datetime-local input's value (read as UTC, which the form says) as RFC 3339; '' stays undefined. */
export function utcInput(value: string): string | undefined {
  if (value === '') return undefined;
  const at = new Date(`${value}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

/** An instant as a datetime-local input's value in UTC. */
export function toUtcInput(at: Date): string {
  return at.toISOString().slice(0, 16);
}

/** The problem code of a problem type URI: "schema-violation" of urn:mra-gateway:problem:schema-violation. */
export function problemCode(type: string): string {
  return type.replace(/^urn:mra-gateway:problem:/, '');
}
