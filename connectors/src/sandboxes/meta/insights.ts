// Ads Insights rows as the Graph API serves them (metrics as strings, actions as arrays), and the exact
// totals behind them for the truth endpoint. Rows are built from ad-level days summed up to the level asked,
// so campaign, ad set and ad reports of one version always agree.
import { addDays, adDay, daysBetween, reportedAdDay, type AdDay, type SandboxAdAccount } from './seed-data';

export const INSIGHTS_LEVELS = ['account', 'campaign', 'adset', 'ad'] as const;
export type InsightsLevel = (typeof INSIGHTS_LEVELS)[number];

/** The insights fields the sandbox knows; asking for another one is Meta's error 100. */
export const KNOWN_INSIGHTS_FIELDS = new Set([
  'account_id',
  'account_name',
  'account_currency',
  'campaign_id',
  'campaign_name',
  'adset_id',
  'adset_name',
  'ad_id',
  'ad_name',
  'objective',
  'spend',
  'impressions',
  'reach',
  'frequency',
  'clicks',
  'inline_link_clicks',
  'cpm',
  'cpc',
  'ctr',
  'actions',
  'action_values',
  'date_start',
  'date_stop',
]);

export interface InsightsQuery {
  level: InsightsLevel;
  since: string;
  until: string;
  fields: readonly string[];
}

export interface FieldChanges {
  /** served under a new name: { inline_link_clicks: 'link_clicks' } */
  renamed: Record<string, string>;
  /** dropped from every row even when asked for */
  removed: readonly string[];
  /** a metric the connector has never heard of, added to every row */
  added: Record<string, string>;
}

export interface Aggregate extends AdDay {
  key: string;
  date: string;
  campaignId: string | null;
  campaignName: string | null;
  adsetId: string | null;
  adsetName: string | null;
  adId: string | null;
  adName: string | null;
  objective: string | null;
}

/** Days of delivery at one level, in date then id order (the order pages are cut in). */
export function aggregate(
  account: SandboxAdAccount,
  level: InsightsLevel,
  since: string,
  until: string,
  today: string,
  version: number,
): Aggregate[] {
  const out: Aggregate[] = [];
  const last = until < today ? until : today;
  for (let day = since; day <= last; day = addDays(day, 1)) {
    const lag = daysBetween(day, today);
    const byKey = new Map<string, Aggregate>();
    for (const c of account.campaigns) {
      for (const s of c.adsets) {
        for (const ad of s.ads) {
          const full = adDay(c, s, ad, day);
          if (!full) continue;
          const d = reportedAdDay(full, lag, version);
          const key = level === 'account' ? account.id : level === 'campaign' ? c.id : level === 'adset' ? s.id : ad.id;
          let agg = byKey.get(key);
          if (!agg) {
            agg = {
              key,
              date: day,
              campaignId: level === 'account' ? null : c.id,
              campaignName: level === 'account' ? null : c.name,
              adsetId: level === 'adset' || level === 'ad' ? s.id : null,
              adsetName: level === 'adset' || level === 'ad' ? s.name : null,
              adId: level === 'ad' ? ad.id : null,
              adName: level === 'ad' ? ad.name : null,
              objective: level === 'account' ? null : c.objective,
              spendMinor: 0,
              impressions: 0,
              reach: 0,
              clicks: 0,
              linkClicks: 0,
              landingPageViews: 0,
              addToCart: 0,
              purchases: 0,
              purchaseValueMinor: 0,
              videoViews: 0,
            };
            byKey.set(key, agg);
          }
          agg.spendMinor += d.spendMinor;
          agg.impressions += d.impressions;
          // reach is not additive on the real platform; the sandbox sums it, which is enough to carry a number
          agg.reach += d.reach;
          agg.clicks += d.clicks;
          agg.linkClicks += d.linkClicks;
          agg.landingPageViews += d.landingPageViews;
          agg.addToCart += d.addToCart;
          agg.purchases += d.purchases;
          agg.purchaseValueMinor += d.purchaseValueMinor;
          agg.videoViews += d.videoViews;
        }
      }
    }
    out.push(...[...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  return out;
}

export function formatMinor(minor: number, digits: number): string {
  if (digits === 0) return String(minor);
  const scale = 10 ** digits;
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / scale)}.${String(abs % scale).padStart(digits, '0')}`;
}

const ratio = (n: number, d: number, digits = 6) =>
  d === 0 ? '0' : (n / d).toFixed(digits).replace(/\.?0+$/, '') || '0';

/** One insights row with exactly the fields asked for, metrics as strings, as Graph API v2x serves them. */
export function toInsightsRow(
  account: SandboxAdAccount,
  a: Aggregate,
  fields: readonly string[],
  changes: FieldChanges,
): Record<string, unknown> {
  const spend = a.spendMinor / 10 ** account.currencyDigits;
  const all: Record<string, () => unknown> = {
    account_id: () => account.id,
    account_name: () => account.name,
    account_currency: () => account.currency,
    campaign_id: () => a.campaignId ?? undefined,
    campaign_name: () => a.campaignName ?? undefined,
    adset_id: () => a.adsetId ?? undefined,
    adset_name: () => a.adsetName ?? undefined,
    ad_id: () => a.adId ?? undefined,
    ad_name: () => a.adName ?? undefined,
    objective: () => a.objective ?? undefined,
    spend: () => formatMinor(a.spendMinor, account.currencyDigits),
    impressions: () => String(a.impressions),
    reach: () => String(a.reach),
    frequency: () => ratio(a.impressions, a.reach),
    clicks: () => String(a.clicks),
    inline_link_clicks: () => String(a.linkClicks),
    cpm: () => ratio(spend * 1000, a.impressions),
    cpc: () => ratio(spend, a.clicks),
    ctr: () => ratio(a.clicks * 100, a.impressions),
    actions: () => {
      const list = [
        ['link_click', a.linkClicks],
        ['landing_page_view', a.landingPageViews],
        ['video_view', a.videoViews],
        ['add_to_cart', a.addToCart],
        ['offsite_conversion.fb_pixel_add_to_cart', a.addToCart],
        ['purchase', a.purchases],
        ['offsite_conversion.fb_pixel_purchase', a.purchases],
        ['omni_purchase', a.purchases],
      ] as const;
      const present = list.filter(([, v]) => v > 0).map(([action_type, v]) => ({ action_type, value: String(v) }));
      return present.length ? present : undefined;
    },
    action_values: () => {
      if (a.purchaseValueMinor === 0) return undefined;
      const value = formatMinor(a.purchaseValueMinor, account.currencyDigits);
      return ['purchase', 'offsite_conversion.fb_pixel_purchase', 'omni_purchase'].map((action_type) => ({
        action_type,
        value,
      }));
    },
  };
  const row: Record<string, unknown> = {};
  for (const f of fields) {
    if (changes.removed.includes(f)) continue;
    const v = all[f]?.();
    if (v !== undefined) row[changes.renamed[f] ?? f] = v;
  }
  Object.assign(row, changes.added);
  row.date_start = a.date;
  row.date_stop = a.date;
  return row;
}

export interface TruthRow {
  date: string;
  campaign_id: string | null;
  impressions: number;
  clicks: number;
  /** decimal string in the account currency */
  spend: string;
  /** purchases (the default conversion action) */
  conversions: number;
  revenue: string;
}
