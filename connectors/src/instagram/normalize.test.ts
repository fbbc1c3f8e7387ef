// Covers Instagram normalize as a pure function on recorded pages: Pacific days from end_time, views or
// impressions into the impressions column, unknown metrics kept, media rows keyed by media id.
import { describe, expect, it } from 'vitest';
import { FatalConnectorError, type RecordMeta } from '../contract';
import accountPage from './fixtures/account-page.json';
import mediaPage from './fixtures/media-page.json';
import { dayEndedBy, normalizeInstagramPage } from './normalize';

const meta = (reportType: string): RecordMeta => ({
  account: { id: '17841400000000000', name: 'tiendasol', currency: 'XXX', timeZone: 'America/Los_Angeles' },
  reportType,
  window: { start: '2026-01-01', end: '2026-01-31' },
});

describe('normalizeInstagramPage', () => {
  it('when a value ends at midnight Pacific, it belongs to the day before', () => {
    expect(dayEndedBy('2026-01-02T08:00:00+0000')).toBe('2026-01-01');
    expect(dayEndedBy('2026-07-02T07:00:00+0000')).toBe('2026-07-01');
  });

  it('when account insights mix time series and daily totals, it gives one row per day with views (or impressions) as impressions', () => {
    const rows = normalizeInstagramPage(accountPage, meta('account_daily'));
    expect(rows).toEqual([
      {
        dataType: 'account_daily',
        date: '2026-01-01',
        accountId: '17841400000000000',
        accountName: 'tiendasol',
        impressions: '15320',
        extraMetrics: { reach: 812, follower_count: 15020, likes: 410 },
      },
      {
        dataType: 'account_daily',
        date: '2026-01-02',
        accountId: '17841400000000000',
        accountName: 'tiendasol',
        impressions: '9001',
        extraMetrics: { reach: 905, follower_count: 15031, likes: 388, reels_skip_rate: 31 },
      },
    ]);
  });

  it('when media insights are given, it dates each media by its Pacific posting day and skips media without insights', () => {
    const rows = normalizeInstagramPage(mediaPage, meta('media_lifetime'));
    expect(rows).toEqual([
      {
        dataType: 'media_lifetime',
        date: '2026-01-01',
        accountId: '17841400000000000',
        accountName: 'tiendasol',
        extraDimensions: { media_id: '18030000000000001', media_type: 'VIDEO', media_product_type: 'REELS' },
        impressions: '7311',
        extraMetrics: { reach: 4210, saved: 12 },
      },
    ]);
  });

  it('when the page is not one extract wrote, it throws a fatal error', () => {
    expect(() => normalizeInstagramPage({ data: 'x' }, meta('account_daily'))).toThrow(FatalConnectorError);
  });
});
