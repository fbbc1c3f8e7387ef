// Loads the European Central Bank's euro reference rates into fx_rates, so the data API can convert a
// project's spend and revenue into its reporting currency with the day's rate.
//
// The ECB publishes EUR-based rates on TARGET2 working days only. Ad platforms report every calendar day, so
// a weekend's or holiday's row needs a rate too: those days get the last published rate, marked
// source = 'ecb-carried' (the convention of accounting systems: the latest rate known on that day). A later
// real publication for a day replaces a carried one. Rows are upserted, so a run is idempotent, and the
// 90-day file is always fetched: it also picks up the rare ECB correction of a recent day.
import { XMLParser } from 'fast-xml-parser';
import { sql } from 'kysely';
import type { Database } from '@tributary/shared/db/database';

export const ECB_SOURCE = 'ecb';
export const ECB_CARRIED_SOURCE = 'ecb-carried';

/** The ECB's paths under its base URL (https://www.ecb.europa.eu in AWS, the ECB sandbox locally). */
const FILES = {
  daily: '/stats/eurofxref/eurofxref-daily.xml',
  last90Days: '/stats/eurofxref/eurofxref-hist-90d.xml',
  full: '/stats/eurofxref/eurofxref-hist.xml',
} as const;

export class FxSourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface FxPublication {
  date: string;
  /** currency -> units per 1 EUR, as published (decimal text, exact) */
  rates: Record<string, string>;
}

/** Parses an ECB eurofxref envelope; refuses anything that is not one, rather than loading nonsense. */
export function parseEcbEnvelope(xml: string): FxPublication[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    removeNSPrefix: true,
    parseAttributeValue: false,
    isArray: (name) => name === 'Cube',
  });
  let doc: any;
  try {
    doc = parser.parse(xml, true);
  } catch (err) {
    throw new FxSourceError(`the ECB answered with malformed XML: ${(err as Error).message}`, { cause: err });
  }
  const outer = doc?.Envelope?.Cube?.[0]?.Cube;
  if (!Array.isArray(outer)) throw new FxSourceError('the ECB answer is not a eurofxref envelope (no Cube of days)');
  return outer.map((day: any): FxPublication => {
    const date = String(day?.time ?? '');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new FxSourceError(`the ECB answer has a day without a valid time: "${date}"`);
    const rates: Record<string, string> = {};
    for (const c of day.Cube ?? []) {
      const currency = String(c?.currency ?? '');
      const rate = String(c?.rate ?? '');
      if (!/^[A-Z]{3}$/.test(currency) || !/^\d+(\.\d+)?$/.test(rate) || Number(rate) <= 0)
        throw new FxSourceError(`the ECB answer has a malformed rate on ${date}: ${currency}=${rate}`);
      rates[currency] = rate;
    }
    return { date, rates };
  });
}

export interface FxRefreshOptions {
  /** the ECB's base URL */
  baseUrl: string;
  /** the last calendar day to carry rates forward to (usually today, UTC) */
  through: string;
  /** 'full' backfills every publication since 1999 (first run of a new deployment); default the last 90 days */
  history?: 'last90Days' | 'full';
  signal?: AbortSignal;
  /** attempts on a 5xx or a network failure, the first included */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface FxRefreshResult {
  /** publication days read from the ECB */
  publications: number;
  /** (day, currency) rows written or changed, published and carried */
  rowsWritten: number;
  /** calendar days that got a carried rate */
  carriedDays: number;
  lastPublished: string;
}

async function fetchEcb(url: string, options: FxRefreshOptions): Promise<string> {
  const attempts = options.attempts ?? 4;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const signal = options.signal
        ? AbortSignal.any([options.signal, AbortSignal.timeout(30_000)])
        : AbortSignal.timeout(30_000);
      const res = await fetch(url, { signal, headers: { accept: 'application/xml, text/xml' } });
      if (res.ok) return await res.text();
      lastError = new FxSourceError(`the ECB answered ${res.status} for ${url}`);
      if (res.status < 500 && res.status !== 429) throw lastError; // a 404 will not fix itself
    } catch (err) {
      if (options.signal?.aborted) throw err;
      if (err instanceof FxSourceError && !/answered (5\d\d|429)/.test(err.message)) throw err;
      lastError = err;
    }
    if (attempt < attempts) await sleep(Math.min(30_000, 1_000 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
  }
  throw new FxSourceError(
    `the ECB could not be reached after ${attempts} attempts: ${(lastError as Error)?.message ?? lastError}`,
    { cause: lastError },
  );
}

/** Fetches the ECB rates and upserts them, carrying the last publication over days without one. */
export async function refreshFxRates(db: Database, options: FxRefreshOptions): Promise<FxRefreshResult> {
  const url = new URL(FILES[options.history ?? 'last90Days'], options.baseUrl).toString();
  const publications = parseEcbEnvelope(await fetchEcb(url, options)).sort((a, b) => a.date.localeCompare(b.date));
  if (publications.length === 0) throw new FxSourceError('the ECB answered with no publication at all');

  // every calendar day from the first publication through `through`: published, or carried from the last one
  const rows: { date: string; currency: string; rate: string; source: string }[] = [];
  const byDate = new Map(publications.map((p) => [p.date, p.rates]));
  let carried = 0;
  let current = publications[0]!.rates;
  const last = publications[publications.length - 1]!.date;
  const end = options.through > last ? options.through : last;
  for (let day = publications[0]!.date; day <= end; day = nextDay(day)) {
    const published = byDate.get(day);
    if (published) current = published;
    else carried++;
    for (const [currency, rate] of Object.entries(current))
      rows.push({ date: day, currency, rate, source: published ? ECB_SOURCE : ECB_CARRIED_SOURCE });
  }

  let written = 0;
  await db.transaction({ role: 'loader' }, async (trx) => {
    for (let i = 0; i < rows.length; i += 2_000) {
      const chunk = rows.slice(i, i + 2_000);
      // one statement per chunk; a published rate replaces a carried one, an unchanged row is not rewritten
      const res = await sql<{ n: number }>`
        WITH input AS (
          SELECT * FROM unnest(${chunk.map((r) => r.date)}::date[], ${chunk.map((r) => r.currency)}::text[],
                               ${chunk.map((r) => r.rate)}::numeric[], ${chunk.map((r) => r.source)}::text[])
            AS t(rate_date, quote_currency, rate, source)
        ), upserted AS (
          INSERT INTO fx_rates (rate_date, base_currency, quote_currency, rate, source, fetched_at)
          SELECT rate_date, 'EUR', quote_currency, rate, source, now() FROM input
          ON CONFLICT (rate_date, base_currency, quote_currency) DO UPDATE
            SET rate = excluded.rate, source = excluded.source, fetched_at = excluded.fetched_at
            WHERE (fx_rates.rate, fx_rates.source) IS DISTINCT FROM (excluded.rate, excluded.source)
              AND fx_rates.source IN (${ECB_SOURCE}, ${ECB_CARRIED_SOURCE})
          RETURNING 1
        )
        SELECT count(*)::int AS n FROM upserted`.execute(trx);
      written += res.rows[0]?.n ?? 0;
    }
  });
  return { publications: publications.length, rowsWritten: written, carriedDays: carried, lastPublished: last };
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
