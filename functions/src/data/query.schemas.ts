// The one request shape every data reader speaks: the data API's POST body (original design, section 4.2),
// the GET endpoints' and webhooks' query strings (parsed into the same shape by parseUrlQuery), and later
// the dashboard. Names are the API's snake_case; the builder turns them into SQL from whitelists only.
import * as z from 'zod';
import { CalendarDateSchema } from '@tributary/shared/domain/calendar-date';
import { PlatformSchema } from '@tributary/shared/domain/platform';
import { ValidationError } from '@tributary/shared/domain/errors';

export const BASE_METRICS = ['impressions', 'clicks', 'cost', 'conversions', 'revenue'] as const;
export const DERIVED_METRICS = ['ctr', 'cpc', 'cpm', 'conversion_rate', 'cpa', 'roas', 'aov'] as const;
export const STANDARD_DIMENSIONS = [
  'date',
  'week',
  'month',
  'platform',
  'data_source',
  'data_type',
  'account',
  'campaign',
  'ad_group',
  'ad',
  'currency',
] as const;
export const AGGREGATIONS = ['none', 'daily', 'weekly', 'monthly', 'total'] as const;
export const OUTPUT_FORMATS = ['json', 'ndjson', 'csv', 'tsv', 'xml', 'xlsx', 'html'] as const;

export type BaseMetric = (typeof BASE_METRICS)[number];
export type DerivedMetric = (typeof DERIVED_METRICS)[number];
export type StandardDimension = (typeof STANDARD_DIMENSIONS)[number];
export type Aggregation = (typeof AGGREGATIONS)[number];
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * Keys of extra_dimensions / extra_metrics a query may name: plain snake_case, never anything SQL could read as syntax.
 */
const EXTRA_KEY = /^[a-z][a-z0-9_]{0,62}$/;
const extraRef = (prefix: 'extra.' | 'extra_metric.') =>
  z.string().refine((s) => s.startsWith(prefix) && EXTRA_KEY.test(s.slice(prefix.length)), {
    message: `must be ${prefix}<snake_case key>`,
  });

/** Older names from the original design's example request, accepted and mapped to ours. */
const DIMENSION_ALIASES: Record<string, StandardDimension> = {
  campaign_name: 'campaign',
  account_name: 'account',
  ad_group_name: 'ad_group',
  ad_name: 'ad',
  data_source_id: 'data_source',
};

export const MetricSchema = z.union([z.enum(BASE_METRICS), z.enum(DERIVED_METRICS), extraRef('extra_metric.')]);
export type Metric = z.infer<typeof MetricSchema>;
export const DimensionSchema = z.preprocess(
  (v) => (typeof v === 'string' && v in DIMENSION_ALIASES ? DIMENSION_ALIASES[v] : v),
  z.union([z.enum(STANDARD_DIMENSIONS), extraRef('extra.')]),
);
export type Dimension = StandardDimension | `extra.${string}`;

/** Fields a filter may test: the typed dimension columns, extra dimensions, and metrics. */
export const FILTER_DIMENSION_FIELDS = [
  'platform',
  'data_source_id',
  'data_type',
  'currency',
  'account_id',
  'account_name',
  'campaign_id',
  'campaign_name',
  'ad_group_id',
  'ad_group_name',
  'ad_id',
  'ad_name',
] as const;
export const FilterFieldSchema = z.union([z.enum(FILTER_DIMENSION_FIELDS), MetricSchema, extraRef('extra.')]);
export type FilterField = z.infer<typeof FilterFieldSchema>;

const scalar = z.union([z.string().max(500), z.number().finite()]);
export const FilterSchema = z.discriminatedUnion('op', [
  z.object({ field: FilterFieldSchema, op: z.literal('eq'), value: scalar }),
  z.object({ field: FilterFieldSchema, op: z.literal('neq'), value: scalar }),
  z.object({ field: FilterFieldSchema, op: z.literal('in'), value: z.array(scalar).min(1).max(1000) }),
  z.object({ field: FilterFieldSchema, op: z.literal('gte'), value: z.number().finite() }),
  z.object({ field: FilterFieldSchema, op: z.literal('lte'), value: z.number().finite() }),
  z.object({
    field: FilterFieldSchema,
    op: z.literal('between'),
    value: z.tuple([z.number().finite(), z.number().finite()]),
  }),
  /** case-insensitive substring match on a name */
  z.object({ field: FilterFieldSchema, op: z.literal('contains'), value: z.string().min(1).max(200) }),
]);
export type Filter = z.infer<typeof FilterSchema>;

const isoDate = CalendarDateSchema.refine(
  (s) => s >= '1990-01-01' && s <= '2199-12-31',
  'outside the years this data can hold',
);
export const RELATIVE_RANGE = /^(today|yesterday|this_month|last_month|this_year|last_year|last_(\d{1,4})_days)$/;
export const DateRangeSchema = z.union([
  z
    .object({ start_date: isoDate, end_date: isoDate })
    .refine((r) => r.start_date <= r.end_date, { message: 'start_date must not be after end_date' }),
  z.object({ relative: z.string().regex(RELATIVE_RANGE, 'unknown relative range (e.g. last_30_days, this_month)') }),
]);
export type DateRange = z.infer<typeof DateRangeSchema>;

