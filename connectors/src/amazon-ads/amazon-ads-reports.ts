// The Amazon Ads report types Tributary extracts, declared once: what each asks Reporting v3 for and which of
// its columns are the fact table's conversions and revenue. Each ad product attributes purchases and sales to
// the click's day over its own window (advertising.amazon.com/API/docs/en-us/guides/reporting/v3/columns):
// Sponsored Products 7 days (purchases7d, sales7d), Sponsored Brands 14 days (purchases, sales), Sponsored
// Display 14 days (purchases, sales). A day's numbers can move until its window has passed, so the lookback is
// the window plus the day itself: those days are extracted again on every run.
import type { ReportTypeInfo } from '../contract';

export interface AmazonReportSpec extends ReportTypeInfo {
  adProduct: 'SPONSORED_PRODUCTS' | 'SPONSORED_BRANDS' | 'SPONSORED_DISPLAY';
  reportTypeId: 'spCampaigns' | 'sbCampaigns' | 'sdCampaigns';
  /** the column counted as conversions, and the one counted as revenue */
  purchases: string;
  sales: string;
  attributionDays: number;
  /** every column asked for, `date` first */
  columns: readonly string[];
}

const BASE_COLUMNS = ['date', 'campaignId', 'campaignName', 'campaignStatus', 'impressions', 'clicks', 'cost'] as const;

function spec(
  s: Omit<AmazonReportSpec, 'columns' | 'dimensions' | 'metrics' | 'lookbackDays'> & { extras: readonly string[] },
): AmazonReportSpec {
  const { extras, ...rest } = s;
  return {
    ...rest,
    columns: [...BASE_COLUMNS, s.purchases, s.sales, ...extras],
    dimensions: ['date', 'campaign'],
    // the core metrics, then the platform's own columns behind conversions and revenue and the extras, by their
    // Amazon names: conversions = `purchases`, revenue = `sales` of the report's attribution window
    metrics: [
      'impressions',
      'clicks',
      'cost',
      'conversions',
      'revenue',
      `${s.purchases} (conversions, ${s.attributionDays}-day attribution)`,
      `${s.sales} (revenue, ${s.attributionDays}-day attribution)`,
      'campaignStatus',
      ...extras,
    ],
    lookbackDays: s.attributionDays + 1,
  };
}

export const AMAZON_REPORTS: readonly AmazonReportSpec[] = [
  spec({
    id: 'sp_campaign_daily',
    name: 'Sponsored Products campaigns by day (7-day attribution)',
    adProduct: 'SPONSORED_PRODUCTS',
    reportTypeId: 'spCampaigns',
    purchases: 'purchases7d',
    sales: 'sales7d',
    attributionDays: 7,
    extras: ['unitsSoldClicks7d'],
  }),
  spec({
    id: 'sb_campaign_daily',
    name: 'Sponsored Brands campaigns by day (14-day attribution)',
    adProduct: 'SPONSORED_BRANDS',
    reportTypeId: 'sbCampaigns',
    purchases: 'purchases',
    sales: 'sales',
    attributionDays: 14,
    extras: ['unitsSold'],
  }),
  spec({
    id: 'sd_campaign_daily',
    name: 'Sponsored Display campaigns by day (14-day attribution)',
    adProduct: 'SPONSORED_DISPLAY',
    reportTypeId: 'sdCampaigns',
    purchases: 'purchases',
    sales: 'sales',
    attributionDays: 14,
    extras: ['unitsSold'],
  }),
];

export const AMAZON_REPORT_TYPES: readonly ReportTypeInfo[] = AMAZON_REPORTS.map(
  ({ id, name, dimensions, metrics, lookbackDays }) => ({ id, name, dimensions, metrics, lookbackDays }),
);

export function amazonReport(id: string): AmazonReportSpec | undefined {
  return AMAZON_REPORTS.find((r) => r.id === id);
}
