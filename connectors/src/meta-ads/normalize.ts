// Ads Insights rows → fact rows. Pure: no I/O, no clock.
//
// Meta already reports days in the ad account's time zone (date_start with time_increment=1) and money in the
// account's currency, as decimal strings, which are kept as strings so nothing rounds. Conversions and revenue
// are the `actions` / `action_values` entries of one configurable action type (default `purchase`); every other
// action, metric and field, unknown new ones included, goes to extraMetrics.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { FatalConnectorError, type RecordMeta } from '../contract';
import { RecordShapes } from '../runtime/record-shape';

export const DEFAULT_CONVERSION_ACTION_TYPE = 'purchase';

export interface NormalizeOptions {
  conversionActionType: string;
}

/** Fields that become columns of the fact row rather than extras. */
const CORE_FIELDS = new Set([
  'date_start',
  'date_stop',
  'account_id',
  'account_name',
  'account_currency',
  'campaign_id',
  'campaign_name',
  'adset_id',
  'adset_name',
  'ad_id',
  'ad_name',
  'impressions',
  'clicks',
  'spend',
  'actions',
  'action_values',
]);

interface ActionStat {
  action_type?: unknown;
  value?: unknown;
}

export function normalizeInsightsPage(body: unknown, meta: RecordMeta, options: NormalizeOptions): FactRow[] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data))
    throw new FatalConnectorError(
      'Meta Ads insights page has no data array',
      'meta_ads',
      'Meta Ads returned a report page Tributary cannot read.',
    );
  const rows: FactRow[] = [];
  const shapes = new RecordShapes();
  for (const item of data) {
    if (typeof item !== 'object' || item === null)
      throw new FatalConnectorError(
        'Meta Ads insights row is not an object',
        'meta_ads',
        'Meta Ads returned a report page Tributary cannot read.',
      );
    rows.push(normalizeInsightsRow(item as Record<string, unknown>, meta, options, shapes));
  }
  return rows;
}

export function normalizeInsightsRow(
  row: Record<string, unknown>,
  meta: RecordMeta,
  options: NormalizeOptions,
  shapes = new RecordShapes(),
): FactRow {
  const date = str(row.date_start);
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date))
    throw new FatalConnectorError(
      `Meta Ads insights row without a day (date_start=${String(row.date_start)})`,
      'meta_ads',
      'Meta Ads returned a report row without a date.',
    );
  const actions = actionMap(row.actions);
  const actionValues = actionMap(row.action_values);
  // every other field, in the row's order, then the two action maps: built through the page's record shape
  const keys: string[] = [];
  const values: unknown[] = [];
  for (const key of Object.keys(row)) {
    const value = row[key];
    if (!CORE_FIELDS.has(key) && value !== undefined) (keys.push(key), values.push(value));
  }
  if (actions) (keys.push('actions'), values.push(actions));
  if (actionValues) (keys.push('action_values'), values.push(actionValues));
  const extraMetrics = shapes.builderFor(keys)(values);
  const type = options.conversionActionType;
  return {
    dataType: meta.reportType,
    date,
    accountId: str(row.account_id) ?? meta.account.id.replace(/^act_/, ''),
    accountName: str(row.account_name) ?? meta.account.name,
    campaignId: str(row.campaign_id),
    campaignName: str(row.campaign_name),
    adGroupId: str(row.adset_id),
    adGroupName: str(row.adset_name),
    adId: str(row.ad_id),
    adName: str(row.ad_name),
    impressions: decimal(row.impressions),
    clicks: decimal(row.clicks),
    cost: decimal(row.spend),
    // Meta leaves `actions` out of a row with none: that is zero conversions, not unknown
    conversions: actions?.[type] ?? '0',
    revenue: actionValues?.[type] ?? '0',
    currency: str(row.account_currency) ?? meta.account.currency,
    extraMetrics,
  };
}

/** `[{action_type, value}]` → `{action_type: value}`; undefined when the row has no such list. */
function actionMap(list: unknown): Record<string, string> | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: Record<string, string> = {};
  for (const entry of list as ActionStat[]) {
    const type = str(entry?.action_type);
    const value = decimal(entry?.value);
    if (type && value !== null) out[type] = value;
  }
  return out;
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** Meta's metric strings, kept exact; anything that is not a plain decimal is left out of the core column. */
function decimal(v: unknown): string | null {
  const s = str(v);
  return s !== null && /^-?\d+(\.\d+)?$/.test(s) ? s : null;
}
