// The one query builder behind the data API, the webhooks and the dashboard. It turns a DataQuery, the
// caller's scope and the project's settings into parameterized SQL over the `facts` view (the hot table and
// the warm archive as one relation, see the facts_view migration):
//
//   * every value is a bound parameter with an explicit cast ($n::date, $n::text[]); identifiers and
//     expressions come only from the whitelists below, never from the request;
//   * derived metrics are ratios of sums (CTR = sum(clicks) / sum(impressions)), never averages of
//     ratios; a zero denominator gives NULL (an empty cell), not an error or infinity;
//   * money converts row by row with that row's day's rate from fx_rates (direct, inverse, or crossed
//     through a common base such as the ECB's EUR); a missing rate is found by the preflight query, before
//     a single byte goes out, and reported as FX_RATE_MISSING naming the day and currency.
//
// Because each parameter carries its cast, the same SQL can also run as COPY (…) TO STDOUT, which takes no
// bind parameters: asCopyStatement() moves the values into transaction-local settings (set_config with
// bound values) and reads them back with current_setting(…)::type, so values still never enter SQL text.
import { createHash } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { ValidationError } from '@tributary/shared/domain/errors';
import {
  BASE_METRICS,
  DERIVED_METRICS,
  FILTER_DIMENSION_FIELDS,
  type Aggregation,
  type DataQuery,
  type Dimension,
  type Filter,
  type Metric,
} from './query.schemas';

export type ColumnType = 'date' | 'text' | 'number' | 'money' | 'ratio';

export interface OutputColumn {
  /** the JSON/XML field name and the sort key */
  key: string;
  /** the readable CSV/XLSX header */
  header: string;
  type: ColumnType;
}

/** Excel stops at 1,048,576 rows per sheet; one of them is the header row. */
export const MAX_RESULT_ROWS = 1_048_575;

export interface QueryScope {
  organizationId: string;
  projectId: string;
  from: string;
  to: string;
  /** undefined: every data source of the project; otherwise only these (possibly none) */
  dataSources?: readonly string[];
  /** undefined: every platform; otherwise only these */
  platforms?: readonly string[];
  /** the scope's own filters, ANDed with the request's */
  filters: readonly Filter[];
  /** ISO code to convert money into, or 'native' to keep each row's currency */
  currency: string;
}

export interface BuiltQuery {
  columns: OutputColumn[];
  aggregation: Aggregation;
  /** the rows, sorted, with limit/offset applied */
  rows: RawBuilder<unknown>;
  /**
   * Aggregated results only: the same rows with three trailing columns computed over the whole input
   * before the first group comes out (__version, __facts, __groups), and a missing rate raised from
   * inside the query. One pass gives the ETag, the sheet-limit check and the FX check before any byte.
   */
  rowsWithStats: RawBuilder<unknown> | null;
  /** one aggregate pass: data version, fact row count, currencies present, first day lacking a rate */
  preflight: RawBuilder<PreflightRow>;
  /** the preflight's data version and fact row count alone, without its sort of currencies (a feed's first page) */
  version: RawBuilder<Pick<PreflightRow, 'version' | 'fact_rows'>>;
  /** how many output rows an aggregated query has (only worth running when there are more facts than Excel rows) */
  countRows: RawBuilder<{ n: string }>;
  converting: boolean;
  /** a stable hash of everything that decides the result, for ETags and cursors */
  fingerprint: string;
  offset: number;
  limit: number | undefined;
  /** keyset paging only: how many trailing __k columns the rows carry */
  keyColumns: number;
}

/** as pg returns it (raw client, snake_case) */
export interface PreflightRow {
  version: Date | null;
  fact_rows: string;
  currencies: string[] | null;
  missing_fx: string | null;
}

type Cast = 'uuid' | 'uuid[]' | 'date' | 'text' | 'text[]' | 'numeric' | 'bigint' | 'char3';
const CAST_SQL: Record<Cast, string> = {
  uuid: 'uuid',
  'uuid[]': 'uuid[]',
  date: 'date',
  text: 'text',
  'text[]': 'text[]',
  numeric: 'numeric',
  bigint: 'bigint',
  char3: 'char(3)',
};
const p = (value: unknown, cast: Cast): RawBuilder<unknown> => sql`${value}::${sql.raw(CAST_SQL[cast])}`;

/** What a date or natural-key value may be when it is written into the statement as a literal (`literalKeys`). */
const KEY_LITERAL: Partial<Record<Cast, RegExp>> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  text: /^[A-Za-z0-9_.:-]{1,100}$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  bigint: /^-?\d{1,19}$/,
};
const keyLiteral = (value: string | null, cast: Cast): RawBuilder<unknown> => {
  if (value === null || !KEY_LITERAL[cast]?.test(value))
    throw new ValidationError('The page token does not belong to this query', { field: '$skiptoken' });
  return sql`${sql.lit(value)}::${sql.raw(CAST_SQL[cast])}`;
};

