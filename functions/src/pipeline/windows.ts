// Which days a run extracts. Pure functions, so the planner's rules are tested without a platform.

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
export function incrementalRange(args: { today: string; lastSuccessfulDate: string | null; lookbackDays: number; firstDay: string; notBefore?: string }): DayRange | null {
  const lookbackStart = addDays(args.today, -(Math.max(1, args.lookbackDays) - 1));
  const from = args.lastSuccessfulDate === null ? args.firstDay : minDay(addDays(args.lastSuccessfulDate, 1), lookbackStart);
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
