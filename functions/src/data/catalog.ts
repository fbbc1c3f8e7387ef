// What a project's data offers: every metric and dimension a query may name, with a description and a
// unit, plus the extra metrics and dimensions its platforms actually delivered (found in the facts).
import type pg from 'pg';

export interface CatalogEntry {
  id: string;
  name: string;
  kind: 'metric' | 'derived_metric' | 'dimension';
  unit: string;
  description: string;
}

type CatalogRow = [id: string, name: string, unit: string, description: string];
/** One table a kind: [id, name, unit, description]. */
const STANDARD_ROWS: Record<CatalogEntry['kind'], CatalogRow[]> = {
  metric: [
    ['impressions', 'Impressions', 'count', 'Times an ad was shown'],
    ['clicks', 'Clicks', 'count', 'Clicks on an ad'],
    ['cost', 'Cost', 'currency', "Spend, converted to the requested currency with each day's rate"],
    ['conversions', 'Conversions', 'count', 'Conversions attributed by the platform'],
    ['revenue', 'Revenue', 'currency', 'Conversion value or order revenue'],
  ],
  derived_metric: [
    ['ctr', 'CTR', 'ratio', 'sum(clicks) / sum(impressions)'],
    ['cpc', 'CPC', 'currency', 'sum(cost) / sum(clicks)'],
    ['cpm', 'CPM', 'currency', 'sum(cost) × 1000 / sum(impressions)'],
    ['conversion_rate', 'Conversion rate', 'ratio', 'sum(conversions) / sum(clicks)'],
    ['cpa', 'CPA', 'currency', 'sum(cost) / sum(conversions)'],
    ['roas', 'ROAS', 'ratio', 'sum(revenue) / sum(cost)'],
    ['aov', 'AOV', 'currency', 'sum(revenue) / sum(conversions)'],
  ],
  dimension: [
    ['date', 'Date', 'date', "The account's reporting day, in the account's time zone"],
    ['week', 'Week', 'date', 'Monday of the ISO week'],
    ['month', 'Month', 'date', 'First day of the month'],
    ['platform', 'Platform', 'text', 'google_ads, meta_ads, ga4, …'],
    ['data_source', 'Data source', 'text', 'The connected data source id'],
    ['data_type', 'Report', 'text', 'The platform report the row came from'],
    ['account', 'Account', 'text', 'Account id and name'],
    ['campaign', 'Campaign', 'text', 'Campaign id and name'],
    ['ad_group', 'Ad group', 'text', 'Ad group (ad set) id and name'],
    ['ad', 'Ad', 'text', 'Ad id and name'],
    ['currency', 'Currency', 'text', "The row's original currency"],
  ],
};

export const STANDARD_CATALOG: CatalogEntry[] = (Object.keys(STANDARD_ROWS) as CatalogEntry['kind'][]).flatMap((kind) =>
  STANDARD_ROWS[kind].map(([id, name, unit, description]) => ({ id, name, kind, unit, description })),
);

/** Extra dimensions whose meaning changes how totals are read. */
const EXTRA_DIMENSION_DESCRIPTIONS: Record<string, string> = {
  native_platform:
    "The platform whose own connector also reports this row (Metricool's Facebook Ads: meta_ads, Google Ads: google_ads, Instagram: instagram). Such rows are left out while the project has a data source of that platform, so nothing is summed twice; ask for platform=metricool alone to see them",
};

/**
 * Extra keys seen in the 90 days up to the project's latest fact (not today: a paused project keeps its catalog)
 * (within the given data sources, if any).
 */
export async function projectCatalog(
  client: pg.ClientBase,
  projectId: string,
  dataSources: readonly string[] | undefined,
  platforms: readonly string[] | undefined,
): Promise<{ entries: CatalogEntry[]; platforms: string[] }> {
  const { rows } = await client.query<{ kind: string; key: string }>(
    `WITH recent AS (
       SELECT platform, extra_metrics, extra_dimensions FROM extracted_data
        WHERE project_id = $1::uuid
          AND data_date >= (SELECT max(data_date) FROM extracted_data WHERE project_id = $1::uuid) - 90
          AND ($2::uuid[] IS NULL OR data_source_id = ANY($2::uuid[])) AND ($3::text[] IS NULL OR platform = ANY($3::text[])))
     SELECT DISTINCT 'platform' AS kind, platform AS key FROM recent
     UNION SELECT DISTINCT 'metric', jsonb_object_keys(extra_metrics) FROM recent
     UNION SELECT DISTINCT 'dimension', jsonb_object_keys(extra_dimensions) FROM recent
     ORDER BY 1, 2 LIMIT 2000`,
    [projectId, dataSources ? [...dataSources] : null, platforms ? [...platforms] : null],
  );
  const entries = [...STANDARD_CATALOG];
  for (const r of rows) {
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(r.key)) continue; // not nameable in a query
    if (r.kind === 'metric')
      entries.push({
        id: `extra_metric.${r.key}`,
        name: r.key,
        kind: 'metric',
        unit: 'number',
        description: 'Platform-specific metric (summed)',
      });
    if (r.kind === 'dimension')
      entries.push({
        id: `extra.${r.key}`,
        name: r.key,
        kind: 'dimension',
        unit: 'text',
        description: EXTRA_DIMENSION_DESCRIPTIONS[r.key] ?? 'Platform-specific dimension',
      });
  }
  return { entries, platforms: rows.filter((r) => r.kind === 'platform').map((r) => r.key) };
}
