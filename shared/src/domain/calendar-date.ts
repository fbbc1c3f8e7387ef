// Calendar days as YYYY-MM-DD strings: one definition for every edge that takes a date (extract, data API,
// webhooks), so `2024-02-31` is a 400 everywhere instead of a 500 wherever PostgreSQL first sees it.
import * as z from 'zod';

const SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/** A real day of the Gregorian calendar between year 1 and 9999 (what PostgreSQL's date and JS agree on). */
export function isCalendarDate(s: string): boolean {
  if (!SHAPE.test(s) || s.startsWith('0000')) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export const CalendarDateSchema = z
  .string()
  .regex(SHAPE, 'Date format must be YYYY-MM-DD')
  .refine(isCalendarDate, 'not a calendar date');

/** The newest day that has begun anywhere (UTC+14): no account's "today" is later. */
export function latestToday(now: Date): string {
  return new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
}

/** The first day of the month `months` calendar months before `day`'s month, as YYYY-MM-DD. */
export function monthsBefore(day: string, months: number): string {
  const [y, m] = day.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) - months;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}-01`;
}
