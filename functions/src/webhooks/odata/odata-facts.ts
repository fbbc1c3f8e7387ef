// The Facts entity set: OData options → the shared query builder's DataQuery, predicates and keyset, then
// one page out of PostgreSQL: the builder's rows as one COPY … TO STDOUT (text format), which Node's
// precompiled writer (facts-writer.ts) turns into entities while PostgreSQL reads on.
//
// Paging is by keyset. Raw facts with no $orderby follow the natural key (data source, report, day,
// row key), which the fact table's unique index serves, so the millionth row costs what the first does.
// The next link's $skiptoken carries the last row's key values, the query's fingerprint, and what the
// first page measured (data version, count, date range), so later pages skip the preflight.
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely, PostgresDialect, type RawBuilder } from 'kysely';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { ValidationError } from '@tributary/shared/domain/errors';
import {
  asCopyStatement,
  buildFactQuery,
  compile,
  type Predicate,
  type PredicateLeaf,
  type QueryScope,
} from '../../data/query-builder';
import { BASE_METRICS, DataQuerySchema, type Dimension, type Filter, type Metric } from '../../data/query.schemas';
import { FactsPageWriter, type FieldKind, type WriterField } from './facts-writer';
import { ODataError } from './odata-errors';
import { FACT_BY_NAME, FACT_PROPERTIES, type FactProperty } from './odata-model';
import type { FilterNode, Literal, ODataOptions } from './odata-query';

/** Rows per page unless the client prefers fewer: about 4 MB of JSON, inside a Lambda's 6 MB unthrottled burst. */
export const DEFAULT_PAGE_ROWS = 10_000;
export const MAX_PAGE_ROWS = 10_000;
const MIN_DATE = '1990-01-01';
const MAX_DATE = '2199-12-31';

export interface FeedScope {
  organizationId: string;
  projectId: string;
  dataSources?: readonly string[];
  platforms?: readonly string[];
  filters: readonly Filter[];
}

interface OutputProperty {
  name: string;
  column: string;
  kind: FieldKind;
}

export interface PlannedFacts {
  query: ReturnType<typeof DataQuerySchema.parse>;
  where?: Predicate;
  having?: Predicate;
  output: OutputProperty[];
  from: string;
  to: string;
  contextSelect: string | null;
}

const ALL_DIMENSIONS: Dimension[] = [
  'date',
  'platform',
  'data_source',
  'data_type',
  'account',
  'campaign',
  'ad_group',
  'ad',
  'currency',
];