/**
 * The text a spreadsheet would run as a formula (OWASP CSV injection): = + - @ or their full-width forms
 * after any leading spaces, or a leading tab or CR. The same rule as formats/spreadsheet-safety.ts.
 */
const FORMULA_SQL = (expr: string) =>
  `CASE WHEN ${expr} ~ '^([[:space:]\u00a0\u3000]*[-=+@\uff1d\uff0b\uff0d\uff20]|[\t\r])' THEN '''' || ${expr} ELSE ${expr} END`;

interface DimensionSpec {
  columns: { key: string; header: string; expr: RawBuilder<unknown>; type: ColumnType }[];
}

const TEXT_DIMENSION_PAIRS: Record<string, [idCol: string, nameCol: string, idHeader: string, nameHeader: string]> = {
  account: ['account_id', 'account_name', 'Account ID', 'Account'],
  campaign: ['campaign_id', 'campaign_name', 'Campaign ID', 'Campaign'],
  ad_group: ['ad_group_id', 'ad_group_name', 'Ad group ID', 'Ad group'],
  ad: ['ad_id', 'ad_name', 'Ad ID', 'Ad'],
};

const METRIC_HEADERS: Record<string, string> = {
  impressions: 'Impressions',
  clicks: 'Clicks',
  cost: 'Cost',
  conversions: 'Conversions',
  revenue: 'Revenue',
  ctr: 'CTR',
  cpc: 'CPC',
  cpm: 'CPM',
  conversion_rate: 'Conversion rate',
  cpa: 'CPA',
  roas: 'ROAS',
  aov: 'AOV',
};

/** numerator / denominator of each derived metric; CPM is per thousand impressions */
const DERIVED: Record<string, { num: string; den: string; scale?: number; money: boolean }> = {
  ctr: { num: 'clicks', den: 'impressions', money: false },
  cpc: { num: 'cost', den: 'clicks', money: true },
  cpm: { num: 'cost', den: 'impressions', scale: 1000, money: true },
  conversion_rate: { num: 'conversions', den: 'clicks', money: false },
  cpa: { num: 'cost', den: 'conversions', money: true },
  roas: { num: 'revenue', den: 'cost', money: false },
  aov: { num: 'revenue', den: 'conversions', money: true },
};
const MONEY_BASE = new Set(['cost', 'revenue']);

export const DEFAULT_METRICS: Metric[] = ['impressions', 'clicks', 'cost', 'conversions', 'revenue'];
const RAW_DIMENSIONS: Dimension[] = ['date', 'platform', 'data_type', 'account', 'campaign', 'ad_group', 'ad'];

export function usesMoney(metrics: readonly Metric[]): boolean {
  return metrics.some((m) => MONEY_BASE.has(m) || (m in DERIVED && (DERIVED[m]!.money || m === 'roas')));
}

export interface BuildOptions {
  /** neutralize formula-looking text in SQL (for COPY … CSV, which no JS sees) */
  spreadsheetSafeText?: boolean;
  defaultDimensions?: Dimension[];
  defaultAggregation?: Aggregation;
  /** a boolean filter over fact rows, before grouping (the OData feed's $filter and $apply filter()) */
  where?: Predicate;
  /** a boolean filter over the output groups (OData's $filter after $apply groupby) */
  having?: Predicate;
  /**
   * Keyset paging: rows strictly after `after` in the result's order, `limit` of them. Raw rows with no
   * requested sort follow the natural key, which its unique index serves, so each page is a range read.
   * The order values come out as trailing text columns __k0, __k1, … (see `keyColumns`).
   */
  keyset?: {
    after: readonly (string | null)[] | null;
    limit: number;
    offset?: number;
    /**
     * The date range and the natural key's values as literals checked against their type's pattern, not as
     * parameters: for COPY, whose parameters become settings the planner cannot see. Without the dates it
     * cannot drop the months outside the range when it plans, and for a page past the first it then sorts
     * every later row instead of merging each month's index range in order (a quadratic read of a feed).
     */
    literalKeys?: boolean;
  };
}

/** One test on one field: the URL filter shapes plus what OData's $filter adds. `date` tests the fact's day. */
export type PredicateLeaf =
  | Filter
  | { field: string; op: 'gt' | 'lt' | 'gte' | 'lte' | 'eq' | 'neq'; value: string | number }
  | { field: string; op: 'startswith' | 'endswith' | 'contains'; value: string }
  | { field: string; op: 'null' | 'notnull' };
export type Predicate = PredicateLeaf | { and: Predicate[] } | { or: Predicate[] } | { not: Predicate };