export const SortSchema = z.object({
  field: z.string().regex(/^[a-z][a-z0-9_.]{0,80}$/),
  direction: z.enum(['asc', 'desc']).default('asc'),
});

export const CurrencySchema = z.union([
  z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code such as USD'),
  z.literal('native'),
]);

export const DataQuerySchema = z.object({
  date_range: DateRangeSchema.default({ relative: 'last_30_days' }),
  platforms: z.array(PlatformSchema).max(20).optional(),
  data_sources: z.array(z.string().uuid()).max(200).optional(),
  metrics: z.array(MetricSchema).min(1).max(50).optional(),
  dimensions: z.array(DimensionSchema).max(20).optional(),
  filters: z.array(FilterSchema).max(50).default([]),
  aggregation: z.enum(AGGREGATIONS).optional(),
  sort: z.array(SortSchema).max(10).default([]),
  limit: z.number().int().min(1).max(1_048_575).optional(),
  cursor: z.string().max(200).optional(),
  /** ISO 4217 code to convert money into (default: the project's reporting currency), or `native` */
  currency: CurrencySchema.optional(),
});
export type DataQueryInput = z.input<typeof DataQuerySchema>;
export type DataQuery = z.infer<typeof DataQuerySchema>;

/** What a webhook may see, set by its owner; every request is intersected with it (a URL narrows, never widens). */
export const WebhookScopeSchema = z.object({
  platforms: z.array(PlatformSchema).max(20).optional(),
  filters: z.array(FilterSchema).max(50).default([]),
});
export type WebhookScope = z.infer<typeof WebhookScopeSchema>;

const list = (v: string | null) =>
  v === null
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/**
 * Query-string form, shared by GET /data* and /webhook/v1/{key}/*:
 *   platform=google_ads,meta_ads  data_source=<uuid>,…  start_date=…&end_date=… | date_range=last_30_days
 *   metrics=…  dimensions=…  aggregate=daily  currency=EUR|native  sort=-cost,date  limit=…  cursor=…
 *   filter=<field>:<op>:<value>   (repeatable; `in` values separated by |; e.g. filter=cost:gte:100,
 *   filter=campaign_name:contains:brand, filter=platform:in:google_ads|meta_ads)
 * Unknown parameters are refused, so a typo never silently widens a result.
 */
export function parseUrlQuery(params: URLSearchParams, ignored: readonly string[] = []): DataQuery {
  const known = new Set([
    'platform',
    'platforms',
    'data_source',
    'data_sources',
    'start_date',
    'end_date',
    'date_range',
    'metrics',
    'dimensions',
    'aggregate',
    'aggregation',
    'currency',
    'sort',
    'limit',
    'cursor',
    'filter',
    ...ignored,
  ]);
  const unknown = [...new Set(params.keys())].filter((k) => !known.has(k));
  if (unknown.length) throw new ValidationError('Unknown query parameters', { parameters: unknown.slice(0, 20) });
  for (const k of known) {
    if (k !== 'filter' && params.getAll(k).length > 1)
      throw new ValidationError(`Query parameter ${k} is given more than once`, { field: k });
  }
  const start = params.get('start_date');
  const end = params.get('end_date');
  const relative = params.get('date_range');
  let date_range: unknown;
  if (relative !== null) {
    if (start !== null || end !== null)
      throw new ValidationError('Give either date_range or start_date/end_date, not both', { field: 'date_range' });
    date_range = { relative };
  } else if (start !== null || end !== null) {
    // a relative name in start_date is accepted too (`start_date=last_30_days`), as the original design's examples do
    if (start !== null && end === null && RELATIVE_RANGE.test(start)) date_range = { relative: start };
    else date_range = { start_date: start ?? end, end_date: end ?? start };
  }
  const limit = params.get('limit');
  const raw = {
    date_range,
    platforms: list(params.get('platform') ?? params.get('platforms')),
    data_sources: list(params.get('data_source') ?? params.get('data_sources')),
    metrics: list(params.get('metrics')),
    dimensions: list(params.get('dimensions')),
    filters: params.getAll('filter').map(parseFilterParam),
    aggregation: params.get('aggregate') ?? params.get('aggregation') ?? undefined,
    sort: (list(params.get('sort')) ?? []).map((s) =>
      s.startsWith('-') ? { field: s.slice(1), direction: 'desc' } : { field: s, direction: 'asc' },
    ),
    limit: limit === null ? undefined : /^\d{1,8}$/.test(limit) ? Number(limit) : limit,
    cursor: params.get('cursor') ?? undefined,
    currency: params.get('currency') ?? undefined,
  };
  return DataQuerySchema.parse(raw);
}

function parseFilterParam(text: string): unknown {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (first < 0 || second < 0) throw new ValidationError('A filter is written field:op:value', { field: 'filter' });
  const field = text.slice(0, first);
  const op = text.slice(first + 1, second);
  const value = text.slice(second + 1);
  const num = (s: string) => (/^-?\d+(\.\d+)?$/.test(s) ? Number(s) : s);
  switch (op) {
    case 'in':
      return { field, op, value: value.split('|') };
    case 'between':
      return { field, op, value: value.split('|').map(num) };
    case 'gte':
    case 'lte':
      return { field, op, value: num(value) };
    default:
      return { field, op, value };
  }
}
