// Covers GA4 normalize as a pure function on recorded runReport pages: YYYYMMDD dates, string values,
// keyEvents or the older conversions, unknown metrics kept, empty pages without a rows key.
import { describe, expect, it } from 'vitest';
import { FactRowSchema } from '@tributary/shared/domain/fact-row';
import type { RecordMeta } from '../contract';
import { normalizeGa4Page } from './ga4-normalize';

const meta: RecordMeta = {
  account: { id: '312345678', name: 'Shop', currency: 'EUR', timeZone: 'Europe/Madrid' },
  reportType: 'traffic_daily',
  window: { start: '2026-01-01', end: '2026-01-31' },
};

const page = {
  dimensionHeaders: [
    { name: 'date' },
    { name: 'sessionSource' },
    { name: 'sessionMedium' },
    { name: 'sessionCampaignId' },
    { name: 'sessionCampaignName' },
  ],
  metricHeaders: [
    { name: 'sessions', type: 'TYPE_INTEGER' },
    { name: 'keyEvents', type: 'TYPE_INTEGER' },
    { name: 'purchaseRevenue', type: 'TYPE_CURRENCY' },
    { name: 'brandNewMetric', type: 'TYPE_FLOAT' },
  ],
  rows: [
    {
      dimensionValues: [
        { value: '20260101' },
        { value: 'google' },
        { value: 'cpc' },
        { value: '2001' },
        { value: 'brand' },
      ],
      metricValues: [{ value: '1532' }, { value: '12' }, { value: '2210.45' }, { value: '0.5' }],
    },
  ],
  rowCount: 62,
  metadata: { currencyCode: 'EUR', timeZone: 'Europe/Madrid' },
  kind: 'analyticsData#runReport',
};

describe('normalizeGa4Page', () => {
  it('when given a recorded page, it maps date, campaign, key events and revenue, and keeps the rest as extras', () => {
    const [row] = normalizeGa4Page({ body: page, cursor: 'offset:1', index: 0 }, meta);
    expect(row).toEqual({
      dataType: 'traffic_daily',
      date: '2026-01-01',
      accountId: '312345678',
      accountName: 'Shop',
      campaignId: '2001',
      campaignName: 'brand',
      extraDimensions: { sessionSource: 'google', sessionMedium: 'cpc' },
      conversions: '12',
      revenue: '2210.45',
      currency: 'EUR',
      extraMetrics: { sessions: '1532', brandNewMetric: '0.5' },
    });
    expect(FactRowSchema.safeParse(row).success).toBe(true);
  });

  it('when the property still reports the pre-2024 conversions metric, it is read as conversions', () => {
    const old = {
      ...page,
      metricHeaders: [{ name: 'conversions' }],
      rows: [{ dimensionValues: page.rows[0]!.dimensionValues, metricValues: [{ value: '3' }] }],
    };
    expect(normalizeGa4Page({ body: old, cursor: null, index: 0 }, meta)[0]).toMatchObject({
      conversions: '3',
      revenue: null,
    });
  });

  it('when the report is empty (no rows key, no rowCount), it gives no rows', () => {
    expect(
      normalizeGa4Page(
        {
          body: {
            dimensionHeaders: page.dimensionHeaders,
            metricHeaders: page.metricHeaders,
            kind: 'analyticsData#runReport',
          },
          cursor: null,
          index: 0,
        },
        meta,
      ),
    ).toEqual([]);
  });

  it('when the page is not a runReport response (a cut-off body arrives as text), it fails the window', () => {
    expect(() => normalizeGa4Page({ body: '{"dimensionHeaders":[{"na', cursor: null, index: 0 }, meta)).toThrow(
      /not a runReport response/,
    );
  });

  it('when a row has a missing or malformed date (the first row included), it fails the window; rows of one day share the check', () => {
    const withDate = (date: string | undefined) => ({
      dimensionValues: [{ value: date }, ...page.rows[0]!.dimensionValues.slice(1)],
      metricValues: page.rows[0]!.metricValues,
    });
    const pageOf = (...dates: (string | undefined)[]) => ({
      body: { ...page, rows: dates.map(withDate) },
      cursor: null,
      index: 0,
    });
    expect(() => normalizeGa4Page(pageOf(''), meta)).toThrow(/is not YYYYMMDD/);
    expect(() => normalizeGa4Page(pageOf(undefined), meta)).toThrow(/is not YYYYMMDD/);
    expect(() => normalizeGa4Page(pageOf('20260101', '2026-01-02'), meta)).toThrow(/2026-01-02 is not YYYYMMDD/);
    expect(normalizeGa4Page(pageOf('20260101', '20260101', '20260102'), meta).map((r) => r.date)).toEqual([
      '2026-01-01',
      '2026-01-01',
      '2026-01-02',
    ]);
  });
});