export function buildFactQuery(query: DataQuery, scope: QueryScope, options: BuildOptions = {}): BuiltQuery {
  const metrics: Metric[] = query.metrics ?? DEFAULT_METRICS;
  // raw rows (aggregation=none) without named dimensions get every dimension of a fact row: an endpoint's
  // default grouping (platform, campaign) would show rows that look duplicated
  const requestedDims =
    (query.dimensions as Dimension[] | undefined) ??
    (query.aggregation === 'none' ? undefined : options.defaultDimensions);
  const timeDims = new Set(['date', 'week', 'month']);
  const aggregation: Aggregation =
    query.aggregation ??
    (requestedDims?.includes('month')
      ? 'monthly'
      : requestedDims?.includes('week')
        ? 'weekly'
        : requestedDims?.includes('date')
          ? 'daily'
          : requestedDims
            ? 'total'
            : (options.defaultAggregation ?? 'daily'));
  const raw = aggregation === 'none';
  let dims: Dimension[] = (requestedDims ?? (raw ? RAW_DIMENSIONS : ['platform', 'campaign'])).filter(
    (d) => !timeDims.has(d),
  );
  dims = [...new Set(dims)];
  const grain = { none: 'date', daily: 'date', weekly: 'week', monthly: 'month', total: null }[aggregation];
  if (grain) dims.unshift(grain as Dimension);

  const converting =
    (scope.currency !== 'native' && usesMoney(metrics)) ||
    (scope.currency !== 'native' && query.filters.concat(scope.filters).some((f) => isMoneyField(f.field)));
  // native currency: sums must never add euros to dollars, so currency becomes a grouping dimension
  if (scope.currency === 'native' && usesMoney(metrics) && !dims.includes('currency')) dims.push('currency');

  const safe = options.spreadsheetSafeText ?? false;
  const text = (expr: string) => sql.raw(safe ? FORMULA_SQL(expr) : expr);
  // aggregated: a missing rate raises inside the query (before the first group is out); raw rows: the
  // preflight has already refused it, so the plain factor is enough
  const fxFactor = !converting
    ? sql`1`
    : raw
      ? sql`(CASE WHEN f.currency IS NULL OR f.currency = ${p(scope.currency, 'char3')} THEN 1 ELSE fx.factor END)`
      : sql`(CASE WHEN f.currency IS NULL OR f.currency = ${p(scope.currency, 'char3')} OR (f.cost IS NULL AND f.revenue IS NULL) THEN 1
                ELSE coalesce(fx.factor, tributary_fx_missing(f.data_date, f.currency::text, ${p(scope.currency, 'text')})) END)`;

  const dimensionSpec = (d: Dimension): DimensionSpec => {
    if (d.startsWith('extra.')) {
      const key = d.slice('extra.'.length);
      const e = sql`(f.extra_dimensions ->> ${p(key, 'text')})`;
      return {
        columns: [
          {
            key: `extra_${key}`,
            header: key,
            expr: safe
              ? sql`(CASE WHEN left(${e}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || ${e} ELSE ${e} END)`
              : e,
            type: 'text',
          },
        ],
      };
    }
    switch (d) {
      case 'date':
        return { columns: [{ key: 'date', header: 'Date', expr: sql`f.data_date`, type: 'date' }] };
      case 'week':
        return {
          columns: [
            { key: 'week', header: 'Week (Monday)', expr: sql`date_trunc('week', f.data_date)::date`, type: 'date' },
          ],
        };
      case 'month':
        return {
          columns: [{ key: 'month', header: 'Month', expr: sql`date_trunc('month', f.data_date)::date`, type: 'date' }],
        };
      case 'platform':
        return { columns: [{ key: 'platform', header: 'Platform', expr: sql`f.platform`, type: 'text' }] };
      case 'data_source':
        return {
          columns: [
            { key: 'data_source_id', header: 'Data source ID', expr: sql`f.data_source_id::text`, type: 'text' },
          ],
        };
      case 'data_type':
        return { columns: [{ key: 'data_type', header: 'Report', expr: sql`f.data_type`, type: 'text' }] };
      case 'currency':
        return converting
          ? {
              columns: [
                { key: 'original_currency', header: 'Original currency', expr: sql`f.currency::text`, type: 'text' },
              ],
            }
          : { columns: [{ key: 'currency', header: 'Currency', expr: sql`f.currency::text`, type: 'text' }] };
      default: {
        const pair = TEXT_DIMENSION_PAIRS[d];
        if (!pair) throw new ValidationError('Unknown dimension', { field: 'dimensions', dimension: d });
        const [idCol, nameCol, idHeader, nameHeader] = pair;
        return {
          columns: [
            { key: idCol, header: idHeader, expr: text(`f.${idCol}`), type: 'text' },
            { key: nameCol, header: nameHeader, expr: text(`f.${nameCol}`), type: 'text' },
          ],
        };
      }
    }
  };

  /** a metric's value on one fact row (converted when it is money) */
  const rowValue = (m: string): RawBuilder<unknown> => {
    if (m.startsWith('extra_metric.')) {
      const key = m.slice('extra_metric.'.length);
      return sql`(CASE WHEN jsonb_typeof(f.extra_metrics -> ${p(key, 'text')}) = 'number' THEN (f.extra_metrics ->> ${p(key, 'text')})::numeric END)`;
    }
    if (!(BASE_METRICS as readonly string[]).includes(m))
      throw new ValidationError('Unknown metric', { field: 'metrics', metric: m });
    return MONEY_BASE.has(m) && converting ? sql`(f.${sql.raw(m)} * ${fxFactor})` : sql`f.${sql.raw(m)}`;
  };
  const roundMoney = (e: RawBuilder<unknown>) => (converting ? sql`round(${e}, 2)` : e);
  /** a metric's output value: per row for raw output, a sum (or ratio of sums) otherwise */
  const metricValue = (m: string): RawBuilder<unknown> => {
    const agg = (e: RawBuilder<unknown>) => (raw ? e : sql`sum(${e})`);
    const derived = DERIVED[m];
    if (derived) {
      const num = agg(rowValue(derived.num));
      const scaled = derived.scale ? sql`${num} * ${sql.raw(String(derived.scale))}` : num;
      return sql`round(${scaled} / nullif(${agg(rowValue(derived.den))}, 0), 6)`;
    }
    const v = agg(rowValue(m));
    return MONEY_BASE.has(m) ? roundMoney(v) : v;
  };

  const columns: OutputColumn[] = [];
  const selectList: RawBuilder<unknown>[] = [];
  for (const d of dims) {
    for (const c of dimensionSpec(d).columns) {
      columns.push({ key: c.key, header: c.header, type: c.type });
      selectList.push(sql`${c.expr} AS ${sql.raw(quoteIdent(c.key))}`);
    }
  }
  const groupCount = selectList.length;
  if (converting) {
    columns.push({ key: 'currency', header: 'Currency', type: 'text' });
    selectList.push(sql`${p(scope.currency, 'text')} AS "currency"`);
  }
  for (const m of metrics) {
    const key = m.startsWith('extra_metric.') ? `metric_${m.slice('extra_metric.'.length)}` : m;
    const type: ColumnType =
      m in DERIVED ? (DERIVED[m]!.money ? 'money' : 'ratio') : MONEY_BASE.has(m) ? 'money' : 'number';
    columns.push({ key, header: METRIC_HEADERS[m] ?? m.slice('extra_metric.'.length), type });
    selectList.push(sql`${metricValue(m)} AS ${sql.raw(quoteIdent(key))}`);
  }
  if (new Set(columns.map((c) => c.key)).size !== columns.length)
    throw new ValidationError('A column is requested twice', { field: 'dimensions' });

  // WHERE: scope first, then the request's dimension filters; metric filters go to HAVING when aggregating
  const where: RawBuilder<unknown>[] = [
    sql`f.project_id = ${p(scope.projectId, 'uuid')}`,
    options.keyset?.literalKeys
      ? sql`f.data_date BETWEEN ${keyLiteral(scope.from, 'date')} AND ${keyLiteral(scope.to, 'date')}`
      : sql`f.data_date BETWEEN ${p(scope.from, 'date')} AND ${p(scope.to, 'date')}`,
  ];
  if (scope.dataSources) where.push(sql`f.data_source_id = ANY(${p([...scope.dataSources], 'uuid[]')})`);
  if (scope.platforms) where.push(sql`f.platform = ANY(${p([...scope.platforms], 'text[]')})`);
  // A row that mirrors another platform's own numbers (Metricool's Facebook Ads and Google Ads campaigns carry
  // extra_dimensions.native_platform) is left out while the project has a data source of that platform whose
  // rows this query may include: the same spend is never summed twice. Asking only for the mirroring platform
  // (platforms=metricool) shows them. The project's platforms are read once (an InitPlan), not per row.
  const nativeIn = scope.platforms ? sql` AND ds.platform = ANY(${p([...scope.platforms], 'text[]')})` : sql``;
  where.push(sql`NOT coalesce((f.extra_dimensions ->> 'native_platform') = ANY(ARRAY(
      SELECT DISTINCT ds.platform::text FROM data_sources ds WHERE ds.project_id = ${p(scope.projectId, 'uuid')}${nativeIn})), false)`);
  const having: RawBuilder<unknown>[] = [];
  for (const f of [...scope.filters, ...query.filters]) {
    if (isMetricField(f.field)) {
      (raw ? where : having).push(filterSql(metricValue(f.field), f, true));
    } else {
      where.push(filterSql(dimensionFilterExpr(f.field), f, false));
    }
  }

  const predicateSql = (pr: Predicate, level: 'row' | 'group'): RawBuilder<unknown> => {
    if ('and' in pr)
      return pr.and.length
        ? sql`(${sql.join(
            pr.and.map((x) => predicateSql(x, level)),
            sql` AND `,
          )})`
        : sql`true`;
    if ('or' in pr)
      return pr.or.length
        ? sql`(${sql.join(
            pr.or.map((x) => predicateSql(x, level)),
            sql` OR `,
          )})`
        : sql`false`;
    if ('not' in pr) return sql`(NOT coalesce(${predicateSql(pr.not, level)}, false))`;
    const metric = isMetricField(pr.field);
    if (
      !metric &&
      pr.field !== 'date' &&
      !pr.field.startsWith('extra.') &&
      !(FILTER_DIMENSION_FIELDS as readonly string[]).includes(pr.field)
    ) {
      throw new ValidationError('Unknown filter field', { field: 'filters', filter_field: pr.field });
    }
    const expr =
      pr.field === 'date'
        ? sql`f.data_date`
        : metric
          ? level === 'row'
            ? rowMetricValue(pr.field)
            : metricValue(pr.field)
          : dimensionFilterExpr(pr.field);
    return leafSql(expr, pr, metric ? 'numeric' : pr.field === 'date' ? 'date' : 'text');
  };
  /** a metric on one fact row, even when the result is grouped (a filter before grouping) */
  const rowMetricValue = (m: string): RawBuilder<unknown> => {
    const derived = DERIVED[m];
    if (!derived) return rowValue(m);
    const num = derived.scale
      ? sql`${rowValue(derived.num)} * ${sql.raw(String(derived.scale))}`
      : rowValue(derived.num);
    return sql`round(${num} / nullif(${rowValue(derived.den)}, 0), 6)`;
  };
  if (options.where) where.push(predicateSql(options.where, 'row'));
  if (options.having) (raw ? where : having).push(predicateSql(options.having, raw ? 'row' : 'group'));

  const fxCte = converting ? sql`WITH fx AS (${fxRatesSql(scope)}) ` : sql``;
  const fxJoin = converting ? sql` LEFT JOIN fx ON fx.rate_date = f.data_date AND fx.currency = f.currency` : sql``;
  const whereSql = sql.join(where, sql` AND `);
  const groupBy =
    !raw && groupCount > 0
      ? sql` GROUP BY ${sql.raw(Array.from({ length: groupCount }, (_, i) => String(i + 1)).join(', '))}`
      : sql``;
  const havingSql = having.length ? sql` HAVING ${sql.join(having, sql` AND `)}` : sql``;

  const known = new Set(columns.map((c) => c.key));
  const order: string[] = [];
  for (const s of query.sort) {
    if (!known.has(s.field))
      throw new ValidationError('Sort field is not a column of this result', {
        field: 'sort',
        sort_field: s.field,
        columns: [...known],
      });
    order.push(`${quoteIdent(s.field)} ${s.direction === 'desc' ? 'DESC' : 'ASC'}`);
  }
  // then every dimension, so pages and refreshes come out in the same order
  for (const c of columns.slice(0, groupCount))
    if (!query.sort.some((s) => s.field === c.key)) order.push(quoteIdent(c.key));
  let orderSql = order.length ? sql` ORDER BY ${sql.raw(order.join(', '))}` : sql``;

  const offset = options.keyset
    ? (options.keyset.offset ?? 0)
    : decodeCursor(query.cursor, fingerprintOf(query, scope));
  const limit = options.keyset ? options.keyset.limit : query.limit;
  const limitSql = limit !== undefined ? sql` LIMIT ${p(limit, 'bigint')}` : sql``;
  const offsetSql = offset > 0 ? sql` OFFSET ${p(offset, 'bigint')}` : sql``;

  let keyColumns = 0;
  let rowsSelect = selectList;
  let rowsWhere = whereSql;
  let rowsHaving = havingSql;
  if (options.keyset) {
    const exprOf = new Map<string, RawBuilder<unknown>>();
    dims.forEach((d) => dimensionSpec(d).columns.forEach((c) => exprOf.set(c.key, c.expr)));
    metrics.forEach((m) =>
      exprOf.set(m.startsWith('extra_metric.') ? `metric_${m.slice('extra_metric.'.length)}` : m, metricValue(m)),
    );
    const natural = raw && query.sort.length === 0;
    // raw rows in their natural key's order: a row comparison the unique index answers page after page
    const items: { expr: RawBuilder<unknown>; desc: boolean; cast: Cast }[] = natural
      ? [
          { expr: sql`f.data_source_id`, desc: false, cast: 'uuid' },
          { expr: sql`f.data_type`, desc: false, cast: 'text' },
          { expr: sql`f.data_date`, desc: false, cast: 'date' },
          { expr: sql`f.row_key`, desc: false, cast: 'bigint' },
        ]
      : [
          ...query.sort.map((s) => ({
            expr: exprOf.get(s.field)!,
            desc: s.direction === 'desc',
            cast: castOf(columns.find((c) => c.key === s.field)!.type),
          })),
          ...columns
            .slice(0, groupCount)
            .filter((c) => !query.sort.some((s) => s.field === c.key))
            .map((c) => ({ expr: exprOf.get(c.key) ?? sql`f.currency::text`, desc: false, cast: castOf(c.type) })),
          ...(raw
            ? [
                { expr: sql`f.data_source_id`, desc: false, cast: 'uuid' as Cast },
                { expr: sql`f.data_type`, desc: false, cast: 'text' as Cast },
                { expr: sql`f.row_key`, desc: false, cast: 'bigint' as Cast },
              ]
            : []),
        ];
    keyColumns = items.length;
    rowsSelect = [...selectList, ...items.map((it, i) => sql`${it.expr}::text AS ${sql.raw(`"__k${i}"`)}`)];
    orderSql = sql` ORDER BY ${sql.join(items.map((it) => (natural ? it.expr : sql`${it.expr} ${sql.raw(it.desc ? 'DESC' : 'ASC')} NULLS LAST`)))}`;
    const after = options.keyset.after;
    if (after) {
      if (after.length !== items.length)
        throw new ValidationError('The page token does not belong to this query', { field: '$skiptoken' });
      const cond = natural
        ? sql`(${sql.join(items.map((it) => it.expr))}) > (${sql.join(
            items.map((it, i) => (options.keyset!.literalKeys ? keyLiteral(after[i]!, it.cast) : p(after[i], it.cast))),
          )})`
        : keysetAfter(items, after);
      if (raw) rowsWhere = sql`${whereSql} AND ${cond}`;
      else rowsHaving = having.length ? sql`${havingSql} AND ${cond}` : sql` HAVING ${cond}`;
    }
  }

  const body = sql`SELECT ${sql.join(selectList, sql`, `)} FROM facts f${fxJoin} WHERE ${whereSql}${groupBy}${havingSql}`;
  const rows = sql`${fxCte}SELECT ${sql.join(rowsSelect, sql`, `)} FROM facts f${fxJoin} WHERE ${rowsWhere}${groupBy}${rowsHaving}${orderSql}${limitSql}${offsetSql}`;
  const stats = sql`max(max(f.updated_at)) OVER () AS "__version", sum(count(*)) OVER () AS "__facts", count(*) OVER () AS "__groups"`;
  const rowsWithStats = raw
    ? null
    : sql`${fxCte}SELECT ${sql.join(selectList, sql`, `)}, ${stats} FROM facts f${fxJoin} WHERE ${whereSql}${groupBy}${havingSql}${orderSql}${limitSql}${offsetSql}`;
  const countRows = sql<{ n: string }>`${fxCte}SELECT count(*)::text AS n FROM (${body}) g`;

  const missingCondition = converting
    ? sql`f.currency IS NOT NULL AND f.currency <> ${p(scope.currency, 'char3')} AND fx.factor IS NULL AND (f.cost IS NOT NULL OR f.revenue IS NOT NULL)`
    : sql`false`;
  const preflight = sql<PreflightRow>`${fxCte}SELECT max(f.updated_at) AS version, count(*)::text AS fact_rows,
    array_agg(DISTINCT f.currency::text) FILTER (WHERE f.currency IS NOT NULL) AS currencies,
    min(f.data_date::text || ' ' || f.currency) FILTER (WHERE ${missingCondition}) AS missing_fx
    FROM facts f${fxJoin} WHERE ${whereSql}`;
  const version = sql<Pick<PreflightRow, 'version' | 'fact_rows'>>`${fxCte}SELECT max(f.updated_at) AS version,
    count(*)::text AS fact_rows FROM facts f${fxJoin} WHERE ${whereSql}`;

  return {
    columns,
    aggregation,
    rows,
    rowsWithStats,
    preflight,
    version,
    countRows,
    converting,
    fingerprint: fingerprintOf(query, scope),
    offset,
    limit,
    keyColumns,
  };
}

