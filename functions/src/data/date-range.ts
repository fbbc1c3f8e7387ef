// Turns a request's date range into two reporting days. Relative ranges are counted in the project's time
// zone and end yesterday (today's numbers are still moving), as the ad platforms' own "last N days" do.
import type { DateRange } from './query.schemas';
import { ValidationError } from '@tributary/shared/domain/errors';

export interface ResolvedDates {
  from: string;
  to: string;
}

/** The longest range one query may cover; years of ads fit, a typo such as 0202-01-01 does not. */
export const MAX_RANGE_DAYS = 366 * 10;

export function todayIn(timeZone: string, now: Date): string {
  // en-CA formats as YYYY-MM-DD
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      now,
    );
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

export function shiftDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function resolveDateRange(range: DateRange, timeZone: string, now: Date): ResolvedDates {
  let resolved: ResolvedDates;
  if ('start_date' in range) {
    resolved = { from: range.start_date, to: range.end_date };
  } else {
    const today = todayIn(timeZone, now);
    const yesterday = shiftDays(today, -1);
    const [y, m] = today.split('-').map(Number) as [number, number];
    const monthStart = (year: number, month: number) =>
      `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-01`;
    const lastDays = /^last_(\d{1,4})_days$/.exec(range.relative);
    if (lastDays) {
      const n = Number(lastDays[1]);
      if (n < 1) throw new ValidationError('A relative range needs at least one day', { field: 'date_range' });
      resolved = { from: shiftDays(today, -n), to: yesterday };
    } else {
      switch (range.relative) {
        case 'today':
          resolved = { from: today, to: today };
          break;
        case 'yesterday':
          resolved = { from: yesterday, to: yesterday };
          break;
        case 'this_month':
          resolved = { from: monthStart(y, m), to: today };
          break;
        case 'last_month': {
          const start = m === 1 ? monthStart(y - 1, 12) : monthStart(y, m - 1);
          resolved = { from: start, to: shiftDays(monthStart(y, m), -1) };
          break;
        }
        case 'this_year':
          resolved = { from: `${y}-01-01`, to: today };
          break;
        case 'last_year':
          resolved = { from: `${y - 1}-01-01`, to: `${y - 1}-12-31` };
          break;
        default:
          throw new ValidationError('Unknown relative date range', { field: 'date_range' });
      }
    }
  }
  if (daysBetween(resolved.from, resolved.to) > MAX_RANGE_DAYS) {
    throw new ValidationError(`A date range may cover at most ${MAX_RANGE_DAYS} days`, { field: 'date_range' });
  }
  return resolved;
}
