// Covers the pure page → fact rows step: send-day rows, series days, exact money, extras, refusals.
import { describe, expect, it } from 'vitest';
import { FatalConnectorError, type RecordMeta } from '../contract';
import { normalizeKlaviyoPage, type KlaviyoPage } from './klaviyo-normalize';

const meta = (reportType: string): RecordMeta => ({
  account: { id: 'XkLvUS', name: 'Northwind', currency: 'EUR', timeZone: 'Europe/Berlin' },
  reportType,
  window: { start: '2026-11-01', end: '2026-11-14' },
});
const page = (body: KlaviyoPage) => ({ body, cursor: null, index: 0 });

describe('Klaviyo normalize', () => {
  it('when a campaign values page arrives, each result is a row of its send day with money exact and every other statistic in extras', () => {
    const rows = normalizeKlaviyoPage(
      page({
        report: 'campaign_daily',
        day: '2026-11-03',
        conversion_metric_id: 'RESQ6t',
        response: {
          data: {
            attributes: {
              results: [
                {
                  groupings: {
                    campaign_id: '01GMRWDSA0ARTAKE1SFX8JGXAY',
                    campaign_message_id: '01GMRWDSA0ARTAKE1SFX8JGXAZ',
                    campaign_message_name: 'Weekend sale',
                    send_channel: 'email',
                  },
                  statistics: {
                    recipients: 5120,
                    delivered: 5080,
                    clicks: 310,
                    conversions: 37,
                    conversion_value: 2841.1,
                    opens_unique: 2210,
                    new_statistic: 7,
                  },
                },
              ],
            },
          },
        },
      }),
      meta('campaign_daily'),
    );
    expect(rows).toEqual([
      {
        dataType: 'campaign_daily',
        date: '2026-11-03',
        accountId: 'XkLvUS',
        accountName: 'Northwind',
        campaignId: '01GMRWDSA0ARTAKE1SFX8JGXAY',
        campaignName: 'Weekend sale',
        adId: '01GMRWDSA0ARTAKE1SFX8JGXAZ',
        adName: 'Weekend sale',
        extraDimensions: { send_channel: 'email' },
        clicks: '310',
        conversions: '37',
        revenue: '2841.1',
        currency: 'EUR',
        extraMetrics: { recipients: 5120, delivered: 5080, opens_unique: 2210, new_statistic: 7 },
      },
    ]);
  });

  it('when a flow series page arrives, each day of each message is a row on its local date; a day on which it sent nothing is left out', () => {
    const rows = normalizeKlaviyoPage(
      page({
        report: 'flow_daily',
        conversion_metric_id: 'RESQ6t',
        response: {
          data: {
            attributes: {
              date_times: ['2026-11-01T00:00:00+01:00', '2026-11-02T00:00:00+01:00', '2026-11-03T00:00:00+01:00'],
              results: [
                {
                  groupings: {
                    flow_id: 'Xy12ab',
                    flow_name: 'Welcome',
                    flow_message_id: 'Mm34cd',
                    flow_message_name: 'Hello',
                    send_channel: 'sms',
                  },
                  statistics: {
                    recipients: [12, 0, 9],
                    clicks: [3, 0, 1],
                    conversions: [1, 0, 0],
                    conversion_value: [19.99, 0, 0],
                  },
                },
              ],
            },
          },
        },
      }),
      meta('flow_daily'),
    );
    expect(
      rows.map((r) => [r.date, r.campaignId, r.campaignName, r.adName, r.extraDimensions, r.revenue, r.extraMetrics]),
    ).toEqual([
      ['2026-11-01', 'Xy12ab', 'Welcome', 'Hello', { send_channel: 'sms' }, '19.99', { recipients: 12 }],
      ['2026-11-03', 'Xy12ab', 'Welcome', 'Hello', { send_channel: 'sms' }, '0', { recipients: 9 }],
    ]);
  });

  it('when a page is not a report, has no day, or a series shorter than its dates, the window fails as fatal', () => {
    expect(() =>
      normalizeKlaviyoPage(
        page({
          report: 'campaign_daily',
          conversion_metric_id: 'x',
          response: { data: { attributes: { results: [] } } },
        }),
        meta('campaign_daily'),
      ),
    ).not.toThrow();
    expect(() =>
      normalizeKlaviyoPage({ body: { errors: [] }, cursor: null, index: 0 }, meta('campaign_daily')),
    ).toThrow(FatalConnectorError);
    expect(() =>
      normalizeKlaviyoPage(
        page({
          report: 'campaign_daily',
          conversion_metric_id: 'x',
          response: {
            data: { attributes: { results: [{ groupings: { campaign_id: 'c' }, statistics: { clicks: 1 } }] } },
          },
        }),
        meta('campaign_daily'),
      ),
    ).toThrow(/without its day/);
    expect(() =>
      normalizeKlaviyoPage(
        page({
          report: 'flow_daily',
          conversion_metric_id: 'x',
          response: {
            data: {
              attributes: {
                date_times: ['2026-11-01T00:00:00+01:00'],
                results: [{ groupings: { flow_id: 'f' }, statistics: { clicks: [1, 2] } }],
              },
            },
          },
        }),
        meta('flow_daily'),
      ),
    ).toThrow(FatalConnectorError);
  });
});