function castOf(type: ColumnType): Cast {
  return type === 'date' ? 'date' : type === 'text' ? 'text' : 'numeric';
}

/** Rows after `after` in an order whose every item sorts NULLS LAST: OR over i of (equal before i, after at i). */
function keysetAfter(
  items: { expr: RawBuilder<unknown>; desc: boolean; cast: Cast }[],
  after: readonly (string | null)[],
): RawBuilder<unknown> {
  const equal = (i: number) =>
    after[i] === null ? sql`${items[i]!.expr} IS NULL` : sql`${items[i]!.expr} = ${p(after[i], items[i]!.cast)}`;
  const beyond = (i: number) => {
    const v = after[i];
    if (v === null) return null; // nothing sorts after NULL
    const it = items[i]!;
    return it.desc
      ? sql`(${it.expr} < ${p(v, it.cast)} OR ${it.expr} IS NULL)`
      : sql`(${it.expr} > ${p(v, it.cast)} OR ${it.expr} IS NULL)`;
  };
  const terms: RawBuilder<unknown>[] = [];
  for (let i = 0; i < items.length; i++) {
    const b = beyond(i);
    if (!b) continue;
    terms.push(i === 0 ? b : sql`(${sql.join([...Array.from({ length: i }, (_, j) => equal(j)), b], sql` AND `)})`);
  }
  return terms.length ? sql`(${sql.join(terms, sql` OR `)})` : sql`false`;
}

