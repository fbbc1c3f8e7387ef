// The feed's entity data model: three entity sets and how each property maps onto the shared query builder
// (Facts) or onto a plain parameterized read (Restatements, Freshness). $metadata (CSDL 4.0 XML) and the
// service document are generated from these tables, so what a client is told and what the server accepts
// cannot drift apart. The document references no external vocabulary (Power Query would try to fetch it);
// $apply is accepted without being advertised.
import type { BaseMetric, DerivedMetric, StandardDimension } from '../../data/query.schemas';

export const NAMESPACE = 'Tributary';
export const CONTAINER = 'Feed';

export type EdmType =
  'Edm.Date' | 'Edm.String' | 'Edm.Int64' | 'Edm.Int32' | 'Edm.Decimal' | 'Edm.DateTimeOffset' | 'Edm.Boolean';

export interface PropertyDef {
  name: string;
  type: EdmType;
  nullable: boolean;
  /** Edm.Decimal only */
  scale?: number;
  precision?: number;
}

export interface FactProperty extends PropertyDef {
  /** the builder's output column key */
  column: string;
  /** the builder's filter field ('date' is the fact's day) */
  filterField: string;
  /** the builder dimension that brings this column, or the metric */
  dimension?: StandardDimension;
  metric?: BaseMetric | DerivedMetric;
}

const money = { type: 'Edm.Decimal', precision: 28, scale: 6 } as const;
const dim = (name: string, column: string, dimension: StandardDimension, nullable = true): FactProperty => ({
  name,
  type: 'Edm.String',
  nullable,
  column,
  filterField: column,
  dimension,
});
const metric = (
  name: string,
  m: BaseMetric | DerivedMetric,
  def: Pick<PropertyDef, 'type' | 'precision' | 'scale'>,
): FactProperty => ({ name, nullable: true, column: m, filterField: m, metric: m, ...def });

/** One row per day at the finest grain the data has, in each row's own currency. */
export const FACT_PROPERTIES: readonly FactProperty[] = [
  { name: 'Date', type: 'Edm.Date', nullable: false, column: 'date', filterField: 'date', dimension: 'date' },
  dim('Platform', 'platform', 'platform', false),
  dim('DataSourceId', 'data_source_id', 'data_source', false),
  dim('ReportType', 'data_type', 'data_type', false),
  dim('AccountId', 'account_id', 'account'),
  dim('AccountName', 'account_name', 'account'),
  dim('CampaignId', 'campaign_id', 'campaign'),
  dim('CampaignName', 'campaign_name', 'campaign'),
  dim('AdGroupId', 'ad_group_id', 'ad_group'),
  dim('AdGroupName', 'ad_group_name', 'ad_group'),
  dim('AdId', 'ad_id', 'ad'),
  dim('AdName', 'ad_name', 'ad'),
  dim('Currency', 'currency', 'currency'),
  metric('Impressions', 'impressions', { type: 'Edm.Int64' }),
  metric('Clicks', 'clicks', { type: 'Edm.Int64' }),
  metric('Cost', 'cost', money),
  metric('Conversions', 'conversions', { type: 'Edm.Decimal', precision: 28, scale: 6 }),
  metric('Revenue', 'revenue', money),
  metric('CTR', 'ctr', { type: 'Edm.Decimal', precision: 28, scale: 6 }),
  metric('CPC', 'cpc', money),
  metric('CPM', 'cpm', money),
  metric('ConversionRate', 'conversion_rate', { type: 'Edm.Decimal', precision: 28, scale: 6 }),
  metric('CPA', 'cpa', money),
  metric('ROAS', 'roas', { type: 'Edm.Decimal', precision: 28, scale: 6 }),
  metric('AOV', 'aov', money),
];
export const FACT_BY_NAME = new Map(FACT_PROPERTIES.map((p) => [p.name, p]));