export function planFacts(o: ODataOptions): PlannedFacts {
  const bounds = { from: MIN_DATE, to: MAX_DATE };
  if (!o.apply) {
    const known = (name: string, target: string) => requireFactProperty(name, target);
    const output = (o.select ?? FACT_PROPERTIES.map((p) => p.name)).map((n) => known(n, '$select')).map(outputOf);
    const where = o.filter ? toPredicate(o.filter, (n) => factField(known(n, '$filter'))) : undefined;
    if (o.filter) narrowDates(o.filter, bounds);
    const sort = o.orderBy.map((s) => ({
      field: known(s.property, '$orderby').column,
      direction: s.desc ? 'desc' : 'asc',
    }));
    const query = DataQuerySchema.parse({
      date_range: { start_date: bounds.from, end_date: bounds.to },
      aggregation: 'none',
      dimensions: ALL_DIMENSIONS,
      metrics: FACT_PROPERTIES.filter((p) => p.metric).map((p) => p.metric),
      sort,
      currency: 'native',
    });
    return { query, where, output, ...bounds, contextSelect: o.select ? o.select.join(',') : null };
  }

  const plan = o.apply;
  const groupProps = plan.groupBy.map((n) => {
    const p = requireFactProperty(n, '$apply');
    if (!p.dimension) throw new ODataError(400, 'BadRequest', `${n} is a measure; group by dimensions`, '$apply');
    return p;
  });
  const aliases = new Map<string, FactProperty>();
  for (const a of plan.aggregates) {
    const p = requireFactProperty(a.property, '$apply');
    if (!p.metric || !(BASE_METRICS as readonly string[]).includes(p.metric)) {
      throw new ODataError(
        400,
        'NotSupported',
        `${a.property} cannot be summed (ratios are recomputed from sums; group and select them instead)`,
        '$apply',
      );
    }
    if (aliases.has(a.alias) || (FACT_BY_NAME.has(a.alias) && a.alias !== a.property))
      throw new ODataError(400, 'BadRequest', `The alias ${a.alias} is already a property name`, '$apply');
    if ([...aliases.values()].includes(p))
      throw new ODataError(400, 'NotSupported', `${a.property} is aggregated twice`, '$apply');
    aliases.set(a.alias, p);
  }
  const outputNames = new Map<string, FactProperty>([...groupProps.map((p) => [p.name, p] as const), ...aliases]);
  const known = (name: string, target: string): FactProperty => {
    const p = outputNames.get(name);
    if (!p)
      throw new ODataError(
        400,
        'BadRequest',
        `${name} is not a property of the $apply result (${[...outputNames.keys()].join(', ')})`,
        target,
      );
    return p;
  };
  const before = plan.before.length
    ? { and: plan.before.map((f) => toPredicate(f, (n) => factField(requireFactProperty(n, '$apply')))) }
    : undefined;
  plan.before.forEach((f) => narrowDates(f, bounds));
  const afterNodes = [...plan.after, ...(o.filter ? [o.filter] : [])];
  const having = afterNodes.length
    ? { and: afterNodes.map((f) => toPredicate(f, (n) => factField(known(n, '$filter')))) }
    : undefined;
  const dims = [...new Set(groupProps.map((p) => p.dimension!))];
  const metrics = [...aliases.values()].map((p) => p.metric as Metric);
  const query = DataQuerySchema.parse({
    date_range: { start_date: bounds.from, end_date: bounds.to },
    aggregation: dims.includes('date') ? 'daily' : 'total',
    dimensions: dims,
    metrics: metrics.length ? metrics : ['impressions'],
    sort: o.orderBy.map((s) => ({ field: known(s.property, '$orderby').column, direction: s.desc ? 'desc' : 'asc' })),
    currency: 'native',
  });
  const output: OutputProperty[] = [
    ...groupProps.map(outputOf),
    ...[...aliases].map(([alias, p]) => ({ ...outputOf(p), name: alias })),
  ];
  // sums of money never add currencies together: the builder groups by currency, and the rows say which
  if (metrics.some((m) => m === 'cost' || m === 'revenue') && !groupProps.some((p) => p.name === 'Currency'))
    output.push(outputOf(FACT_BY_NAME.get('Currency')!));
  let selected = output;
  if (o.select) {
    selected = o.select.map((n) => {
      const found = output.find((x) => x.name === n);
      if (!found) throw new ODataError(400, 'BadRequest', `${n} is not a property of the $apply result`, '$select');
      return found;
    });
  }
  return {
    query,
    where: before,
    having,
    output: selected,
    ...bounds,
    contextSelect: selected.map((p) => p.name).join(','),
  };
}

function requireFactProperty(name: string, target: string): FactProperty {
  const p = FACT_BY_NAME.get(name);
  if (!p) throw new ODataError(400, 'BadRequest', `Facts has no property ${name}`, target);
  return p;
}

function outputOf(p: FactProperty): OutputProperty {
  const kind: FieldKind =
    p.type === 'Edm.Int64' ? 'int64' : p.type === 'Edm.String' || p.type === 'Edm.Date' ? 'text' : 'number';
  return { name: p.name, column: p.column, kind };
}

interface FieldRef {
  field: string;
  kind: 'date' | 'text' | 'number';
}
function factField(p: FactProperty): FieldRef {
  return { field: p.filterField, kind: p.type === 'Edm.Date' ? 'date' : p.type === 'Edm.String' ? 'text' : 'number' };
}

const OPS = { eq: 'eq', ne: 'neq', gt: 'gt', ge: 'gte', lt: 'lt', le: 'lte' } as const;

/** FilterNode (property names) → the builder's Predicate (its field names), checking every literal's type. */
export function toPredicate(node: FilterNode, resolve: (name: string) => FieldRef): Predicate {
  if ('and' in node) return { and: node.and.map((n) => toPredicate(n, resolve)) };
  if ('or' in node) return { or: node.or.map((n) => toPredicate(n, resolve)) };
  if ('not' in node) return { not: toPredicate(node.not, resolve) };
  const ref = resolve(node.property);
  if ('call' in node) {
    if (ref.kind !== 'text' || node.literal.kind !== 'string')
      throw new ODataError(400, 'BadRequest', `${node.call}() takes a text property and a text`, '$filter');
    return { field: ref.field, op: node.call, value: node.literal.value } as PredicateLeaf;
  }
  const lit = node.literal;
  if (lit.kind === 'null') {
    if (node.compare !== 'eq' && node.compare !== 'ne')
      throw new ODataError(400, 'BadRequest', 'null compares with eq or ne only', '$filter');
    return { field: ref.field, op: node.compare === 'eq' ? 'null' : 'notnull' };
  }
  if (ref.kind === 'date') return dateLeaf(ref.field, node.compare, lit);
  if (ref.kind === 'number' && lit.kind !== 'number')
    throw new ODataError(400, 'BadRequest', `${node.property} compares with a number`, '$filter');
  if (ref.kind === 'text' && lit.kind !== 'string')
    throw new ODataError(400, 'BadRequest', `${node.property} compares with a text in quotes`, '$filter');
  return { field: ref.field, op: OPS[node.compare], value: String(lit.value) };
}

