// Reporting v3 rows → fact rows. Pure: no I/O, no clock.
//
// A report is one JSON array of daily campaign rows, already in the profile's time zone and currency. Ids
// arrive as strings (parseAmazonJson keeps their digits); metrics are JSON numbers, whose shortest decimal
// form (String(n)) is the decimal Amazon wrote, so cost and sales stay exact decimals. Conversions and revenue
// are the report type's purchases and sales columns (amazon-ads-reports.ts); every other column, unknown new
// ones included, goes to extraMetrics.
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { FatalConnectorError, type RecordMeta } from '../contract';
import { RecordShapes } from '../runtime/record-shape';
import { amazonReport } from './amazon-ads-reports';

const unreadable = (detail: string) =>
  new FatalConnectorError(
    `Amazon Ads report ${detail}`,
    'amazon_ads',
    'Amazon Ads returned a report Tributary cannot read.',
  );

export function normalizeAmazonReport(body: unknown, meta: RecordMeta): FactRow[] {
  const report = amazonReport(meta.reportType);
  if (!report) throw unreadable(`of unknown type ${meta.reportType}`);
  if (!Array.isArray(body)) throw unreadable('is not a JSON array of rows');
  const core = new Set([
    'date',
    'campaignId',
    'campaignName',
    'impressions',
    'clicks',
    'cost',
    report.purchases,
    report.sales,
  ]);
  const shapes = new RecordShapes();
  const rows: FactRow[] = new Array(body.length);
  for (let i = 0; i < body.length; i++) {
    const row = body[i] as Record<string, unknown> | null;
    if (typeof row !== 'object' || row === null) throw unreadable('row is not an object');
    const date = row.date;
    if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw unreadable(`row without a day (date=${String(date)})`);
    // fresh arrays per row: RecordShapes keeps the last row's keys to compare the next row's with
    const keys: string[] = [];
    const values: unknown[] = [];
    for (const key in row) {
      if (!core.has(key) && row[key] !== undefined) {
        keys.push(key);
        values.push(row[key]);
      }
    }
    rows[i] = {
      dataType: meta.reportType,
      date,
      accountId: meta.account.id,
      accountName: meta.account.name,
      campaignId: id(row.campaignId),
      campaignName: typeof row.campaignName === 'string' ? row.campaignName : null,
      impressions: decimal(row.impressions),
      clicks: decimal(row.clicks),
      cost: decimal(row.cost),
      // a row without purchases has none: zero, not unknown
      conversions: decimal(row[report.purchases]) ?? '0',
      revenue: decimal(row[report.sales]) ?? '0',
      currency: meta.account.currency,
      extraMetrics: shapes.builderFor(keys)(values),
    };
  }
  return rows;
}

/** An id as its digits; a number that is not a safe integer already lost digits to a float, so it is refused. */
function id(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw unreadable(`id ${v} was read through a float and lost digits`);
    return String(v);
  }
  return null;
}

function decimal(v: unknown): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v;
  return null;
}
