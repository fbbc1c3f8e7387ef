// Metricool pages → fact rows. Pure: no I/O, no clock.
//
// A page is what extract archives: the request's network (and campaign) beside Metricool's answers as sent.
//   account_timeline_daily  one row per day and network; `impressions` holds the network's impressions, or its
//                           views where it reports views (Instagram, TikTok, YouTube, Threads): the same "times
//                           content was shown"; followers (YouTube's subscribers), reach and engagement are extras.
//   posts_daily             one row per post, dated by its publication day in the brand's time zone (TikTok
//                           sends UTC: converted); lifetime metrics as served now, so a re-extracted post replaces
//                           its numbers; impressions/views as above, every other number in the extras.
//   ad_campaigns_daily      one row per day and campaign of Facebook Ads, Google Ads or TikTok Ads, with the core
//                           ad metrics (spent → cost, conversionValue → revenue) in the campaign's currency.
//                           Facebook Ads and Google Ads are the same spend the native Meta Ads and Google Ads
//                           connectors load: those rows carry `native_platform` (meta_ads / google_ads) so totals
//                           across platforms leave them out where the project has that native source. Instagram's
//                           timelines and posts likewise carry native_platform = instagram (the Instagram connector).
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { FatalConnectorError, type RawPage, type RecordMeta } from '../contract';
import { RecordShapes } from '../runtime/record-shape';
import { dayIn, localToEpoch } from './zone-time';

export type McNetwork =
  'instagram' | 'facebook' | 'tiktok' | 'linkedin' | 'youtube' | 'pinterest' | 'threads' | 'bluesky';
export type McAdNetwork = 'facebookads' | 'googleads' | 'tiktokads';

/** The ad networks whose spend a native connector also loads: counted once, through the native source. */
export const NATIVE_PLATFORM: Record<McAdNetwork, 'meta_ads' | 'google_ads' | null> = {
  facebookads: 'meta_ads',
  googleads: 'google_ads',
  tiktokads: null,
};
/** The same for organic networks: Metricool's Instagram account and posts are what the Instagram connector loads. */
export const NATIVE_SOCIAL_PLATFORM: Partial<Record<McNetwork, 'instagram'>> = { instagram: 'instagram' };

/** Which field of a post carries its id, per network (Metricool's answers differ). */
export const POST_ID_FIELDS: Record<McNetwork, string> = {
  instagram: 'postId',
  facebook: 'postId',
  tiktok: 'videoId',
  linkedin: 'postId',
  youtube: 'videoId',
  pinterest: 'pinId',
  threads: 'postId',
  bluesky: 'uri',
};

export interface McTimeline {
  metric: string;
  values: { dateTime: string; value: number | null }[];
}
export interface McResponse<T> {
  data: T[];
}
export interface McPostItem {
  type?: string;
  publishedAt?: { dateTime?: string; timezone?: string };
  [field: string]: unknown;
}
export interface McCampaignItem {
  id: number;
  providerCampaignId: string | number;
  name?: string;
  currency?: string | null;
  [field: string]: unknown;
}

export type MetricoolPage =
  | { kind: 'account_timeline'; network: McNetwork; responses: Record<string, McResponse<McTimeline>> }
  | {
      kind: 'posts';
      network: McNetwork;
      /** posts, or Instagram's and Facebook's reels or stories */ collection?: string;
      response: McResponse<McPostItem>;
    }
  | { kind: 'ad_campaign'; network: McAdNetwork; campaign: McCampaignItem; response: McResponse<McTimeline> };

const unreadable = (why: string) =>
  new FatalConnectorError(
    `Metricool page unreadable: ${why}`,
    'metricool',
    `Metricool returned data Tributary cannot read (${why}); the window will be extracted again on the next run.`,
  );

/** Metricool's metric names as our extras name them: YouTube's subscribers are followers too. */
const TIMELINE_COLUMN: Record<string, string> = {
  subscribers: 'followers',
  views: 'impressions',
  impressions: 'impressions',
};
/** post fields that describe the post rather than count something */
const POST_TEXT_FIELDS = new Set(['type', 'publishedAt', 'url', 'text', 'content', 'picture', 'thumbnail', 'title']);
const AD_CORE: Record<string, 'cost' | 'impressions' | 'clicks' | 'conversions' | 'revenue'> = {
  spent: 'cost',
  impressions: 'impressions',
  clicks: 'clicks',
  conversions: 'conversions',
  conversionValue: 'revenue',
};

