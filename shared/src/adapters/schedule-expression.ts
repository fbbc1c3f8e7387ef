// EventBridge Scheduler cron expressions, `cron(minutes hours day-of-month month day-of-week year)`, read the
// way EventBridge reads them and evaluated with croner, so the local runner fires exactly when AWS would:
// - day-of-week counts 1-7 from Sunday (croner's alternativeWeekdays), names SUN-SAT and MON-FRI work;
// - `?` means "no specific value" (croner reads `?` as "now", so it becomes `*`), and exactly one of
//   day-of-month and day-of-week must be `?`, as EventBridge requires; the other is then the only
//   constraint (croner's domAndDow with a `*` on the `?` side);
// - `0/15` (start/step) becomes `0-59/15`; the year field (1970-2199) is kept (croner's 7-part mode);
// - the schedule's time zone (ScheduleExpressionTimezone) is croner's timezone.
import { Cron } from 'croner';

export class ScheduleExpressionError extends Error {
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`Invalid schedule expression "${expression}": ${reason}`);
    this.name = new.target.name;
  }
}

const FIELDS = [
  { name: 'minutes', max: 59 },
  { name: 'hours', max: 23 },
  { name: 'day-of-month', max: 31 },
  { name: 'month', max: 12 },
  { name: 'day-of-week', max: 7 },
  { name: 'year', max: 2199 },
] as const;

/**
 * The croner pattern (7 fields, seconds first) of an EventBridge `cron(…)` expression; throws ScheduleExpressionError.
 */
export function toCronerPattern(expression: string): string {
  const m = /^cron\((.*)\)$/.exec(expression.trim());
  if (!m)
    throw new ScheduleExpressionError(expression, 'expected cron(minutes hours day-of-month month day-of-week year)');
  const fields = m[1]!.trim().split(/\s+/);
  if (fields.length !== 6) throw new ScheduleExpressionError(expression, `expected 6 fields, got ${fields.length}`);
  const [, , dom, , dow] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?'))
    throw new ScheduleExpressionError(expression, 'exactly one of day-of-month and day-of-week must be "?"');
  fields.forEach((f, i) => {
    if (f === '?' && i !== 2 && i !== 4)
      throw new ScheduleExpressionError(
        expression,
        `"?" is allowed only in day-of-month and day-of-week, not in ${FIELDS[i]!.name}`,
      );
    if (!/^[0-9A-Za-z*?,\-/#LW]+$/.test(f))
      throw new ScheduleExpressionError(expression, `unexpected characters in ${FIELDS[i]!.name}: "${f}"`);
  });
  const translated = fields.map((f, i) =>
    f === '?'
      ? '*'
      : f
          .split(',')
          .map((part) => part.replace(/^(\d+)\/(\d+)$/, `$1-${FIELDS[i]!.max}/$2`))
          .join(','),
  );
  return ['0', ...translated].join(' ');
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** A paused croner job for the expression (throws ScheduleExpressionError for a bad expression or time zone). */
export function cronFor(expression: string, timezone: string, fire?: () => void): Cron {
  if (!isValidTimezone(timezone)) throw new ScheduleExpressionError(expression, `unknown time zone "${timezone}"`);
  const pattern = toCronerPattern(expression);
  try {
    const options = {
      mode: '7-part' as const,
      alternativeWeekdays: true,
      domAndDow: true,
      timezone,
      protect: true,
      catch: true,
    };
    return fire ? new Cron(pattern, options, fire) : new Cron(pattern, { ...options, paused: true });
  } catch (error) {
    throw new ScheduleExpressionError(
      expression,
      error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error),
    );
  }
}

/** The next times the expression fires after `after` (empty when it never fires again, e.g. a past year). */
export function nextFireTimes(expression: string, timezone: string, after: Date, count = 1): Date[] {
  const job = cronFor(expression, timezone);
  try {
    return job.nextRuns(count, after);
  } finally {
    job.stop();
  }
}

/** Why the expression is invalid, or undefined when EventBridge and the local scheduler both accept it. */
export function scheduleExpressionProblem(expression: string, timezone = 'UTC'): string | undefined {
  try {
    cronFor(expression, timezone).stop();
    return undefined;
  } catch (error) {
    if (error instanceof ScheduleExpressionError) return error.message;
    throw error;
  }
}