/** A date compared with a day, or with a timestamp (Power BI's RangeStart/RangeEnd), read as UTC. */
function dateLeaf(field: string, op: keyof typeof OPS, lit: Literal): Predicate {
  if (lit.kind === 'date') return { field, op: OPS[op], value: lit.value };
  if (lit.kind !== 'datetime')
    throw new ODataError(400, 'BadRequest', 'Date compares with a date such as 2026-01-31', '$filter');
  const t = new Date(lit.value);
  if (Number.isNaN(t.getTime())) throw new ODataError(400, 'BadRequest', `Not a timestamp: ${lit.value}`, '$filter');
  const day = t.toISOString().slice(0, 10);
  if (t.toISOString().slice(11) === '00:00:00.000Z') return { field, op: OPS[op], value: day };
  // a time inside `day`: the day itself is after a `ge`/`gt` bound's instant only from the next day on
  switch (op) {
    case 'ge':
    case 'gt':
      return { field, op: 'gt', value: day };
    case 'le':
    case 'lt':
      return { field, op: 'lte', value: day };
    case 'eq':
      return { or: [] };
    case 'ne':
      return { and: [] };
  }
}

/** Tightens [from, to] from the top-level AND of a filter, so the scan reads only the months it needs. */
function narrowDates(node: FilterNode, bounds: { from: string; to: string }): void {
  if ('and' in node) return node.and.forEach((n) => narrowDates(n, bounds));
  if (!('compare' in node) || node.property !== 'Date') return;
  const leaf = dateLeaf('date', node.compare, node.literal);
  if (!('op' in leaf) || !('value' in leaf)) return;
  const day = String(leaf.value);
  const shift = (d: string, n: number) =>
    new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
  const lower = leaf.op === 'gte' || leaf.op === 'eq' ? day : leaf.op === 'gt' ? shift(day, 1) : null;
  const upper = leaf.op === 'lte' || leaf.op === 'eq' ? day : leaf.op === 'lt' ? shift(day, -1) : null;
  if (lower && lower > bounds.from) bounds.from = lower;
  if (upper && upper < bounds.to) bounds.to = upper;
}

export interface PageToken {
  /** fingerprint of the query options the token belongs to */
  f: string;
  /** the last row's order values */
  a: (string | null)[];
  /** data version and count measured by the first page */
  v: string;
  c: number | null;
  /** rows delivered so far (for $top) */
  n: number;
}

export function encodeToken(t: PageToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

export function decodeToken(text: string, fingerprint: string): PageToken {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as PageToken;
    if (
      t.f === fingerprint &&
      Array.isArray(t.a) &&
      t.a.every((x) => x === null || typeof x === 'string') &&
      typeof t.v === 'string' &&
      Number.isInteger(t.n)
    )
      return t;
  } catch {
    // fall through
  }
  throw new ODataError(
    400,
    'BadRequest',
    'The $skiptoken does not belong to this query; start again from the first page',
    '$skiptoken',
  );
}

export interface FactsPageRequest {
  scope: FeedScope;
  options: ODataOptions;
  /** hash of the query options except $skiptoken */
  fingerprint: string;
  pageSize: number;
  ifNoneMatch?: string;
  /** builds the next link from a $skiptoken */
  nextLink: (token: string) => string;
  context: string;
  headers: Record<string, string>;
}

export interface FactsPageResult {
  status: number;
  rows: number;
}

