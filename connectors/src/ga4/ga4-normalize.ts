// GA4 runReport pages → fact rows. Pure. GA4 sends every value as a string and dates as YYYYMMDD, in the
// property's time zone; revenue is in the property's currency (metadata.currencyCode). Key events are the
// conversions (GA4 renamed `conversions` to `keyEvents` in 2024: either name is read). Source, medium and
// channel group identify the row, so they are extra dimensions; sessions, users and any metric this code
// does not know go to extraMetrics; a metric missing from the page is null.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { RawPage, RecordMeta } from '../contract';
import { FatalConnectorError } from '../contract';

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
  if (!body || typeof body !== 'object' || Array.isArray(body) || !Array.isArray((body as RunReportPage).dimensionHeaders) || !Array.isArray((body as RunReportPage).metricHeaders)) {
    throw new FatalConnectorError('GA4 returned a page that is not a runReport response', 'ga4', 'Google Analytics returned a malformed report page; the window will be extracted again on the next run.');
  }
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
  const extraDimensionsAt = dims.flatMap((name, i) => (KEY_DIMENSIONS.has(name) ? [] : [[name, i] as const]));
  const conversionName = CONVERSION_METRICS.find((n) => metrics.includes(n));
  const conversionsAt = conversionName ? metrics.indexOf(conversionName) : -1;
  const revenueAt = metrics.indexOf('purchaseRevenue');
  const extraMetricsAt = metrics.flatMap((name, i) => (name === conversionName || name === 'purchaseRevenue' ? [] : [[name, i] as const]));

  const rows = body.rows ?? [];
  const out: FactRow[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const dv = rows[r]!.dimensionValues ?? [];
    const mv = rows[r]!.metricValues ?? [];
    const dimension = (i: number) => (i < 0 ? null : (dv[i]?.value ?? null));
    const metric = (i: number) => (i < 0 ? null : (mv[i]?.value ?? null));
    const raw = dimension(dateAt) ?? '';
    if (raw.length !== 8 || !/^\d{8}$/.test(raw)) throw new FatalConnectorError(`GA4 date ${raw} is not YYYYMMDD`, 'ga4');
    const extraDimensions: Record<string, string | null> = {};
    for (const [name, i] of extraDimensionsAt) extraDimensions[name] = dimension(i);
    const extraMetrics: Record<string, unknown> = {};
    for (const [name, i] of extraMetricsAt) extraMetrics[name] = metric(i);
    const fact: FactRow = {
      dataType: meta.reportType,
      date: `${raw.slice(0, 4)}-${raw.slice(4, 6)}-${raw.slice(6, 8)}`,
      accountId: meta.account.id,
      accountName: meta.account.name,
      campaignId: dimension(campaignIdAt),
      campaignName: dimension(campaignNameAt),
      conversions: conversionName ? metric(conversionsAt) : null,
      revenue: metric(revenueAt),
      currency,
    };
    if (extraDimensionsAt.length) fact.extraDimensions = extraDimensions;
    if (extraMetricsAt.length) fact.extraMetrics = extraMetrics;
    out[r] = fact;
  }
  return out;
}