/** Per run, day, report and metric: how much the platform changed numbers already delivered. */
export const RESTATEMENT_PROPERTIES: readonly PropertyDef[] = [
  { name: 'RunId', type: 'Edm.String', nullable: false },
  { name: 'Date', type: 'Edm.Date', nullable: false },
  { name: 'ReportType', type: 'Edm.String', nullable: false },
  { name: 'Metric', type: 'Edm.String', nullable: false },
  { name: 'DataSourceId', type: 'Edm.String', nullable: false },
  { name: 'DataSourceName', type: 'Edm.String', nullable: false },
  { name: 'Platform', type: 'Edm.String', nullable: false },
  { name: 'RunCompletedAt', type: 'Edm.DateTimeOffset', nullable: true },
  { name: 'RowsChanged', type: 'Edm.Int64', nullable: false },
  { name: 'Delta', type: 'Edm.Decimal', nullable: false, precision: 28, scale: 6 },
];

/** Per data source: where its numbers stand. */
export const FRESHNESS_PROPERTIES: readonly PropertyDef[] = [
  { name: 'DataSourceId', type: 'Edm.String', nullable: false },
  { name: 'DataSourceName', type: 'Edm.String', nullable: false },
  { name: 'Platform', type: 'Edm.String', nullable: false },
  { name: 'AccountId', type: 'Edm.String', nullable: true },
  { name: 'AccountName', type: 'Edm.String', nullable: true },
  { name: 'LastCompleteDay', type: 'Edm.Date', nullable: true },
  { name: 'LastSuccessfulRun', type: 'Edm.DateTimeOffset', nullable: true },
  { name: 'Status', type: 'Edm.String', nullable: false },
  { name: 'IsActive', type: 'Edm.Boolean', nullable: false },
  { name: 'DaysBehind', type: 'Edm.Int32', nullable: true },
];

export interface EntitySetDef {
  name: 'Facts' | 'Restatements' | 'Freshness';
  type: string;
  properties: readonly PropertyDef[];
  keys: readonly string[];
}

export const ENTITY_SETS: readonly EntitySetDef[] = [
  {
    name: 'Facts',
    type: 'Fact',
    properties: FACT_PROPERTIES,
    keys: ['Date', 'DataSourceId', 'ReportType', 'AccountId', 'CampaignId', 'AdGroupId', 'AdId'],
  },
  {
    name: 'Restatements',
    type: 'Restatement',
    properties: RESTATEMENT_PROPERTIES,
    keys: ['RunId', 'Date', 'ReportType', 'Metric'],
  },
  { name: 'Freshness', type: 'SourceFreshness', properties: FRESHNESS_PROPERTIES, keys: ['DataSourceId'] },
];
export const ENTITY_SET_BY_NAME = new Map(ENTITY_SETS.map((e) => [e.name as string, e]));

const xmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * CSDL 4.0. Key properties must not be nullable, so Facts' key names the columns that are never null in
 * practice (ids absent at a coarser report grain come out as empty keys in CSDL terms): we declare the
 * key for clients that need one and keep the id columns Nullable="false" only where the table says so.
 */
export function metadataXml(): string {
  const types = ENTITY_SETS.map((set) => {
    const keyProps = set.keys.filter((k) => !set.properties.find((p) => p.name === k)?.nullable);
    const props = set.properties
      .map((p) => {
        const facets = p.type === 'Edm.Decimal' ? ` Precision="${p.precision ?? 28}" Scale="${p.scale ?? 6}"` : '';
        return `        <Property Name="${xmlAttr(p.name)}" Type="${p.type}" Nullable="${p.nullable ? 'true' : 'false'}"${facets}/>`;
      })
      .join('\n');
    return `      <EntityType Name="${set.type}">
        <Key>${keyProps.map((k) => `<PropertyRef Name="${k}"/>`).join('')}</Key>
${props}
      </EntityType>`;
  }).join('\n');
  const sets = ENTITY_SETS.map((s) => `        <EntitySet Name="${s.name}" EntityType="${NAMESPACE}.${s.type}"/>`).join(
    '\n',
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="${NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">
${types}
      <EntityContainer Name="${CONTAINER}">
${sets}
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
`;
}

export function serviceDocument(root: string): string {
  return JSON.stringify({
    '@odata.context': `${root}$metadata`,
    value: ENTITY_SETS.map((s) => ({ name: s.name, kind: 'EntitySet', url: s.name })),
  });
}