/** One predicate leaf; every value is a bound parameter with its cast. */
function leafSql(expr: RawBuilder<unknown>, f: PredicateLeaf, cast: 'numeric' | 'date' | 'text'): RawBuilder<unknown> {
  const val = (v: string | number) => {
    if (cast === 'numeric' && !(typeof v === 'number' || /^-?\d+(\.\d+)?$/.test(v)))
      throw new ValidationError('A metric filter needs a number', { field: 'filters', filter_field: f.field });
    if (cast === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(String(v)))
      throw new ValidationError('A date filter needs a date (YYYY-MM-DD)', { field: 'filters', filter_field: f.field });
    return p(String(v), cast);
  };
  const like = (pattern: (escaped: RawBuilder<unknown>) => RawBuilder<unknown>, v: string) => {
    if (cast !== 'text')
      throw new ValidationError('Text match applies to names, not metrics or dates', {
        field: 'filters',
        filter_field: f.field,
      });
    return pattern(
      p(
        v.replace(/[\\%_]/g, (c) => `\\${c}`),
        'text',
      ),
    );
  };
  switch (f.op) {
    case 'null':
      return sql`${expr} IS NULL`;
    case 'notnull':
      return sql`${expr} IS NOT NULL`;
    case 'eq':
      return sql`${expr} = ${val(f.value)}`;
    case 'neq':
      return sql`${expr} IS DISTINCT FROM ${val(f.value)}`;
    case 'gt':
      return sql`${expr} > ${val(f.value)}`;
    case 'lt':
      return sql`${expr} < ${val(f.value)}`;
    case 'gte':
      return sql`${expr} >= ${val(f.value)}`;
    case 'lte':
      return sql`${expr} <= ${val(f.value)}`;
    case 'between':
      return sql`${expr} BETWEEN ${val(f.value[0])} AND ${val(f.value[1])}`;
    case 'in':
      f.value.forEach(val);
      return sql`${expr} = ANY(${p(f.value.map(String), 'text[]')}${sql.raw(`::${cast}[]`)})`;
    case 'contains': // case-sensitive, as OData's contains() is
      return like((e) => sql`${expr} LIKE '%' || ${e} || '%'`, f.value);
    case 'startswith':
      return like((e) => sql`${expr} LIKE ${e} || '%'`, f.value);
    case 'endswith':
      return like((e) => sql`${expr} LIKE '%' || ${e}`, f.value);
  }
}

