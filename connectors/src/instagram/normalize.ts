// Instagram insights pages → fact rows. Pure: no I/O, no clock.
//
// Instagram reports days in Pacific time: a daily value's end_time is the midnight (Pacific) that ends it.
// `views` replaced `impressions` in 2025 (Graph v22); either one fills the impressions column, so numbers
// from both sides of the change line up. Everything else is kept in extraMetrics, unknown metrics included.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { FatalConnectorError, type RecordMeta } from '../contract';
import { RecordShapes } from '../runtime/record-shape';

export const IG_REPORTING_TIME_ZONE = 'America/Los_Angeles';

/** What extract archives for account insights: the request that gave each answer, and the answer as is. */
export interface IgAccountPage {
  kind: 'account_daily';
  /** days of this page, inclusive, YYYY-MM-DD in Pacific time */
  start: string;
  end: string;
  timeSeries: { metric_type: 'time_series'; since: number; until: number; response: IgInsightsResponse };
  /** one answer per day: Instagram gives total_value metrics only as a total over since..until */
  totals: { day: string; since: number; until: number; response: IgInsightsResponse }[];
}
export interface IgMediaPage {
  kind: 'media_lifetime';
  /** the /media page (ids, product type, timestamp) */
  media: { data: IgMediaItem[] };
  /** /{media-id}/insights answers by media id */
  insights: Record<string, IgInsightsResponse>;
}
export interface IgMediaItem {
  id: string;
  timestamp?: string;
  media_type?: string;
  media_product_type?: string;
}
export interface IgInsightsResponse {
  data: IgMetric[];
}
interface IgMetric {
  name: string;
  period?: string;
  values?: { value: unknown; end_time?: string }[];
  total_value?: { value: unknown };
}

const unreadable = (why: string) =>
  new FatalConnectorError(
    `Instagram page unreadable: ${why}`,
    'instagram',
    'Instagram returned insights Tributary cannot read.',
  );

export function normalizeInstagramPage(body: unknown, meta: RecordMeta): FactRow[] {
  const page = body as IgAccountPage | IgMediaPage | null;
  if (page?.kind === 'account_daily') return normalizeAccountPage(page, meta);
  if (page?.kind === 'media_lifetime') return normalizeMediaPage(page, meta);
  throw unreadable('unknown page kind');
}

function metricsOf(response: unknown): IgMetric[] {
  const data = (response as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw unreadable('no data array');
  return data as IgMetric[];
}

/**
 * A page's metric names in the order first seen, and each row's values by name position. Rows are built
 * from these by compiled record shapes (runtime/record-shape.ts), not by keyed stores into `{}`.
 */
class MetricColumns {
  readonly names: string[] = [];
  private readonly at = new Map<string, number>();
  /** stores `value` under `name` in `values`; a name given twice keeps its last value */
  set(values: unknown[], name: string, value: unknown): void {
    let i = this.at.get(name);
    if (i === undefined) {
      this.at.set(name, (i = this.names.length));
      this.names.push(name);
    }
    values[i] = value;
  }
}

/**
 * The impressions column and extraMetrics of one row: `views` fills the column where present, else
 * `impressions`; every other metric goes to extraMetrics, and `impressions` too when `views` took its place.
 * A metric without a value on this row is undefined, which JSON and the row hash treat as absent.
 */
function impressionsAndExtras(
  shapes: RecordShapes,
  names: readonly string[],
  values: readonly unknown[],
): { impressions: string | null; extraMetrics: Record<string, unknown> } {
  const viewsAt = names.indexOf('views');
  const impressionsAt = names.indexOf('impressions');
  const views = viewsAt < 0 ? undefined : values[viewsAt];
  const impressions = impressionsAt < 0 ? undefined : values[impressionsAt];
  const keepImpressions = views !== undefined && impressions !== undefined;
  const keys: string[] = [];
  const kept: unknown[] = [];
  for (let i = 0; i < names.length; i++) {
    if (i === viewsAt || (i === impressionsAt && !keepImpressions)) continue;
    keys.push(names[i]!);
    kept.push(values[i]);
  }
  return { impressions: count(views ?? impressions), extraMetrics: shapes.builderFor(keys)(kept) };
}

function normalizeAccountPage(page: IgAccountPage, meta: RecordMeta): FactRow[] {
  const columns = new MetricColumns();
  const shapes = new RecordShapes();
  const byDay = new Map<string, unknown[]>();
  const day = (d: string) => {
    let values = byDay.get(d);
    if (!values) byDay.set(d, (values = []));
    return values;
  };
  for (const metric of metricsOf(page.timeSeries.response)) {
    for (const v of metric.values ?? []) {
      if (!v.end_time) continue;
      const d = dayEndedBy(v.end_time);
      if (d >= page.start && d <= page.end) columns.set(day(d), metric.name, v.value);
    }
  }
  for (const total of page.totals) {
    for (const metric of metricsOf(total.response)) {
      if (metric.total_value) columns.set(day(total.day), metric.name, metric.total_value.value);
    }
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([date, values]) => ({
      dataType: meta.reportType,
      date,
      accountId: meta.account.id,
      accountName: meta.account.name,
      ...impressionsAndExtras(shapes, columns.names, values),
    }));
}

function normalizeMediaPage(page: IgMediaPage, meta: RecordMeta): FactRow[] {
  if (!Array.isArray(page.media?.data)) throw unreadable('media list without data');
  const rows: FactRow[] = [];
  const shapes = new RecordShapes();
  for (const item of page.media.data) {
    const response = page.insights[item.id];
    if (!response || !item.timestamp) continue;
    const columns = new MetricColumns();
    const values: unknown[] = [];
    for (const metric of metricsOf(response))
      columns.set(values, metric.name, metric.values?.[0]?.value ?? metric.total_value?.value);
    rows.push({
      dataType: meta.reportType,
      date: dayIn(IG_REPORTING_TIME_ZONE, Date.parse(item.timestamp.replace(/\+0000$/, 'Z'))),
      accountId: meta.account.id,
      accountName: meta.account.name,
      extraDimensions: {
        media_id: item.id,
        media_type: item.media_type ?? null,
        media_product_type: item.media_product_type ?? null,
      },
      ...impressionsAndExtras(shapes, columns.names, values),
    });
  }
  return rows;
}

function count(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v;
  return null;
}

const endedDays = new Map<string, string>();

/** The Pacific day that ends at `endTime` (Instagram's "2026-01-02T08:00:00+0000" is the value for 2026-01-01). */
export function dayEndedBy(endTime: string): string {
  // every metric of a day carries the same end_time: one time-zone conversion a day, not one a value
  let day = endedDays.get(endTime);
  if (day === undefined) {
    if (endedDays.size >= 4096) endedDays.clear(); // a bound, not a policy: a page spans at most a few months
    endedDays.set(endTime, (day = dayIn(IG_REPORTING_TIME_ZONE, Date.parse(endTime.replace(/\+0000$/, 'Z')) - 1)));
  }
  return day;
}

// Building an Intl.DateTimeFormat costs about a millisecond (it loads time zone data); formatting with one
// is cheap. One formatter per time zone, kept for the process.
const dayFormatters = new Map<string, Intl.DateTimeFormat>();

function dayIn(timeZone: string, epochMs: number): string {
  let format = dayFormatters.get(timeZone);
  if (!format)
    dayFormatters.set(
      timeZone,
      (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })),
    );
  return format.format(epochMs);
}
