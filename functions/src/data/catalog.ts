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

export const STANDARD_CATALOG: CatalogEntry[] = [
  { id: 'impressions', name: 'Impressions', kind: 'metric', unit: 'count', description: 'Times an ad was shown' },
  { id: 'clicks', name: 'Clicks', kind: 'metric', unit: 'count', description: 'Clicks on an ad' },
  {
    id: 'cost',
    name: 'Cost',
    kind: 'metric',
    unit: 'currency',
    description: "Spend, converted to the requested currency with each day's rate",
  },
  {
    id: 'conversions',
    name: 'Conversions',
    kind: 'metric',
    unit: 'count',
    description: 'Conversions attributed by the platform',
  },
  {
    id: 'revenue',
    name: 'Revenue',
    kind: 'metric',
    unit: 'currency',
    description: 'Conversion value or order revenue',
  },
  { id: 'ctr', name: 'CTR', kind: 'derived_metric', unit: 'ratio', description: 'sum(clicks) / sum(impressions)' },
  { id: 'cpc', name: 'CPC', kind: 'derived_metric', unit: 'currency', description: 'sum(cost) / sum(clicks)' },
  {
    id: 'cpm',
    name: 'CPM',
    kind: 'derived_metric',
    unit: 'currency',
    description: 'sum(cost) × 1000 / sum(impressions)',
  },
  {
    id: 'conversion_rate',
    name: 'Conversion rate',
    kind: 'derived_metric',
    unit: 'ratio',
    description: 'sum(conversions) / sum(clicks)',
  },
  { id: 'cpa', name: 'CPA', kind: 'derived_metric', unit: 'currency', description: 'sum(cost) / sum(conversions)' },
  { id: 'roas', name: 'ROAS', kind: 'derived_metric', unit: 'ratio', description: 'sum(revenue) / sum(cost)' },
  { id: 'aov', name: 'AOV', kind: 'derived_metric', unit: 'currency', description: 'sum(revenue) / sum(conversions)' },
  {
    id: 'date',
    name: 'Date',
    kind: 'dimension',
    unit: 'date',
    description: "The account's reporting day, in the account's time zone",
  },
  { id: 'week', name: 'Week', kind: 'dimension', unit: 'date', description: 'Monday of the ISO week' },
  { id: 'month', name: 'Month', kind: 'dimension', unit: 'date', description: 'First day of the month' },
  { id: 'platform', name: 'Platform', kind: 'dimension', unit: 'text', description: 'google_ads, meta_ads, ga4, …' },
  {
    id: 'data_source',
    name: 'Data source',
    kind: 'dimension',
    unit: 'text',
    description: 'The connected data source id',
  },
  {
    id: 'data_type',
    name: 'Report',
    kind: 'dimension',
    unit: 'text',
    description: 'The platform report the row came from',
  },
  { id: 'account', name: 'Account', kind: 'dimension', unit: 'text', description: 'Account id and name' },
  { id: 'campaign', name: 'Campaign', kind: 'dimension', unit: 'text', description: 'Campaign id and name' },
  { id: 'ad_group', name: 'Ad group', kind: 'dimension', unit: 'text', description: 'Ad group (ad set) id and name' },
  { id: 'ad', name: 'Ad', kind: 'dimension', unit: 'text', description: 'Ad id and name' },
  { id: 'currency', name: 'Currency', kind: 'dimension', unit: 'text', description: "The row's original currency" },
];

/** Extra dimensions whose meaning changes how totals are read. */
const EXTRA_DIMENSION_DESCRIPTIONS: Record<string, string> = {
  native_platform:
    "The platform whose own connector also reports this row (Metricool's Facebook Ads: meta_ads, Google Ads: google_ads, Instagram: instagram). Such rows are left out while the project has a data source of that platform, so nothing is summed twice; ask for platform=metricool alone to see them",
};

/** Extra keys seen in the 90 days up to the project's latest fact (not today: a paused project keeps its catalog) (within the given data sources, if any). */
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
