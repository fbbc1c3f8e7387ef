// Covers Metricool's normalize on hand-written pages in the API's shapes: no I/O. Days, ids, the impressions
// column, the native-platform marker, and what happens to a page Tributary cannot read.
import { describe, expect, it } from 'vitest';
import type { AccountInfo, RawPage, RecordMeta } from '../contract';
import { FatalConnectorError } from '../contract';
import { normalizeMetricoolPage, type MetricoolPage } from './metricool-normalize';

const account: AccountInfo = {
  id: '4210002',
  name: 'Northwind Outdoor',
  currency: 'USD',
  timeZone: 'America/New_York',
};
const meta = (reportType: string): RecordMeta => ({
  account,
  reportType,
  window: { start: '2026-03-07', end: '2026-03-09' },
});
const page = (body: MetricoolPage | unknown): RawPage => ({ body, cursor: null, index: 0 });

describe('normalizeMetricoolPage', () => {
  it('when timelines come newest first and one metric a call, it builds one row per day with views in the impressions column', () => {
    const rows = normalizeMetricoolPage(
      page({
        kind: 'account_timeline',
        network: 'instagram',
        responses: {
          followers: {
            data: [
              {
                metric: 'followers',
                values: [
                  { dateTime: '2026-03-09T00:00:00-0400', value: 1210 },
                  { dateTime: '2026-03-08T00:00:00-0500', value: 1200 },
                ],
              },
            ],
          },
          views: {
            data: [
              {
                metric: 'views',
                values: [
                  { dateTime: '2026-03-09T00:00:00-0400', value: 530 },
                  { dateTime: '2026-03-08T00:00:00-0500', value: null },
                ],
              },
            ],
          },
          engagement: {
            data: [{ metric: 'engagement', values: [{ dateTime: '2026-03-08T00:00:00-0500', value: 17 }] }],
          },
        },
      }),
      meta('account_timeline_daily'),
    );
    expect(rows).toEqual([
      {
        dataType: 'account_timeline_daily',
        date: '2026-03-08',
        accountId: '4210002',
        accountName: 'Northwind Outdoor',
        extraDimensions: { network: 'instagram', native_platform: 'instagram' },
        impressions: null,
        extraMetrics: { followers: '1200', engagement: '17' },
      },
      {
        dataType: 'account_timeline_daily',
        date: '2026-03-09',
        accountId: '4210002',
        accountName: 'Northwind Outdoor',
        extraDimensions: { network: 'instagram', native_platform: 'instagram' },
        impressions: '530',
        extraMetrics: { followers: '1210' },
      },
    ]);
  });

  it("when YouTube reports subscribers, they are followers; when a TikTok post's time is UTC, its day is the brand's", () => {
    const [yt] = normalizeMetricoolPage(
      page({
        kind: 'account_timeline',
        network: 'youtube',
        responses: {
          subscribers: {
            data: [{ metric: 'subscribers', values: [{ dateTime: '2026-03-08T00:00:00-0500', value: 90 }] }],
          },
        },
      }),
      meta('account_timeline_daily'),
    );
    expect(yt!.extraMetrics).toEqual({ followers: '90' });
    const rows = normalizeMetricoolPage(
      page({
        kind: 'posts',
        network: 'tiktok',
        response: {
          data: [
            // 03:30 UTC on the 9th is 22:30 on the 8th in New York
            {
              videoId: '7301234567890123456',
              type: 'VIDEO',
              publishedAt: { dateTime: '2026-03-09T03:30:00', timezone: 'UTC' },
              views: 4000,
              likes: 120,
              comments: 4,
              shares: 9,
              engagement: 133,
              text: '=SUM(1)',
            },
          ],
        },
      }),
      meta('posts_daily'),
    );
    expect(rows).toEqual([
      {
        dataType: 'posts_daily',
        date: '2026-03-08',
        accountId: '4210002',
        accountName: 'Northwind Outdoor',
        extraDimensions: {
          network: 'tiktok',
          native_platform: null,
          post_id: '7301234567890123456',
          post_type: 'VIDEO',
        },
        impressions: '4000',
        extraMetrics: { likes: '120', comments: '4', shares: '9', engagement: '133' },
      },
    ]);
  });

  it('when ad campaigns come with daily timelines, money stays exact in the campaign currency and Facebook rows name their native platform', () => {
    const rows = normalizeMetricoolPage(
      page({
        kind: 'ad_campaign',
        network: 'facebookads',
        campaign: { id: 1234, providerCampaignId: '238512345678901234', name: 'Prospecting US', currency: 'USD' },
        response: {
          data: [
            { metric: 'spent', values: [{ dateTime: '2026-03-08T00:00:00-0500', value: 312.69 }] },
            { metric: 'impressions', values: [{ dateTime: '2026-03-08T00:00:00-0500', value: 20000 }] },
            { metric: 'clicks', values: [{ dateTime: '2026-03-08T00:00:00-0500', value: 210 }] },
            { metric: 'conversions', values: [{ dateTime: '2026-03-08T00:00:00-0500', value: 3.5 }] },
            { metric: 'conversionValue', values: [{ dateTime: '2026-03-08T00:00:00-0500', value: 0.1 }] },
            { metric: 'reach', values: [{ dateTime: '2026-03-08T00:00:00-0500', value: 15000 }] },
          ],
        },
      }),
      meta('ad_campaigns_daily'),
    );
    expect(rows).toEqual([
      {
        dataType: 'ad_campaigns_daily',
        date: '2026-03-08',
        accountId: '4210002',
        accountName: 'Northwind Outdoor',
        campaignId: '238512345678901234',
        campaignName: 'Prospecting US',
        extraDimensions: { network: 'facebookads', native_platform: 'meta_ads' },
        impressions: '20000',
        clicks: '210',
        cost: '312.69',
        conversions: '3.5',
        revenue: '0.1',
        currency: 'USD',
        extraMetrics: { reach: '15000' },
      },
    ]);
    const [tiktok] = normalizeMetricoolPage(
      page({
        kind: 'ad_campaign',
        network: 'tiktokads',
        campaign: { id: 1, providerCampaignId: '1700000000000000001' },
        response: { data: [{ metric: 'spent', values: [{ dateTime: '2026-03-08T00:00:00-0500', value: 5 }] }] },
      }),
      meta('ad_campaigns_daily'),
    );
    expect(tiktok!.extraDimensions).toEqual({ network: 'tiktokads', native_platform: null });
  });

  it('when a page is not what Metricool sends, it fails as fatal with a message a user can read', () => {
    for (const body of [
      null,
      { kind: 'posts', network: 'instagram', response: {} },
      {
        kind: 'account_timeline',
        network: 'instagram',
        responses: { reach: { data: [{ metric: 'reach', values: [{ dateTime: 'yesterday', value: 3 }] }] } },
      },
      { kind: 'ad_campaign', network: 'facebookads', campaign: {}, response: { data: [] } },
    ]) {
      let err: unknown;
      try {
        normalizeMetricoolPage(page(body), meta('posts_daily'));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FatalConnectorError);
      expect((err as FatalConnectorError).userMessage).toMatch(/Metricool returned data Tributary cannot read/);
    }
  });
});
