// Schedules as the API stores them (functions/src/schedules/schedule-config.ts), described in words and
// turned into the next run times, in the schedule's time zone.
export type Frequency = 'manual' | 'hourly' | 'every_6_hours' | 'daily' | 'weekly';
export const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

export interface ScheduleForm {
  frequency: Frequency;
  minute: number;
  time: string;
  day: (typeof DAYS)[number];
  timezone: string;
}

export function toScheduleConfig(f: ScheduleForm): Record<string, unknown> {
  switch (f.frequency) {
    case 'manual':
      return { frequency: 'manual' };
    case 'hourly':
    case 'every_6_hours':
      return { frequency: f.frequency, minute: f.minute };
    case 'daily':
      return { frequency: 'daily', time: f.time, timezone: f.timezone };
    case 'weekly':
      return { frequency: 'weekly', day: f.day, time: f.time, timezone: f.timezone };
  }
}

export function describeSchedule(c: Record<string, unknown> | undefined): string {
  const f = c?.frequency;
  if (f === 'manual' || !f) return 'Only when started by hand';
  if (f === 'hourly') return `Every hour at :${String(c?.minute ?? 0).padStart(2, '0')}`;
  if (f === 'every_6_hours') return `Every 6 hours at :${String(c?.minute ?? 0).padStart(2, '0')}`;
  if (f === 'daily')
    return `Every day at ${String(c?.time ?? `${c?.hour_utc}:00 UTC`)}${c?.timezone ? ` (${String(c.timezone)})` : ''}`;
  if (f === 'weekly')
    return `Every ${String(c?.day ?? 'MON')} at ${String(c?.time ?? '03:00')}${c?.timezone ? ` (${String(c.timezone)})` : ''}`;
  if (f === 'cron') return `${String(c?.expression)} (${String(c?.timezone ?? 'UTC')})`;
  return String(f);
}

/** The wall-clock parts of an instant in a time zone. */
function partsIn(date: Date, timeZone: string) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    })
      .formatToParts(date)
      .map((x) => [x.type, x.value]),
  );
  return {
    y: Number(p.year),
    mo: Number(p.month),
    d: Number(p.day),
    h: Number(p.hour),
    mi: Number(p.minute),
    wd: DAYS.indexOf(String(p.weekday).toUpperCase().slice(0, 3) as (typeof DAYS)[number]),
  };
}

/** The next `n` run times after `from` (minute by minute up to two weeks ahead: simple and exact across DST). */
export function nextRuns(f: ScheduleForm, n = 3, from = new Date()): Date[] {
  if (f.frequency === 'manual') return [];
  const out: Date[] = [];
  const [hh, mm] = f.time.split(':').map(Number) as [number, number];
  const start = Math.ceil((from.getTime() + 1) / 60_000) * 60_000;
  const tz = f.frequency === 'daily' || f.frequency === 'weekly' ? f.timezone : 'UTC';
  for (let t = start; out.length < n && t < start + 15 * 86_400_000; t += 60_000) {
    const d = new Date(t);
    const p = partsIn(d, tz);
    const hit =
      f.frequency === 'hourly'
        ? p.mi === f.minute
        : f.frequency === 'every_6_hours'
          ? p.mi === f.minute && p.h % 6 === 0
          : f.frequency === 'daily'
            ? p.h === hh && p.mi === mm
            : p.h === hh && p.mi === mm && DAYS[p.wd] === f.day;
    if (hit) out.push(d);
  }
  return out;
}
