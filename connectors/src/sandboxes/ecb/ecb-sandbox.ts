// A local stand-in for the European Central Bank's euro foreign exchange reference rates, in their real wire
// format (https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/):
//
//   GET /stats/eurofxref/eurofxref-daily.xml      the last published day
//   GET /stats/eurofxref/eurofxref-hist-90d.xml   the last 90 days' publications, newest first
//   GET /stats/eurofxref/eurofxref-hist.xml       every publication since 1999-01-04 (here: since 2020)
//
// The ECB publishes on TARGET2 working days only, around 16:00 CET: no weekends, no 1 January, Good Friday,
// Easter Monday, 1 May, 25 and 26 December. Rates are a deterministic random walk per currency, quoted as
// the ECB quotes them (units of currency per 1 EUR, 4 to 5 significant digits), so a test can recompute
// every rate through `truth`.
import * as z from 'zod';
import { addDays, isDay, weekdayIndex } from '../base/days';
import { FaultBoard } from '../base/faults';
import { startSandbox, type RunningSandbox, type SandboxPlatform, type SandboxReply } from '../base/sandbox-server';
import { sandboxService } from '../base/sandbox-service';
import { SeededRandom } from '../base/seeded-random';

/** Currencies the sandbox quotes against EUR, with a starting rate (the ECB's of early 2020, roughly). */
const START_RATES: Record<string, number> = {
  USD: 1.1193,
  JPY: 121.94,
  GBP: 0.8508,
  CHF: 1.0854,
  AUD: 1.6006,
  CAD: 1.4565,
  SEK: 10.5125,
  NOK: 9.8953,
  DKK: 7.4728,
  PLN: 4.2544,
  CZK: 25.402,
  HUF: 330.66,
  MXN: 21.19,
  BRL: 4.5157,
  INR: 80.064,
  CNY: 7.7946,
};
const FIRST_DAY = '2020-01-02';

/** The day before which the ECB has not yet published "today" (16:00 CET ≈ 15:00 UTC). */
function lastPublishedDay(now: Date): string {
  const today = now.toISOString().slice(0, 10);
  const candidate = now.getUTCHours() >= 15 ? today : addDays(today, -1);
  let d = candidate;
  while (!isPublicationDay(d)) d = addDays(d, -1);
  return d;
}

/** Western Easter Sunday (anonymous Gregorian algorithm). */
function easterSunday(year: number): string {
  const a = year % 19,
    b = Math.floor(year / 100),
    c = year % 100,
    d = Math.floor(b / 4),
    e = b % 4;
  const f = Math.floor((b + 8) / 25),
    g = Math.floor((b - f + 1) / 3),
    h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4),
    k = c % 4,
    l = (32 + 2 * e + 2 * i - h - k) % 7,
    m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31),
    day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function isPublicationDay(day: string): boolean {
  if (weekdayIndex(day) >= 5) return false;
  const md = day.slice(5);
  if (md === '01-01' || md === '05-01' || md === '12-25' || md === '12-26') return false;
  const easter = easterSunday(Number(day.slice(0, 4)));
  return day !== addDays(easter, -2) && day !== addDays(easter, 1);
}

/** Rates of one publication day: a walk of small daily steps from the start rates, rounded as the ECB does. */
export class EcbRates {
  private readonly walk = new Map<string, Record<string, number>>();

  ratesOn(day: string): Record<string, string> | null {
    if (day < FIRST_DAY || !isPublicationDay(day)) return null;
    return Object.fromEntries(Object.entries(this.levels(day)).map(([c, v]) => [c, quote(v)]));
  }

  private levels(day: string): Record<string, number> {
    // walk forward from the first day, memoized; each publication day moves every rate by up to ±0.4%
    let from = FIRST_DAY;
    let levels = { ...START_RATES };
    for (const [d, l] of this.walk) if (d <= day && d > from) [from, levels] = [d, l];
    for (let d = from; d <= day; d = addDays(d, 1)) {
      if (!isPublicationDay(d)) continue;
      if (this.walk.has(d)) {
        levels = this.walk.get(d)!;
        continue;
      }
      const rnd = new SeededRandom('ecb', d);
      levels = Object.fromEntries(Object.entries(levels).map(([c, v]) => [c, v * (1 + (rnd.next() - 0.5) * 0.008)]));
      this.walk.set(d, levels);
    }
    return levels;
  }
}

