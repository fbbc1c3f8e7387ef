// Covers Amazon Ads normalize and its JSON reading as pure functions: ids past 2^53 kept digit for digit, the
// report type's purchases and sales as conversions and revenue, everything else in extraMetrics.
import { describe, expect, it } from 'vitest';
import { FatalConnectorError, type RecordMeta } from '../contract';
import { normalizeAmazonReport } from './amazon-ads-normalize';
import { parseAmazonJson } from './amazon-json';

const meta = (reportType: string): RecordMeta => ({
  account: { id: '3572424178543413', name: 'Northwind Outdoor (US)', currency: 'USD', timeZone: 'America/Los_Angeles' },
  reportType,
  window: { start: '2026-11-01', end: '2026-11-23' },
});

describe('parseAmazonJson', () => {
  it('when an id is a number past 2^53, it arrives as its exact digits; string ids and metrics are left alone', () => {
    const text =
      '[{"date":"2026-11-01","campaignId":9842312300100000007,"profileId":"42","adGroupId" : 144845211237785,"campaignName":"x \\"campaignId\\":1","cost":21.37}]';
    expect(String(JSON.parse(text)[0].campaignId)).not.toBe('9842312300100000007'); // what a plain parse does
    expect(parseAmazonJson(text)).toEqual([
      {
        date: '2026-11-01',
        campaignId: '9842312300100000007',
        profileId: '42',
        adGroupId: '144845211237785',
        campaignName: 'x "campaignId":1',
        cost: 21.37,
      },
    ]);
  });
});

describe('normalizeAmazonReport', () => {
  it('when a Sponsored Products row comes in, purchases7d and sales7d are the conversions and revenue, exact, in the profile currency', () => {
    const body = parseAmazonJson(
      '[{"date":"2026-11-02","campaignId":144845211237785,"campaignName":"Brand - Exact","campaignStatus":"ENABLED","impressions":1520,"clicks":34,"cost":21.37,"purchases7d":3,"sales7d":89.97,"unitsSoldClicks7d":4}]',
    );
    const [row] = normalizeAmazonReport(body, meta('sp_campaign_daily'));
    expect(row).toEqual({
      dataType: 'sp_campaign_daily',
      date: '2026-11-02',
      accountId: '3572424178543413',
      accountName: 'Northwind Outdoor (US)',
      campaignId: '144845211237785',
      campaignName: 'Brand - Exact',
      impressions: '1520',
      clicks: '34',
      cost: '21.37',
      conversions: '3',
      revenue: '89.97',
      currency: 'USD',
      extraMetrics: { campaignStatus: 'ENABLED', unitsSoldClicks7d: 4 },
    });
  });

  it('when a Sponsored Brands row comes in, its 14-day purchases and sales are used, and an unknown new column lands in the extras', () => {
    const body = parseAmazonJson(
      '[{"date":"2026-11-02","campaignId":9842312300100000007,"campaignName":"SB","impressions":10,"clicks":1,"cost":0.5,"purchases":2,"sales":40.1,"newToBrandPurchases":1}]',
    );
    const [row] = normalizeAmazonReport(body, meta('sb_campaign_daily'));
    expect(row).toMatchObject({
      campaignId: '9842312300100000007',
      conversions: '2',
      revenue: '40.1',
      extraMetrics: { newToBrandPurchases: 1 },
    });
  });

  it('when a row has no purchases, they are zero; when the body is not a list of dated rows, it is fatal', () => {
    const [row] = normalizeAmazonReport(
      [{ date: '2026-11-02', campaignId: '1', impressions: 0, clicks: 0, cost: 0 }],
      meta('sd_campaign_daily'),
    );
    expect([row!.conversions, row!.revenue]).toEqual(['0', '0']);
    expect(() => normalizeAmazonReport({ rows: [] }, meta('sd_campaign_daily'))).toThrow(FatalConnectorError);
    expect(() => normalizeAmazonReport([{ campaignId: '1' }], meta('sd_campaign_daily'))).toThrow(/without a day/);
    // an id that went through a float cannot be trusted
    expect(() =>
      normalizeAmazonReport([{ date: '2026-11-02', campaignId: 9842312300100000007 }], meta('sd_campaign_daily')),
    ).toThrow(/lost digits/);
  });
});