/** One page of Facts into `head(...)`'s stream; everything that can refuse it runs before the head. */
export async function serveFactsPage(
  client: pg.PoolClient,
  req: FactsPageRequest,
  head: (status: number, headers: Record<string, string>) => Writable,
): Promise<FactsPageResult> {
  const planned = planFacts(req.options);
  const token = req.options.skipToken ? decodeToken(req.options.skipToken, req.fingerprint) : null;
  const delivered = token?.n ?? 0;
  const remaining = req.options.top !== undefined ? Math.max(0, req.options.top - delivered) : Infinity;
  const pageRows = Math.min(req.pageSize, remaining);
  const scope: QueryScope = {
    organizationId: req.scope.organizationId,
    projectId: req.scope.projectId,
    from: planned.from,
    to: planned.to,
    dataSources: req.scope.dataSources,
    platforms: req.scope.platforms,
    filters: req.scope.filters,
    currency: 'native',
  };
  const build = (limit: number) =>
    buildFactQuery(planned.query, scope, {
      where: planned.where,
      having: planned.having,
      keyset: { after: token?.a ?? null, limit, offset: token ? 0 : (req.options.skip ?? 0), literalKeys: true },
    });
  const built = build(pageRows + 1);

  let version = token?.v ?? '';
  let count = token?.c ?? null;
  if (!token) {
    const pre = (await run<{ version: Date | null; fact_rows: string }>(client, built.version)).rows[0]!;
    version = `${pre.version ? new Date(pre.version).toISOString() : '-'}/${pre.fact_rows}`;
    // @odata.count is every matching entity, whatever $top and $skip
    if (req.options.count)
      count =
        built.aggregation === 'none'
          ? Number(pre.fact_rows)
          : Number((await run<{ n: string }>(client, built.countRows)).rows[0]!.n);
  }
  const etag = `"${createHash('sha256')
    .update(JSON.stringify([req.fingerprint, req.options.skipToken ?? null, version, req.pageSize]))
    .digest('base64url')
    .slice(0, 32)}"`;
  const headers = { ...req.headers, etag, 'x-tributary-date-range': `${planned.from}/${planned.to}` };
  if (req.ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
    head(304, headers).end();
    return { status: 304, rows: 0 };
  }

  const out = head(200, headers);
  const prefix = `{"@odata.context":${JSON.stringify(req.context + (planned.contextSelect ? `(${planned.contextSelect})` : ''))}${count !== null ? `,"@odata.count":${count}` : ''},"value":[`;
  if (pageRows === 0) {
    out.end(`${prefix}]}`);
    return { status: 200, rows: 0 };
  }
  const writer = factsWriter(built.columns, built.keyColumns, planned.output, pageRows, prefix);
  const { setup, copy } = pageCopy(built);
  await client.query(setup.text, setup.values);
  const source = client.query(copyTo(copy));
  await pipeline(
    source,
    writer,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const c of chunks) yield c;
      const next =
        writer.lastKeys && writer.more
          ? req.nextLink(
              encodeToken({
                f: req.fingerprint,
                a: writer.lastKeys,
                v: version,
                c: count,
                n: delivered + writer.rows,
              }),
            )
          : null;
      yield Buffer.from(`]${next ? `,"@odata.nextLink":${JSON.stringify(next)}` : ''}}`);
    },
    out,
  );
  return { status: 200, rows: writer.rows };
}

/**
 * A page as one COPY … TO STDOUT (text format) of the builder's rows, and the statement that prepares it
 * (COPY's values as transaction settings; the keyset's natural key is in the text as checked literals, see
 * the builder's `literalKeys`). The date style is pinned so a date field is ISO whatever the role's setting.
 */
export function pageCopy(built: ReturnType<typeof buildFactQuery>): {
  setup: { text: string; values: string[] };
  select: string;
  copy: string;
} {
  const { copy, settings } = asCopyStatement(compile(built.rows, compiler));
  const datestyle = `set_config('datestyle', 'ISO, YMD', true)`;
  return {
    setup: {
      text: `${settings ? `${settings.text}, ` : 'SELECT '}${datestyle}`,
      values: settings?.values ?? [],
    },
    select: copy,
    copy: `COPY (${copy}) TO STDOUT`,
  };
}

/** The page's writer: each output property reads the builder column of the same key. */
export function factsWriter(
  columns: readonly { key: string }[],
  keyColumns: number,
  output: readonly OutputProperty[],
  pageRows: number,
  prefix: string,
): FactsPageWriter {
  const fields: WriterField[] = output.map((p) => {
    const index = columns.findIndex((c) => c.key === p.column);
    if (index < 0) throw new Error(`the query has no column ${p.column}`);
    return { name: p.name, index, kind: p.kind };
  });
  return new FactsPageWriter(fields, columns.length + keyColumns, keyColumns, pageRows, prefix);
}

async function run<R extends pg.QueryResultRow>(
  client: pg.PoolClient,
  builder: RawBuilder<unknown>,
): Promise<pg.QueryResult<R>> {
  const { text, values } = compile(builder, compiler);
  try {
    return await client.query<R>(text, values);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('22'))
      throw new ValidationError('The query could not be run with these values', { sqlstate: code });
    throw e;
  }
}

const compiler = new Kysely<any>({
  dialect: new PostgresDialect({ pool: { connect: () => Promise.reject(new Error('compile only')) } as never }),
});
