// Where the numbers of a webhook's data sources stand, said on every webhook and feed response: the data's
// as-of time (the newest successful run of its sources) and the oldest last complete day among them, so an
// analyst refreshing in Excel sees a stale source without opening our dashboard.
import type pg from 'pg';
import type { AboutData } from '../data/formats/row-writer';
import type { FeedScope } from './odata/odata-facts';
import { freshnessRows, restatementRows, type FreshnessRow } from './odata/odata-sources';
import { lastSuccessfulRequestAt } from './webhook-access.repository';

/** A source is stale when its last complete day is more than this many days back, or its last run failed. */
export const STALE_AFTER_DAYS = 2;

export interface ScopeFreshness {
  sources: FreshnessRow[];
  asOf: string | null;
  oldestCompleteDay: string | null;
  stale: FreshnessRow[];
}

export async function scopeFreshness(
  client: pg.PoolClient,
  scope: { projectId: string; dataSources?: readonly string[]; platforms?: readonly string[] },
  now: Date,
): Promise<ScopeFreshness> {
  const sources = (
    await freshnessRows(client, { ...scope, organizationId: '', filters: [] }, now.toISOString().slice(0, 10))
  ).filter((s) => s.IsActive);
  const runs = sources
    .map((s) => s.LastSuccessfulRun)
    .filter((x): x is string => typeof x === 'string')
    .sort();
  const days = sources
    .map((s) => s.LastCompleteDay)
    .filter((x): x is string => typeof x === 'string')
    .sort();
  const stale = sources.filter(
    (s) =>
      s.Status === 'failed' ||
      s.LastCompleteDay === null ||
      (typeof s.DaysBehind === 'number' && s.DaysBehind > STALE_AFTER_DAYS),
  );
  return { sources, asOf: runs.at(-1) ?? null, oldestCompleteDay: days[0] ?? null, stale };
}

export function freshnessHeaders(f: ScopeFreshness): Record<string, string> {
  const headers: Record<string, string> = {
    'x-tributary-as-of': f.asOf ?? 'never',
    'x-tributary-sources': String(f.sources.length),
    'x-tributary-stale-sources': String(f.stale.length),
  };
  if (f.oldestCompleteDay) headers['x-tributary-oldest-complete-day'] = f.oldestCompleteDay;
  return headers;
}

/**
 * Freshness plus the restatements finished since this key's previous successful download of the same
 * endpoint (found in the access log, whose path carries the key's visible prefix, never the key).
 */
export async function aboutData(
  client: pg.PoolClient,
  hook: { id: string; key_prefix: string },
  scope: FeedScope,
  freshness: ScopeFreshness,
  endpointPath: string,
): Promise<AboutData> {
  const previous = await lastSuccessfulRequestAt(
    client,
    hook.id,
    endpointPath.replace(/^\/webhook\/v1\/[^/]+/, `/webhook/v1/${hook.key_prefix}…`),
  );
  const since = previous ? new Date(previous).toISOString() : null;
  const restated = (await restatementRows(client, scope)).filter(
    (r) => since === null || (typeof r.RunCompletedAt === 'string' && r.RunCompletedAt > since),
  );
  const staleIds = new Set(freshness.stale.map((s) => s.DataSourceId));
  return {
    as_of: freshness.asOf,
    oldest_complete_day: freshness.oldestCompleteDay,
    sources: freshness.sources.map((s) => ({
      name: s.DataSourceName,
      platform: s.Platform,
      account: s.AccountName ?? s.AccountId,
      last_complete_day: s.LastCompleteDay,
      last_successful_run: s.LastSuccessfulRun,
      status: s.Status,
      stale: staleIds.has(s.DataSourceId),
    })),
    restatements_since: since,
    restatements: restated.slice(0, 1000).map((r) => ({
      date: String(r.Date),
      report: String(r.ReportType),
      metric: String(r.Metric),
      delta: String(r.Delta),
      rows_changed: Number(r.RowsChanged),
      source: String(r.DataSourceName),
      run_completed_at: typeof r.RunCompletedAt === 'string' ? r.RunCompletedAt : null,
    })),
  };
}
