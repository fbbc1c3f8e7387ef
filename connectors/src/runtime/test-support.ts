// What runtime and connector tests share: a clock that only moves when something sleeps, so waits are
// asserted by how long was asked for, never by wall time; and a logger that keeps lines for assertions.
import type { Logger } from '../contract';

export class VirtualClock {
  nowMs: number;
  readonly sleeps: number[] = [];
  constructor(startMs = Date.UTC(2026, 10, 24)) {
    this.nowMs = startMs;
  }
  now = (): number => this.nowMs;
  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.nowMs += ms;
  };
}

export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  debug(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'debug', message, fields });
  }
  info(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, fields });
  }
  text(): string {
    return JSON.stringify(this.lines);
  }
}

/**
 * A decimal in its shortest exact form ("12.50" → "12.5", "3.000" → "3"), for comparing sums with a sandbox's truth.
 */
export function canonicalDecimal(value: string | number): string {
  const s = String(value);
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new Error(`not a decimal: ${s}`);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** The exact sum of decimals (strings or integers), in canonical form: no float ever touches a money column. */
export function sumDecimals(values: readonly (string | number | null | undefined)[]): string {
  const present = values.filter((v): v is string | number => v !== null && v !== undefined).map(String);
  const scale = Math.max(0, ...present.map((v) => (v.split('.')[1] ?? '').length));
  let total = 0n;
  for (const v of present) {
    const [int, frac = ''] = v.replace('-', '').split('.');
    const units = BigInt(int! + frac.padEnd(scale, '0'));
    total += v.startsWith('-') ? -units : units;
  }
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return canonicalDecimal(`${negative ? '-' : ''}${text}`);
}

/** Rows grouped by day, each metric summed exactly: what fault tests compare with a sandbox's truth. */
export function daySums<R extends { date: string }>(
  rows: readonly R[],
  metrics: readonly (keyof R & string)[],
): Record<string, Record<string, string>> {
  const byDay = new Map<string, R[]>();
  for (const r of rows) byDay.set(r.date, [...(byDay.get(r.date) ?? []), r]);
  return Object.fromEntries(
    [...byDay.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([day, dayRows]) => [
        day,
        {
          rows: String(dayRows.length),
          ...Object.fromEntries(
            metrics.map((m) => [
              m,
              sumDecimals(dayRows.map((r) => r[m] as unknown as string | number | null | undefined)),
            ]),
          ),
        },
      ]),
  );
}
