// Which days a run extracts. Pure functions, so the planner's rules are tested without a platform.
import { latestToday, monthsBefore } from '@tributary/shared/domain/calendar-date';
import { ValidationError } from '@tributary/shared/domain/errors';

export interface DayRange {
  start: string;
  end: string;
}

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The calendar day `at` falls on in an IANA time zone (platforms report days in the account's zone). */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/**
 * The range of an incremental run: from the day after the last successful one, but never later than the
 * lookback (platforms restate the last `lookbackDays` days: they are always extracted again), to today.
 * A first run starts at `firstDay`. `notBefore` (the data source's configured start date) bounds the
 * lookback: days before it were never asked for and are not extracted.
 */
export function incrementalRange(args: {
  today: string;
  lastSuccessfulDate: string | null;
  lookbackDays: number;
  firstDay: string;
  notBefore?: string;
}): DayRange | null {
  const lookbackStart = addDays(args.today, -(Math.max(1, args.lookbackDays) - 1));
  const from =
    args.lastSuccessfulDate === null ? args.firstDay : minDay(addDays(args.lastSuccessfulDate, 1), lookbackStart);
  const start = args.notBefore !== undefined && args.notBefore > from ? args.notBefore : from;
  return start <= args.today ? { start, end: args.today } : null;
}

/** Splits a range into consecutive chunks of at most `days` days, oldest first. */
export function chunk(range: DayRange, days: number): DayRange[] {
  const out: DayRange[] = [];
  for (let start = range.start; start <= range.end; start = addDays(start, days)) {
    const end = minDay(addDays(start, days - 1), range.end);
    out.push({ start, end });
  }
  return out;
}

export function minDay(a: string, b: string): string {
  return a < b ? a : b;
}

/** A platform that declares no retention is held to ten years, the data API's longest range. */
export const DEFAULT_RETENTION_MONTHS = 120;

/** What a connector declares about how far back its platform serves reports (Connector.dataRetention*). */
export interface Retention {
  dataRetentionMonths?: number;
  dataRetentionDays?: number;
}

/** The oldest day a platform still serves, by its connector's declared retention: days when declared, else months. */
export function oldestServedDay(retention: Retention | undefined, now: Date): string {
  if (retention?.dataRetentionDays !== undefined) return addDays(latestToday(now), -(retention.dataRetentionDays - 1));
  return monthsBefore(latestToday(now), retention?.dataRetentionMonths ?? DEFAULT_RETENTION_MONTHS);
}

/** The retention as a user reads it: "92 days", "37 months". */
function retentionText(retention: Retention | undefined): string {
  return retention?.dataRetentionDays !== undefined
    ? `${retention.dataRetentionDays} days`
    : `${retention?.dataRetentionMonths ?? DEFAULT_RETENTION_MONTHS} months`;
}

/**
 * A requested backfill or first day, checked before anything else (a running job's 409 included): no day
 * after today anywhere on earth, none older than the platform keeps.
 */
export function checkRequestedWindow(
  range: DayRange,
  platform: ({ displayName: string } & Retention) | undefined,
  now: Date,
  fields = { start: 'window_start', end: 'window_end' },
): void {
  const today = latestToday(now);
  if (range.end > today)
    throw new ValidationError('The window ends in the future', { field: fields.end, latest_allowed: today });
  const oldest = oldestServedDay(platform, now);
  if (range.start < oldest) {
    throw new ValidationError(
      `${platform?.displayName ?? 'This platform'} keeps report data for ${retentionText(platform)}; the oldest day it serves is ${oldest}`,
      { field: fields.start, earliest_allowed: oldest },
    );
  }
}