function quoteIdent(key: string): string {
  // keys come from the whitelists above (or extra keys matching ^[a-z][a-z0-9_]*$), never raw input
  if (!/^[a-z][a-z0-9_]{0,80}$/.test(key)) throw new ValidationError('Invalid column name', { column: key });
  return `"${key}"`;
}

function isMetricField(field: string): field is Metric {
  return (
    (BASE_METRICS as readonly string[]).includes(field) ||
    (DERIVED_METRICS as readonly string[]).includes(field) ||
    field.startsWith('extra_metric.')
  );
}
function isMoneyField(field: string): boolean {
  return MONEY_BASE.has(field) || (field in DERIVED && (DERIVED[field]!.money || field === 'roas'));
}

function dimensionFilterExpr(field: string): RawBuilder<unknown> {
  if (field.startsWith('extra.')) return sql`(f.extra_dimensions ->> ${p(field.slice('extra.'.length), 'text')})`;
  if (field === 'data_source_id') return sql`f.data_source_id::text`;
  if (field === 'currency') return sql`f.currency::text`;
  return sql`f.${sql.raw(field)}`; // one of FILTER_DIMENSION_FIELDS, checked by the schema
}

function filterSql(expr: RawBuilder<unknown>, f: Filter, numeric: boolean): RawBuilder<unknown> {
  const cast: Cast = numeric ? 'numeric' : 'text';
  const one = (v: string | number) => {
    if (numeric && typeof v !== 'number' && !/^-?\d+(\.\d+)?$/.test(v))
      throw new ValidationError('A metric filter needs a number', { field: 'filters', filter_field: f.field });
    return p(numeric ? String(v) : String(v), cast);
  };
  switch (f.op) {
    case 'eq':
      return sql`${expr} = ${one(f.value)}`;
    case 'neq':
      return sql`${expr} IS DISTINCT FROM ${one(f.value)}`;
    case 'in':
      f.value.forEach((v) => one(v));
      return sql`${expr} = ANY(${p(f.value.map(String), numeric ? 'text[]' : 'text[]')}${sql.raw(numeric ? '::numeric[]' : '')})`;
    case 'gte':
      return numeric ? sql`${expr} >= ${one(f.value)}` : sql`${expr} >= ${p(String(f.value), 'text')}`;
    case 'lte':
      return numeric ? sql`${expr} <= ${one(f.value)}` : sql`${expr} <= ${p(String(f.value), 'text')}`;
    case 'between':
      return numeric
        ? sql`${expr} BETWEEN ${one(f.value[0])} AND ${one(f.value[1])}`
        : sql`${expr} BETWEEN ${p(String(f.value[0]), 'text')} AND ${p(String(f.value[1]), 'text')}`;
    case 'contains':
      if (numeric)
        throw new ValidationError('Text match applies to names, not metrics', {
          field: 'filters',
          filter_field: f.field,
        });
      // the pattern is a bound value; LIKE's own wildcards in it are escaped so they match literally
      return sql`${expr} ILIKE '%' || ${p(
        f.value.replace(/[\\%_]/g, (c) => `\\${c}`),
        'text',
      )} || '%'`;
  }
}