export function normalizeMetricoolPage(page: RawPage, meta: RecordMeta): FactRow[] {
  const body = page.body as MetricoolPage | null;
  if (!body || typeof body !== 'object') throw unreadable('not an object');
  if (body.kind === 'account_timeline') return timelineRows(body, meta);
  if (body.kind === 'posts') return postRows(body, meta);
  if (body.kind === 'ad_campaign') return campaignRows(body, meta);
  throw unreadable('unknown page kind');
}

function dataOf<T>(response: McResponse<T> | undefined): T[] {
  const data = response?.data;
  if (!Array.isArray(data)) throw unreadable('an answer without a data array');
  return data;
}

/** A count or amount as an exact decimal string: JSON numbers print back as the shortest decimal they were sent as. */
function decimal(v: unknown): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v;
  return null;
}

function dayOf(dateTime: unknown): string {
  if (
    typeof dateTime !== 'string' ||
    dateTime.length < 10 ||
    dateTime.charCodeAt(4) !== 45 ||
    dateTime.charCodeAt(7) !== 45
  )
    throw unreadable(`a date-time ${String(dateTime)}`);
  return dateTime.slice(0, 10);
}

function timelineRows(page: Extract<MetricoolPage, { kind: 'account_timeline' }>, meta: RecordMeta): FactRow[] {
  // one column per metric of the page, in the order the page has them
  const columns: string[] = [];
  const byDay = new Map<string, (string | null | undefined)[]>();
  for (const [requested, response] of Object.entries(page.responses ?? {})) {
    for (const series of dataOf(response)) {
      const column = TIMELINE_COLUMN[series.metric ?? requested] ?? series.metric ?? requested;
      let at = columns.indexOf(column);
      if (at < 0) at = columns.push(column) - 1;
      if (!Array.isArray(series.values)) throw unreadable(`timeline ${column} without values`);
      for (const v of series.values) {
        const value = decimal(v.value);
        if (value === null) continue;
        const day = dayOf(v.dateTime);
        let row = byDay.get(day);
        if (!row) byDay.set(day, (row = []));
        row[at] = value;
      }
    }
  }
  const impressionsAt = columns.indexOf('impressions');
  const shapes = new RecordShapes();
  const dimensions = { network: page.network, native_platform: NATIVE_SOCIAL_PLATFORM[page.network] ?? null };
  const days = [...byDay.keys()].sort();
  return days.map((date) => {
    const values = byDay.get(date)!;
    const extras: (string | null | undefined)[] = [];
    const keys: string[] = [];
    for (let i = 0; i < columns.length; i++) {
      if (i === impressionsAt || values[i] === undefined) continue;
      keys.push(columns[i]!);
      extras.push(values[i]);
    }
    return {
      dataType: meta.reportType,
      date,
      accountId: meta.account.id,
      accountName: meta.account.name,
      extraDimensions: dimensions,
      impressions: impressionsAt < 0 ? null : (values[impressionsAt] ?? null),
      extraMetrics: shapes.builderFor(keys)(extras),
    };
  });
}

/** Where a page's post fields are: the same for every post of a network, so resolved once a page. */
interface PostLayout {
  keys: readonly string[];
  /** numeric fields other than views/impressions, in the order the posts have them */
  extraFields: string[];
  /** the impressions column's field: views where the network counts views, else impressions */
  impressionsField: string | null;
  /** the extras' record builder (impressions is an extra where views took the column) */
  build: (values: readonly unknown[]) => Record<string, unknown>;
}

function postLayout(item: McPostItem, idField: string, shapes: RecordShapes): PostLayout {
  const keys = Object.keys(item);
  // every other field is a metric candidate: a value that is not a number is simply absent from that post
  const numeric = keys.filter((k) => k !== idField && !POST_TEXT_FIELDS.has(k));
  const impressionsField = numeric.includes('views') ? 'views' : numeric.includes('impressions') ? 'impressions' : null;
  const extraFields = numeric.filter((k) => k !== impressionsField);
  return { keys, extraFields, impressionsField, build: shapes.builderFor(extraFields) };
}

function sameKeys(item: McPostItem, keys: readonly string[]): boolean {
  let n = 0;
  for (const k in item) if (keys[n++] !== k) return false;
  return n === keys.length;
}

