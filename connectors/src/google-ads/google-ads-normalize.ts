// Google Ads rows (REST JSON, as searchStream sends them with disable_parsing) → fact rows. Pure.
// Google Ads reports cost in micros: turned into units here, and nowhere else, by moving the decimal
// point in the string (never a float division). The day is segments.date, already in the account's time
// zone; currency is the account's. Every metric besides the five core ones, including ones this code has
// never heard of, goes to extraMetrics; a missing metric is null, never a failure.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { RawPage, RecordMeta } from '../contract';
import { FatalConnectorError } from '../contract';

type Json = Record<string, unknown>;

export interface SearchStreamBatch {
  results?: Json[];
}

const CORE_METRICS = new Set(['impressions', 'clicks', 'costMicros', 'conversions', 'conversionsValue']);

/** "312690000" micros → "312.69"; exact for any int64. */
export function microsToUnits(micros: string | number): string {
  const s = typeof micros === 'number' ? BigInt(Math.trunc(micros)).toString() : micros.trim();
  if (!/^-?\d+$/.test(s)) throw new FatalConnectorError(`cost micros is not an integer: ${s}`, 'google_ads');
  const negative = s.startsWith('-');
  const digits = (negative ? s.slice(1) : s).padStart(7, '0');
  const units = digits.slice(0, -6).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(-6).replace(/0+$/, '');
  return `${negative ? '-' : ''}${units}${fraction ? `.${fraction}` : ''}`;
}

/** int64 strings stay strings; doubles keep their shortest exact decimal form. */
function decimal(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function str(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value);
}

export function normalizeGoogleAdsPage(page: RawPage, meta: RecordMeta): FactRow[] {
  const body = page.body as SearchStreamBatch;
  if (!body || typeof body !== 'object' || (body.results !== undefined && !Array.isArray(body.results))) {
    throw new FatalConnectorError('Google Ads page is not a searchStream batch', 'google_ads');
  }
  const rows: FactRow[] = [];
  for (const r of body.results ?? []) {
    const campaign = (r.campaign ?? {}) as Json;
    const adGroup = (r.adGroup ?? {}) as Json;
    const ad = ((r.adGroupAd as Json | undefined)?.ad ?? {}) as Json;
    const segments = (r.segments ?? {}) as Json;
    const metrics = (r.metrics ?? {}) as Json;
    const date = segments.date;
    if (typeof date !== 'string') throw new FatalConnectorError('Google Ads row without segments.date', 'google_ads');
    // for…in over the parsed objects: no entry arrays per row (a page is up to 10,000 rows)
    const extraMetrics: Record<string, unknown> = {};
    let extras = false;
    for (const k in metrics) if (!CORE_METRICS.has(k)) ((extraMetrics[k] = metrics[k]), (extras = true));
    for (const k in campaign)
      if (k !== 'id' && k !== 'name' && k !== 'resourceName')
        ((extraMetrics[`campaign.${k}`] = campaign[k]), (extras = true));
    for (const k in segments) if (k !== 'date') ((extraMetrics[`segments.${k}`] = segments[k]), (extras = true));
    const row: FactRow = {
      dataType: meta.reportType,
      date,
      accountId: meta.account.id,
      accountName: meta.account.name,
      campaignId: str(campaign.id),
      campaignName: str(campaign.name),
      adGroupId: str(adGroup.id),
      adGroupName: str(adGroup.name),
      adId: str(ad.id),
      adName: str(ad.name),
      impressions: decimal(metrics.impressions),
      clicks: decimal(metrics.clicks),
      cost:
        metrics.costMicros === undefined || metrics.costMicros === null
          ? null
          : microsToUnits(metrics.costMicros as string),
      conversions: decimal(metrics.conversions),
      revenue: decimal(metrics.conversionsValue),
      currency: meta.account.currency,
    };
    if (extras) row.extraMetrics = extraMetrics;
    rows.push(row);
  }
  return rows;
}