/**
 * Factor that turns one unit of `currency` into the target on `rate_date`: the direct quote, the inverse
 * of the opposite quote, or a cross through any base both are quoted against (ECB publishes EUR-based rates).
 */
function fxRatesSql(scope: QueryScope): RawBuilder<unknown> {
  const t = () => p(scope.currency, 'char3');
  const from = () => p(scope.from, 'date');
  const to = () => p(scope.to, 'date');
  return sql`SELECT DISTINCT ON (rate_date, currency) rate_date, currency, factor, source, how FROM (
      SELECT rate_date, base_currency AS currency, rate AS factor, source, 'direct' AS how, 1 AS pref FROM fx_rates
        WHERE quote_currency = ${t()} AND rate_date BETWEEN ${from()} AND ${to()}
      UNION ALL
      SELECT rate_date, quote_currency, 1 / rate, source, 'inverse', 2 FROM fx_rates
        WHERE base_currency = ${t()} AND rate_date BETWEEN ${from()} AND ${to()}
      UNION ALL
      SELECT a.rate_date, a.quote_currency, b.rate / a.rate, a.source, 'cross:' || a.base_currency, 3 FROM fx_rates a
        JOIN fx_rates b ON b.rate_date = a.rate_date AND b.base_currency = a.base_currency AND b.quote_currency = ${t()}
        WHERE a.quote_currency <> ${t()} AND a.rate_date BETWEEN ${from()} AND ${to()}
    ) r ORDER BY rate_date, currency, pref`;
}

