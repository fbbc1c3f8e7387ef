// Wall-clock time in an IANA time zone, as Metricool's API speaks it: timelines take and return
// `2026-01-01T00:00:00+0100` (the brand's local midnight with its offset), posts take local times without one.
// Formatters are built once per zone (building one costs about a millisecond: it loads zone data).
const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

const QUARTER_HOUR_MS = 900_000;
const offsets = new Map<string, number>();

/**
 * The zone's UTC offset at an instant, in minutes (Madrid in winter: 60). Zones change offset only on a
 * quarter hour of UTC (offsets and transition times are multiples of 15 minutes), so the answer is kept per
 * zone and quarter hour: formatting with Intl costs microseconds, a map lookup nanoseconds.
 */
export function offsetMinutes(timeZone: string, epochMs: number): number {
  const key = `${timeZone}|${Math.floor(epochMs / QUARTER_HOUR_MS)}`;
  let minutes = offsets.get(key);
  if (minutes === undefined) {
    if (offsets.size >= 100_000) offsets.clear(); // a bound, not a policy
    offsets.set(key, (minutes = intlOffsetMinutes(timeZone, epochMs)));
  }
  return minutes;
}

function intlOffsetMinutes(timeZone: string, epochMs: number): number {
  let f = offsetFormatters.get(timeZone);
  if (!f)
    offsetFormatters.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })));
  const name = f.formatToParts(epochMs).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** The instant of a local wall-clock time (YYYY-MM-DDTHH:mm:ss) in the zone. */
export function localToEpoch(timeZone: string, local: string): number {
  const asUtc = Date.parse(`${local}Z`);
  let guess = asUtc - offsetMinutes(timeZone, asUtc) * 60_000;
  guess = asUtc - offsetMinutes(timeZone, guess) * 60_000;
  return guess;
}

/** "+0100" for an offset in minutes. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** A local wall-clock time with the zone's offset at that moment: `2026-01-01T00:00:00+0100`. */
export function withOffset(timeZone: string, local: string): string {
  return `${local}${formatOffset(offsetMinutes(timeZone, localToEpoch(timeZone, local)))}`;
}

/** The zone's calendar day (YYYY-MM-DD) at an instant. */
export function dayIn(timeZone: string, epochMs: number): string {
  return localAt(timeZone, epochMs).slice(0, 10);
}

/** The zone's wall-clock time (YYYY-MM-DDTHH:mm:ss) at an instant. */
export function localAt(timeZone: string, epochMs: number): string {
  const shifted = epochMs + offsetMinutes(timeZone, epochMs) * 60_000;
  return new Date(shifted).toISOString().slice(0, 19);
}
