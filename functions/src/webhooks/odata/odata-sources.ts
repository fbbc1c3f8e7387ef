// Restatements and Freshness: small entity sets (per data source; per run, day, report and metric), read
// with one parameterized query each (data-source.repository.ts) and then filtered, sorted and paged in memory
// with the same parsed $filter tree the Facts set uses. The webhook's scope narrows both: only its data sources
// and platforms, and no restatement totals when its scope filters rows (a day's delta covers every campaign).
import type pg from 'pg';
import { listSourceFreshness, listSourceRestatements } from '../../data-sources/data-source.repository';
import { ODataError } from './odata-errors';
import { FRESHNESS_PROPERTIES, RESTATEMENT_PROPERTIES, type PropertyDef } from './odata-model';
import type { FilterNode, Literal, ODataOptions } from './odata-query';
import type { FeedScope } from './odata-facts';

type Row = Record<string, string | number | boolean | null>;

export interface FreshnessRow extends Row {
  DataSourceId: string;
  DataSourceName: string;
  Platform: string;
  AccountId: string | null;
  AccountName: string | null;
  LastCompleteDay: string | null;
  LastSuccessfulRun: string | null;
  Status: string;
  IsActive: boolean;
  DaysBehind: number | null;
}

const METRICS = [
  ['impressions', 'impressionsDelta'],
  ['clicks', 'clicksDelta'],
  ['cost', 'costDelta'],
  ['conversions', 'conversionsDelta'],
  ['revenue', 'revenueDelta'],
] as const;