export interface FxUsageRow {
  currency: string;
  days: string;
  first_date: string;
  last_date: string;
  sources: string;
  how: string;
}

/** Which rates a converted result used, per currency: said in the response so nobody has to guess. */
export function fxUsageQuery(scope: QueryScope, currencies: readonly string[] | null): RawBuilder<FxUsageRow> {
  return sql`WITH fx AS (${fxRatesSql(scope)})
    SELECT currency::text AS currency, count(*)::text AS days, min(rate_date)::text AS first_date, max(rate_date)::text AS last_date,
      string_agg(DISTINCT source, ',') AS sources, string_agg(DISTINCT how, ',') AS how
    FROM fx WHERE ${currencies ? sql`currency = ANY(${p([...currencies], 'text[]')})` : sql`currency <> ${p(scope.currency, 'char3')}`} GROUP BY currency ORDER BY currency`;
}

export function fingerprintOf(query: DataQuery, scope: QueryScope): string {
  const { cursor: _cursor, ...rest } = query;
  return createHash('sha256')
    .update(JSON.stringify([rest, { ...scope, dataSources: scope.dataSources ? [...scope.dataSources].sort() : null }]))
    .digest('base64url')
    .slice(0, 22);
}

export function encodeCursor(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, f: fingerprint })).toString('base64url');
}

function decodeCursor(cursor: string | undefined, fingerprint: string): number {
  if (!cursor) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown; f?: unknown };
    if (typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0 && parsed.f === fingerprint)
      return parsed.o;
  } catch {
    // fall through: a cursor we did not write
  }
  throw new ValidationError('The cursor does not belong to this query; start again without it', { field: 'cursor' });
}

/** Compiles for pg: the text with $n placeholders and the bound values. */
export function compile(builder: RawBuilder<unknown>, kysely: Kysely<any>): { text: string; values: unknown[] } {
  const compiled = builder.compile(kysely);
  return { text: compiled.sql, values: [...compiled.parameters] };
}

/**
 * The same statement for COPY (…) TO STDOUT, which accepts no bind parameters: each $n becomes
 * current_setting('tributary.qn') (its ::type cast follows it in the text), and `settings` sets those
 * transaction-local values with ordinary bound parameters first.
 */
export function asCopyStatement(compiled: { text: string; values: unknown[] }): {
  copy: string;
  settings: { text: string; values: string[] } | null;
} {
  const copy = compiled.text.replace(/\$(\d+)/g, (_m, n: string) => `current_setting('tributary.q${n}')`);
  if (!compiled.values.length) return { copy, settings: null };
  const calls = compiled.values.map((_v, i) => `set_config('tributary.q${i + 1}', $${i + 1}, true)`);
  return { copy, settings: { text: `SELECT ${calls.join(', ')}`, values: compiled.values.map(settingText) } };
}

function settingText(value: unknown): string {
  if (Array.isArray(value))
    return `{${value.map((v) => `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}
