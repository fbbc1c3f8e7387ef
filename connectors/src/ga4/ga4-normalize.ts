// GA4 runReport pages → fact rows. Pure. GA4 sends every value as a string and dates as YYYYMMDD, in the
// property's time zone; revenue is in the property's currency (metadata.currencyCode). Key events are the
// conversions (GA4 renamed `conversions` to `keyEvents` in 2024: either name is read). Source, medium and
// channel group identify the row, so they are extra dimensions; sessions, users and any metric this code
// does not know go to extraMetrics; a metric missing from the page is null.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { RawPage, RecordMeta } from '../contract';
import { FatalConnectorError } from '../contract';
import { recordShape, type RecordBuilder } from '../runtime/record-shape';

export interface RunReportPage {
  dimensionHeaders?: { name?: string | null }[];
  metricHeaders?: { name?: string | null; type?: string | null }[];
  rows?: { dimensionValues?: { value?: string | null }[]; metricValues?: { value?: string | null }[] }[];
  rowCount?: number | null;
  metadata?: { currencyCode?: string | null; timeZone?: string | null } | null;
}

const KEY_DIMENSIONS = new Set(['date', 'sessionCampaignId', 'sessionCampaignName']);
const CONVERSION_METRICS = ['keyEvents', 'conversions'];

/** The page is GA4's report shape, or the window fails (a cut-off page arrives as text). */
export function assertRunReportPage(body: unknown): asserts body is RunReportPage {
  if (
    !body ||
    typeof body !== 'object' ||
    Array.isArray(body) ||
    !Array.isArray((body as RunReportPage).dimensionHeaders) ||
    !Array.isArray((body as RunReportPage).metricHeaders)
  ) {
    throw new FatalConnectorError(
      'GA4 returned a page that is not a runReport response',
      'ga4',
      'Google Analytics returned a malformed report page; the window will be extracted again on the next run.',
    );
  }
}

/** A row's value at a header position; null for a header the report does not have (-1) or a missing cell. */
function valueAt(cells: readonly { value?: string | null }[], i: number): string | null {
  return i < 0 ? null : (cells[i]?.value ?? null);
}

/** Where a page's columns are: the same for each of its rows. */
interface Ga4Layout {
  campaignIdAt: number;
  campaignNameAt: number;
  /** -1 when the report has no conversions metric (conversions are then unknown, not zero) */
  conversionsAt: number;
  revenueAt: number;
  extraDimensionIndexes: number[];
  extraMetricIndexes: number[];
  /** the page's extras, built by object literals compiled for its names (see runtime/record-shape.ts); null: none */
  extraDimensions: RecordBuilder | null;
  extraMetrics: RecordBuilder | null;
}

/** One row of a page as a fact. */
function ga4Row(
  layout: Ga4Layout,
  dv: readonly { value?: string | null }[],
  mv: readonly { value?: string | null }[],
  date: string,
  meta: RecordMeta,
  currency: string,
): FactRow {
  const fact: FactRow = {
    dataType: meta.reportType,
    date,
    accountId: meta.account.id,
    accountName: meta.account.name,
    campaignId: valueAt(dv, layout.campaignIdAt),
    campaignName: valueAt(dv, layout.campaignNameAt),
    conversions: valueAt(mv, layout.conversionsAt),
    revenue: valueAt(mv, layout.revenueAt),
    currency,
  };
  if (layout.extraDimensions)
    fact.extraDimensions = layout.extraDimensions(valuesAt(dv, layout.extraDimensionIndexes)) as Record<
      string,
      string | null
    >;
  if (layout.extraMetrics) fact.extraMetrics = layout.extraMetrics(valuesAt(mv, layout.extraMetricIndexes));
  return fact;
}

function valuesAt(cells: readonly { value?: string | null }[], indexes: readonly number[]): (string | null)[] {
  const values = new Array<string | null>(indexes.length);
  for (let e = 0; e < indexes.length; e++) values[e] = valueAt(cells, indexes[e]!);
  return values;
}

export function normalizeGa4Page(page: RawPage, meta: RecordMeta): FactRow[] {
  const body = page.body;
  assertRunReportPage(body);
  const dims = body.dimensionHeaders!.map((h) => h.name ?? '');
  const metrics = body.metricHeaders!.map((h) => h.name ?? '');
  const dateAt = dims.indexOf('date');
  if (dateAt < 0) throw new FatalConnectorError('GA4 report without a date dimension', 'ga4');
  const currency = body.metadata?.currencyCode ?? meta.account.currency;
  // Column positions are the same for every row of a page: resolve them once, not per row.
  const campaignIdAt = dims.indexOf('sessionCampaignId');
  const campaignNameAt = dims.indexOf('sessionCampaignName');
  // the extras' names and positions as parallel arrays, for the record builders
  const extraDimensionNames: string[] = [];
  const extraDimensionIndexes: number[] = [];
  dims.forEach((name, i) => {
    if (!KEY_DIMENSIONS.has(name)) (extraDimensionNames.push(name), extraDimensionIndexes.push(i));
  });
  const conversionName = CONVERSION_METRICS.find((n) => metrics.includes(n));
  const conversionsAt = conversionName ? metrics.indexOf(conversionName) : -1;
  const revenueAt = metrics.indexOf('purchaseRevenue');
  const extraMetricNames: string[] = [];
  const extraMetricIndexes: number[] = [];
  metrics.forEach((name, i) => {
    if (name !== conversionName && name !== 'purchaseRevenue')
      (extraMetricNames.push(name), extraMetricIndexes.push(i));
  });

  const layout: Ga4Layout = {
    campaignIdAt,
    campaignNameAt,
    conversionsAt,
    revenueAt,
    extraDimensionIndexes,
    extraMetricIndexes,
    extraDimensions: extraDimensionNames.length ? recordShape(extraDimensionNames) : null,
    extraMetrics: extraMetricNames.length ? recordShape(extraMetricNames) : null,
  };
  const rows = body.rows ?? [];
  const out: FactRow[] = new Array(rows.length);
  // rows come day by day: the date is checked and reformatted once a day
  let lastRaw: string | null = null; // null: no row yet, so the first row's date (even '') is checked
  let lastDate = '';
  for (let r = 0; r < rows.length; r++) {
    const dv = rows[r]!.dimensionValues ?? [];
    const mv = rows[r]!.metricValues ?? [];
    const raw = dv[dateAt]?.value ?? '';
    if (raw !== lastRaw) {
      if (raw.length !== 8 || !/^\d{8}$/.test(raw))
        throw new FatalConnectorError(`GA4 date ${raw} is not YYYYMMDD`, 'ga4');
      lastRaw = raw;
      lastDate = `${raw.slice(0, 4)}-${raw.slice(4, 6)}-${raw.slice(6, 8)}`;
    }
    out[r] = ga4Row(layout, dv, mv, lastDate, meta, currency);
  }
  return out;
}