export async function freshnessRows(client: pg.PoolClient, scope: FeedScope, today: string): Promise<FreshnessRow[]> {
  return (await listSourceFreshness(client, scope)).map((r) => ({
    DataSourceId: r.id,
    DataSourceName: r.sourceName,
    Platform: r.platform,
    AccountId: r.accountId,
    AccountName: r.accountName,
    LastCompleteDay: r.lastCompleteDay,
    LastSuccessfulRun: r.lastSuccessfulRun ? new Date(r.lastSuccessfulRun).toISOString() : null,
    Status: r.status,
    IsActive: r.isActive,
    DaysBehind: r.lastCompleteDay
      ? Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${r.lastCompleteDay}T00:00:00Z`)) / 86_400_000)
      : null,
  }));
}

export async function restatementRows(client: pg.PoolClient, scope: FeedScope): Promise<Row[]> {
  if (scope.filters.length) return [];
  const out: Row[] = [];
  for (const row of await listSourceRestatements(client, scope)) {
    for (const [metric, key] of METRICS) {
      const delta = row.delta[key];
      if (typeof delta !== 'string' || !/^-?\d+(\.\d+)?$/.test(delta) || /^-?0+(\.0+)?$/.test(delta)) continue;
      out.push({
        RunId: row.runId,
        Date: String(row.delta.date),
        ReportType: String(row.delta.dataType),
        Metric: metric,
        DataSourceId: row.dataSourceId,
        DataSourceName: row.sourceName,
        Platform: row.platform,
        RunCompletedAt: row.runCompletedAt ? new Date(row.runCompletedAt).toISOString() : null,
        RowsChanged: Number(row.delta.rowsChanged ?? 0),
        Delta: delta,
      });
    }
  }
  return out;
}

/** $filter/$orderby/$skip/$top/$select/$count over rows already narrowed to the scope. */
export function applyOptions(
  rows: Row[],
  properties: readonly PropertyDef[],
  o: ODataOptions,
): { rows: Row[]; count: number } {
  if (o.apply) throw new ODataError(400, 'NotSupported', '$apply is supported on Facts', '$apply');
  const byName = new Map(properties.map((p) => [p.name, p]));
  const prop = (name: string, target: string) => {
    const p = byName.get(name);
    if (!p) throw new ODataError(400, 'BadRequest', `This entity set has no property ${name}`, target);
    return p;
  };
  const test = o.filter ? compileFilter(o.filter, prop) : () => true;
  const select = (o.select ?? properties.map((p) => p.name)).map((n) => prop(n, '$select').name);
  const order = o.orderBy.map((s) => ({ p: prop(s.property, '$orderby'), desc: s.desc }));
  let kept = rows.filter(test);
  if (order.length) {
    kept = [...kept].sort((a, b) => {
      for (const { p, desc } of order) {
        const c = compareValues(a[p.name] ?? null, b[p.name] ?? null, p);
        if (c !== 0) return desc ? -c : c;
      }
      return 0;
    });
  }
  const count = kept.length;
  const start = o.skip ?? 0;
  kept = kept.slice(start, o.top !== undefined ? start + o.top : undefined);
  return {
    rows: kept.map((r) => Object.fromEntries(select.map((n) => [n, numberOut(r[n] ?? null, byName.get(n)!)]))),
    count,
  };
}

function numberOut(v: Row[string], p: PropertyDef): Row[string] {
  return p.type === 'Edm.Decimal' && typeof v === 'string' ? Number(v) : v;
}

/** nulls sort first ascending, as OData says */
function compareValues(a: Row[string], b: Row[string], p: PropertyDef): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (p.type === 'Edm.Decimal' || p.type === 'Edm.Int64' || p.type === 'Edm.Int32') return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : 1;
}

function compileFilter(node: FilterNode, prop: (name: string, target: string) => PropertyDef): (r: Row) => boolean {
  if ('and' in node) {
    const parts = node.and.map((n) => compileFilter(n, prop));
    return (r) => parts.every((f) => f(r));
  }
  if ('or' in node) {
    const parts = node.or.map((n) => compileFilter(n, prop));
    return (r) => parts.some((f) => f(r));
  }
  if ('not' in node) {
    const inner = compileFilter(node.not, prop);
    return (r) => !inner(r);
  }
  const p = prop(node.property, '$filter');
  if ('call' in node) {
    if (p.type !== 'Edm.String' || node.literal.kind !== 'string')
      throw new ODataError(400, 'BadRequest', `${node.call}() takes a text property and a text`, '$filter');
    const needle = node.literal.value;
    const fn =
      node.call === 'contains'
        ? (s: string) => s.includes(needle)
        : node.call === 'startswith'
          ? (s: string) => s.startsWith(needle)
          : (s: string) => s.endsWith(needle);
    return (r) => typeof r[p.name] === 'string' && fn(r[p.name] as string);
  }
  const value = literalFor(node.literal, p);
  const op = node.compare;
  return (r) => {
    const v = r[p.name] ?? null;
    if (value === null || v === null) return op === 'eq' ? v === value : op === 'ne' ? v !== value : false;
    const c = compareValues(v, value, p);
    return { eq: c === 0, ne: c !== 0, gt: c > 0, ge: c >= 0, lt: c < 0, le: c <= 0 }[op];
  };
}

function literalFor(lit: Literal, p: PropertyDef): Row[string] {
  if (lit.kind === 'null') return null;
  const ok =
    (p.type === 'Edm.String' && lit.kind === 'string') ||
    (p.type === 'Edm.Date' && lit.kind === 'date') ||
    (p.type === 'Edm.DateTimeOffset' && (lit.kind === 'datetime' || lit.kind === 'date')) ||
    (p.type === 'Edm.Boolean' && lit.kind === 'boolean') ||
    ((p.type === 'Edm.Decimal' || p.type === 'Edm.Int64' || p.type === 'Edm.Int32') && lit.kind === 'number');
  if (!ok)
    throw new ODataError(400, 'BadRequest', `${p.name} (${p.type}) cannot be compared with that value`, '$filter');
  if (p.type === 'Edm.DateTimeOffset') return new Date(String(lit.value)).toISOString();
  return lit.value;
}

export const SMALL_SETS = {
  Freshness: FRESHNESS_PROPERTIES,
  Restatements: RESTATEMENT_PROPERTIES,
} as const;
