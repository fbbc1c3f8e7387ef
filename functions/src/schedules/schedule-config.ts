// A data source's schedule_config: what users send, checked here (a bad expression is a 400 that says why),
// and what it means: one EventBridge cron expression and the time zone it is read in.
//   { "frequency": "manual" }                                   no schedule (extract on request only)
//   { "frequency": "hourly", "minute": 15 }                     every hour at :15
//   { "frequency": "every_6_hours", "minute": 0 }
//   { "frequency": "daily", "time": "06:30" }                   every day at 06:30 in the project's time zone
//   { "frequency": "weekly", "day": "MON", "time": "06:30" }
//   { "frequency": "cron", "expression": "cron(0 8 ? * MON-FRI *)", "timezone": "Europe/Madrid" }
// `hour_utc` (the older form of daily and weekly) still means that hour in UTC. The time zone of daily,
// weekly and cron schedules defaults to the project's and is stored resolved, so the expression alone
// says when the source runs next.
import * as z from 'zod';
import {
  isValidTimezone,
  nextFireTimes,
  scheduleExpressionProblem,
} from '@tributary/shared/adapters/schedule-expression';
import type { ScheduleSpec } from '@tributary/shared/ports/schedule-registry';

const Timezone = z.string().max(64).refine(isValidTimezone, 'must be an IANA time zone such as Europe/Madrid');
const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');
const Minute = z.number().int().min(0).max(59);
const HourUtc = z.number().int().min(0).max(23);
const Day = z.enum(['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']);

export const ScheduleConfigSchema = z
  .discriminatedUnion('frequency', [
    z.object({ frequency: z.literal('manual') }).strict(),
    z.object({ frequency: z.literal('hourly'), minute: Minute.optional() }).strict(),
    z.object({ frequency: z.literal('every_6_hours'), minute: Minute.optional() }).strict(),
    z
      .object({
        frequency: z.literal('daily'),
        time: Time.optional(),
        hour_utc: HourUtc.optional(),
        timezone: Timezone.optional(),
      })
      .strict(),
    z
      .object({
        frequency: z.literal('weekly'),
        day: Day.optional(),
        time: Time.optional(),
        hour_utc: HourUtc.optional(),
        timezone: Timezone.optional(),
      })
      .strict(),
    z
      .object({
        frequency: z.literal('cron'),
        expression: z
          .string()
          .trim()
          .max(256)
          .describe('EventBridge syntax: cron(minutes hours day-of-month month day-of-week year)'),
        timezone: Timezone.optional(),
      })
      .strict()
      .superRefine((v, ctx) => {
        const problem = scheduleExpressionProblem(
          v.expression,
          v.timezone && isValidTimezone(v.timezone) ? v.timezone : 'UTC',
        );
        if (problem) ctx.addIssue({ code: 'custom', path: ['expression'], message: problem });
      }),
  ])
  .superRefine((v, ctx) => {
    if (
      (v.frequency === 'daily' || v.frequency === 'weekly') &&
      v.hour_utc !== undefined &&
      (v.time !== undefined || v.timezone !== undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['hour_utc'],
        message: 'hour_utc means UTC: give either hour_utc, or time (and timezone)',
      });
    }
  });
export type ScheduleConfig = z.infer<typeof ScheduleConfigSchema>;

export const DEFAULT_SCHEDULE: ScheduleConfig = { frequency: 'daily' };
const DEFAULT_TIME = '03:00';

/** The config as stored: daily, weekly and cron get their time zone (the project's unless given). */
export function resolveScheduleConfig(config: ScheduleConfig, projectTimezone: string): ScheduleConfig {
  if (config.frequency === 'daily' || config.frequency === 'weekly') {
    if (config.hour_utc !== undefined) return config;
    return { ...config, time: config.time ?? DEFAULT_TIME, timezone: config.timezone ?? projectTimezone };
  }
  if (config.frequency === 'cron') return { ...config, timezone: config.timezone ?? projectTimezone };
  return config;
}

/** The EventBridge expression and time zone of a stored schedule_config; null for manual (or unreadable) ones. */
export function scheduleExpression(stored: unknown): { expression: string; timezone: string } | null {
  const parsed = ScheduleConfigSchema.safeParse(stored);
  if (!parsed.success) return null;
  const c = parsed.data;
  const at = (time: string | undefined, hourUtc: number | undefined) => {
    if (hourUtc !== undefined) return { minute: 0, hour: hourUtc, timezone: 'UTC' };
    const [h, m] = (time ?? DEFAULT_TIME).split(':').map(Number) as [number, number];
    return { minute: m, hour: h, timezone: 'timezone' in c && c.timezone ? c.timezone : 'UTC' };
  };
  switch (c.frequency) {
    case 'manual':
      return null;
    case 'hourly':
      return { expression: `cron(${c.minute ?? 0} * * * ? *)`, timezone: 'UTC' };
    case 'every_6_hours':
      return { expression: `cron(${c.minute ?? 0} 0/6 * * ? *)`, timezone: 'UTC' };
    case 'daily': {
      const t = at(c.time, c.hour_utc);
      return { expression: `cron(${t.minute} ${t.hour} * * ? *)`, timezone: t.timezone };
    }
    case 'weekly': {
      const t = at(c.time, c.hour_utc);
      return { expression: `cron(${t.minute} ${t.hour} ? * ${c.day ?? 'MON'} *)`, timezone: t.timezone };
    }
    case 'cron':
      return { expression: c.expression, timezone: c.timezone ?? 'UTC' };
  }
}

/** The registry's view of a data source: its schedule (enabled while the source is active), or null for none. */
export function scheduleSpecOf(source: {
  id: string;
  scheduleConfig: unknown;
  isActive: boolean;
}): ScheduleSpec | null {
  const e = scheduleExpression(source.scheduleConfig);
  return e
    ? { dataSourceId: source.id, expression: e.expression, timezone: e.timezone, enabled: source.isActive }
    : null;
}

/** When the schedule fires next after `now`; null for manual schedules and expressions that never fire again. */
export function nextExtractionAt(stored: unknown, now: Date): Date | null {
  const e = scheduleExpression(stored);
  if (!e) return null;
  return nextFireTimes(e.expression, e.timezone, now, 1)[0] ?? null;
}