/** 5 significant digits, no exponent: 1.0921, 160.52, 7.4583, 25.339 */
function quote(v: number): string {
  const digits = Math.max(0, 4 - Math.floor(Math.log10(v)));
  return v.toFixed(digits);
}

type EcbFault = { kind: 'server_error'; times?: number } | { kind: 'timeout'; times?: number; hangMs?: number };
const EcbFaultSchema: z.ZodType<EcbFault> = z.union([
  z.object({ kind: z.literal('server_error'), times: z.number().int().positive().optional() }),
  z.object({
    kind: z.literal('timeout'),
    times: z.number().int().positive().optional(),
    hangMs: z.number().int().positive().optional(),
  }),
]);

export interface EcbSandboxOptions {
  /** the sandbox's "now": which days are published (default: the real clock) */
  now?: () => Date;
}

export function ecbPlatform(options: EcbSandboxOptions = {}): SandboxPlatform<EcbFault> & { rates: EcbRates } {
  const rates = new EcbRates();
  const faults = new FaultBoard<EcbFault>();
  const now = options.now ?? (() => new Date());

  const envelope = (days: string[]): SandboxReply => {
    const cubes = days
      .map((d) => {
        const r = rates.ratesOn(d)!;
        return `\t\t<Cube time='${d}'>\n${Object.entries(r)
          .map(([c, v]) => `\t\t\t<Cube currency='${c}' rate='${v}'/>`)
          .join('\n')}\n\t\t</Cube>`;
      })
      .join('\n');
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n` +
      `\t<gesmes:subject>Reference rates</gesmes:subject>\n\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n\t</gesmes:Sender>\n` +
      `\t<Cube>\n${cubes}\n\t</Cube>\n</gesmes:Envelope>\n`;
    return { status: 200, text: xml, contentType: 'text/xml' };
  };
  const publishedDays = (count: number | null): string[] => {
    const days: string[] = [];
    for (
      let d = lastPublishedDay(now());
      d >= FIRST_DAY && (count === null || days.length < count);
      d = addDays(d, -1)
    ) {
      if (isPublicationDay(d)) days.push(d);
    }
    return days;
  };
  const faulted = (): SandboxReply | null => {
    const timeout = faults.take('timeout');
    if (timeout) return { hangMs: timeout.hangMs ?? 30_000 };
    if (faults.take('server_error'))
      return { status: 503, text: '<html><body>Service Unavailable</body></html>', contentType: 'text/html' };
    return null;
  };
  // the 90-day file holds the publications of the last 90 calendar days (about 64)
  const last90 = () => publishedDays(null).filter((d) => d > addDays(lastPublishedDay(now()), -90));

  return {
    name: 'ecb',
    rates,
    faults,
    faultSchema: EcbFaultSchema,
    routes: [
      {
        name: 'daily',
        method: 'GET',
        path: /^\/stats\/eurofxref\/eurofxref-daily\.xml$/,
        handle: () => faulted() ?? envelope(publishedDays(1)),
      },
      {
        name: 'hist-90d',
        method: 'GET',
        path: /^\/stats\/eurofxref\/eurofxref-hist-90d\.xml$/,
        handle: () => faulted() ?? envelope(last90()),
      },
      {
        name: 'hist',
        method: 'GET',
        path: /^\/stats\/eurofxref\/eurofxref-hist\.xml$/,
        handle: () => faulted() ?? envelope(publishedDays(null)),
      },
    ],
    truth(query) {
      const day = query.get('date') ?? '';
      if (!isDay(day)) throw new Error('truth needs date=YYYY-MM-DD');
      return { date: day, published: rates.ratesOn(day) !== null, rates: rates.ratesOn(day) };
    },
    advance: () => 0, // reference rates are never restated
  };
}

export function startEcbSandbox(options: EcbSandboxOptions & { port?: number } = {}): Promise<RunningSandbox> {
  return startSandbox(ecbPlatform(options), { port: options.port });
}

export const ecbSandboxService = sandboxService({
  key: 'ecb',
  baseUrlKeys: ['ecb'],
  defaultPort: 4103,
  start: (port) => startEcbSandbox({ port }),
});
