// Klaviyo report pages → fact rows. Pure: no I/O, no clock.
//
// A page is what the connector archives: the report's JSON:API answer exactly as Klaviyo sent it, under
// `response`, beside the request facts the answer itself does not repeat (`day`: the send day a campaign
// values report was asked for; the conversion metric). Klaviyo reports by send date in the account's time
// zone: a campaign's row is its send day, a flow message's rows are the days of its series (`date_times`,
// local midnight with the zone's offset). One row per day, campaign (or flow), message and send channel;
// a flow day on which a message sent nothing (every statistic 0) is left out.
// Core columns: clicks, conversions and conversion value (revenue, the account's currency). Klaviyo sends
// numbers; they are written back in their shortest exact form ("2841.5"), never summed as floats here.
// Every other statistic (recipients, delivered, opens, unsubscribes, …, unknown new ones too) goes to extras.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { FatalConnectorError, type RawPage, type RecordMeta } from '../contract';
import { recordShape, type RecordBuilder } from '../runtime/record-shape';

/** What the connector archives for one report request. */
export interface KlaviyoPage {
  report: 'campaign_daily' | 'flow_daily';
  /** campaign values: the one send day the report covers */
  day?: string;
  conversion_metric_id: string;
  response: {
    data?: {
      attributes?: {
        results?: { groupings?: Record<string, string>; statistics?: Record<string, number | number[]> }[];
        date_times?: string[];
      };
    };
  };
}

const CORE = new Set(['clicks', 'conversions', 'conversion_value']);
const IDS = {
  campaign_daily: {
    campaign: 'campaign_id',
    message: 'campaign_message_id',
    campaignName: 'campaign_message_name',
    messageName: 'campaign_message_name',
  },
  flow_daily: {
    campaign: 'flow_id',
    message: 'flow_message_id',
    campaignName: 'flow_name',
    messageName: 'flow_message_name',
  },
} as const;

function malformed(detail: string): FatalConnectorError {
  return new FatalConnectorError(
    `Klaviyo report page ${detail}`,
    'klaviyo',
    'Klaviyo returned a report page Tributary cannot read; the window will be extracted again on the next run.',
  );
}

/** A JSON number as an exact decimal string: its shortest form is what Klaviyo wrote. */
function decimal(v: unknown): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  return String(v);
}

export function normalizeKlaviyoPage(page: RawPage, meta: RecordMeta): FactRow[] {
  const body = page.body as KlaviyoPage | null;
  if (!body || typeof body !== 'object' || (body.report !== 'campaign_daily' && body.report !== 'flow_daily'))
    throw malformed('is not a report page');
  const attributes = body.response?.data?.attributes;
  const results = attributes?.results;
  if (!Array.isArray(results)) throw malformed('has no results');
  const ids = IDS[body.report];
  if (results.length === 0) return [];
  // every result of a page carries the same statistics: the layout is worked out once
  const statNames = Object.keys(results[0]!.statistics ?? {});
  const extraNames = statNames.filter((s) => !CORE.has(s));
  const extras: RecordBuilder = recordShape(extraNames);
  const currency = meta.account.currency;
  const out: FactRow[] = [];

  const row = (date: string, g: Record<string, string>, values: (name: string) => unknown): FactRow => {
    const extraValues = new Array<unknown>(extraNames.length);
    for (let i = 0; i < extraNames.length; i++) extraValues[i] = values(extraNames[i]!);
    return {
      dataType: meta.reportType,
      date,
      accountId: meta.account.id,
      accountName: meta.account.name,
      campaignId: g[ids.campaign] ?? null,
      campaignName: g[ids.campaignName] ?? null,
      adId: g[ids.message] ?? null,
      adName: g[ids.messageName] ?? null,
      extraDimensions: { send_channel: g.send_channel ?? null },
      clicks: decimal(values('clicks')),
      conversions: decimal(values('conversions')),
      revenue: decimal(values('conversion_value')),
      currency,
      extraMetrics: extras(extraValues),
    };
  };

  if (body.report === 'campaign_daily') {
    const day = body.day;
    if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) throw malformed('without its day');
    for (const r of results) {
      const g = r.groupings;
      const s = r.statistics;
      if (!g || !s || typeof g[ids.campaign] !== 'string') throw malformed('has a result without groupings');
      out.push(row(day, g, (name) => s[name]));
    }
    return out;
  }

  const dateTimes = attributes?.date_times;
  if (!Array.isArray(dateTimes)) throw malformed('has no date_times');
  const days = dateTimes.map((t) => {
    const d = typeof t === 'string' ? t.slice(0, 10) : '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw malformed(`has a date_time that is not a date (${String(t)})`);
    return d;
  });
  for (const r of results) {
    const g = r.groupings;
    const s = r.statistics as Record<string, number[]> | undefined;
    if (!g || !s || typeof g[ids.campaign] !== 'string') throw malformed('has a result without groupings');
    const series = statNames.map((n) => s[n]);
    if (series.some((v) => !Array.isArray(v) || v.length !== days.length))
      throw malformed('has a series whose length is not that of date_times');
    for (let d = 0; d < days.length; d++) {
      let any = false;
      for (let i = 0; i < series.length && !any; i++) any = series[i]![d] !== 0;
      if (!any) continue;
      out.push(row(days[d]!, g, (name) => s[name]?.[d]));
    }
  }
  return out;
}
