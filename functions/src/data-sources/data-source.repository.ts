// What the public webhook and its OData feed read about a project's data sources: each source's freshness and
// the restatements its runs recorded. Plain functions over the request's pg connection, which already carries
// the webhook's organization (RLS applies), as webhook-access.repository.ts does: one parameterized query each
// and no query builder on the webhook's path.
import type pg from 'pg';

/** Which of the project's data sources a webhook sees: all, or only the listed ids and platforms. */
export interface SourceFilter {
  projectId: string;
  dataSources?: readonly string[];
  platforms?: readonly string[];
}

/** The filter as SQL over `ds` ($1 project, $2 source ids or null, $3 platforms or null). */
const SCOPED =
  'ds.project_id = $1::uuid AND ($2::uuid[] IS NULL OR ds.id = ANY($2::uuid[])) ' +
  'AND ($3::text[] IS NULL OR ds.platform = ANY($3::text[]))';
const filterValues = (f: SourceFilter) => [
  f.projectId,
  f.dataSources ? [...f.dataSources] : null,
  f.platforms ? [...f.platforms] : null,
];

export interface SourceFreshnessRecord {
  id: string;
  sourceName: string;
  platform: string;
  /** the account as checked, else as configured */
  accountId: string | null;
  accountName: string | null;
  /** last_successful_date: the last complete day */
  lastCompleteDay: string | null;
  /** when the newest succeeded or partial run completed */
  lastSuccessfulRun: Date | null;
  status: string;
  isActive: boolean;
}

/** The filtered sources by platform and name, with their newest successful run. */
export async function listSourceFreshness(c: pg.PoolClient, filter: SourceFilter): Promise<SourceFreshnessRecord[]> {
  const { rows } = await c.query<{
    id: string;
    source_name: string;
    platform: string;
    account_id: string | null;
    account_name: string | null;
    last_day: string | null;
    last_run: Date | null;
    status: string;
    is_active: boolean;
  }>(
    `SELECT ds.id::text, ds.source_name, ds.platform,
            coalesce(ds.account_info ->> 'id', ds.extraction_config ->> 'account_id') AS account_id,
            ds.account_info ->> 'name' AS account_name, ds.last_successful_date::text AS last_day,
            ds.extraction_status AS status, ds.is_active,
            (SELECT max(j.completed_at) FROM extraction_jobs j
              WHERE j.data_source_id = ds.id AND j.status IN ('succeeded', 'partial')) AS last_run
       FROM data_sources ds
      WHERE ${SCOPED}
      ORDER BY ds.platform, ds.source_name`,
    filterValues(filter),
  );
  return rows.map((r) => ({
    id: r.id,
    sourceName: r.source_name,
    platform: r.platform,
    accountId: r.account_id,
    accountName: r.account_name,
    lastCompleteDay: r.last_day,
    lastSuccessfulRun: r.last_run,
    status: r.status,
    isActive: r.is_active,
  }));
}

export interface SourceRestatementRecord {
  runId: string;
  dataSourceId: string;
  sourceName: string;
  platform: string;
  runCompletedAt: Date | null;
  /** one element of the run's restatements: a day and data type's deltas, as the fact loader recorded it */
  delta: Record<string, unknown>;
}

/** Every restatement the filtered sources' runs recorded, newest run first (at most 200,000). */
export async function listSourceRestatements(
  c: pg.PoolClient,
  filter: SourceFilter,
): Promise<SourceRestatementRecord[]> {
  const { rows } = await c.query<{
    run_id: string;
    ds_id: string;
    source_name: string;
    platform: string;
    completed_at: Date | null;
    r: Record<string, unknown>;
  }>(
    `SELECT j.id::text AS run_id, ds.id::text AS ds_id, ds.source_name, ds.platform, j.completed_at, r
       FROM extraction_jobs j
       JOIN data_sources ds ON ds.id = j.data_source_id
       CROSS JOIN LATERAL jsonb_array_elements(j.restatements) r
      WHERE ${SCOPED}
        AND jsonb_typeof(j.restatements) = 'array'
      ORDER BY j.completed_at DESC NULLS LAST, j.id, r ->> 'date', r ->> 'dataType'
      LIMIT 200000`,
    filterValues(filter),
  );
  return rows.map((r) => ({
    runId: r.run_id,
    dataSourceId: r.ds_id,
    sourceName: r.source_name,
    platform: r.platform,
    runCompletedAt: r.completed_at,
    delta: r.r,
  }));
}