function postRows(page: Extract<MetricoolPage, { kind: 'posts' }>, meta: RecordMeta): FactRow[] {
  const items = dataOf(page.response);
  const idField = POST_ID_FIELDS[page.network];
  if (!idField) throw unreadable(`posts of an unknown network ${String(page.network)}`);
  const zone = meta.account.timeZone;
  const shapes = new RecordShapes();
  const nativePlatform = NATIVE_SOCIAL_PLATFORM[page.network] ?? null;
  const out: FactRow[] = new Array(items.length);
  let layout: PostLayout | null = null;
  for (let p = 0; p < items.length; p++) {
    const item = items[p]!;
    if (!layout || !sameKeys(item, layout.keys)) layout = postLayout(item, idField, shapes);
    const id = item[idField];
    if (typeof id !== 'string' && typeof id !== 'number') throw unreadable(`a ${page.network} post without ${idField}`);
    const published = item.publishedAt;
    const local = published?.dateTime;
    // the brand's zone: the day is the date part; another zone (TikTok's UTC): converted
    const date =
      !published?.timezone || published.timezone === zone
        ? dayOf(local)
        : dayIn(zone, localToEpoch(published.timezone, `${dayOf(local)}${local!.slice(10, 19)}`));
    const fields = layout.extraFields;
    const values = new Array<string | null | undefined>(fields.length);
    for (let f = 0; f < fields.length; f++) values[f] = decimal(item[fields[f]!]) ?? undefined;
    out[p] = {
      dataType: meta.reportType,
      date,
      accountId: meta.account.id,
      accountName: meta.account.name,
      extraDimensions: {
        network: page.network,
        native_platform: nativePlatform,
        post_id: String(id),
        post_type: typeof item.type === 'string' ? item.type : null,
      },
      impressions: layout.impressionsField ? decimal(item[layout.impressionsField]) : null,
      extraMetrics: layout.build(values),
    };
  }
  return out;
}

function campaignRows(page: Extract<MetricoolPage, { kind: 'ad_campaign' }>, meta: RecordMeta): FactRow[] {
  const campaign = page.campaign;
  if (!campaign || (typeof campaign.providerCampaignId !== 'string' && typeof campaign.providerCampaignId !== 'number'))
    throw unreadable('a campaign without providerCampaignId');
  if (!(page.network in NATIVE_PLATFORM))
    throw unreadable(`campaigns of an unknown ad network ${String(page.network)}`);
  const currency =
    typeof campaign.currency === 'string' && /^[A-Z]{3}$/.test(campaign.currency)
      ? campaign.currency
      : meta.account.currency;
  const byDay = new Map<string, FactRow>();
  const extraNames: string[] = [];
  const extraByDay = new Map<string, (string | null)[]>();
  for (const series of dataOf(page.response)) {
    if (!Array.isArray(series.values)) throw unreadable(`campaign timeline ${series.metric} without values`);
    const core = AD_CORE[series.metric];
    let extraAt = -1;
    if (!core)
      extraAt =
        extraNames.indexOf(series.metric) >= 0 ? extraNames.indexOf(series.metric) : extraNames.push(series.metric) - 1;
    for (const v of series.values) {
      const value = decimal(v.value);
      if (value === null) continue;
      const date = dayOf(v.dateTime);
      let row = byDay.get(date);
      if (!row) {
        row = {
          dataType: meta.reportType,
          date,
          accountId: meta.account.id,
          accountName: meta.account.name,
          campaignId: String(campaign.providerCampaignId),
          campaignName: campaign.name ?? null,
          extraDimensions: { network: page.network, native_platform: NATIVE_PLATFORM[page.network] },
          impressions: null,
          clicks: null,
          cost: null,
          conversions: null,
          revenue: null,
          currency,
        };
        byDay.set(date, row);
      }
      if (core) row[core] = value;
      else {
        let extras = extraByDay.get(date);
        if (!extras) extraByDay.set(date, (extras = []));
        extras[extraAt] = value;
      }
    }
  }
  const shapes = new RecordShapes();
  return [...byDay.keys()].sort().map((date) => {
    const row = byDay.get(date)!;
    const extras = extraByDay.get(date);
    if (extras) {
      const keys: string[] = [];
      const values: (string | null)[] = [];
      for (let i = 0; i < extraNames.length; i++)
        if (extras[i] !== undefined) (keys.push(extraNames[i]!), values.push(extras[i]!));
      row.extraMetrics = shapes.builderFor(keys)(values);
    }
    return row;
  });
}
