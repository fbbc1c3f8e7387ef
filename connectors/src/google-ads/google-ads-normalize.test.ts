// Covers google-ads normalize as a pure function on recorded searchStream batches: exact micros to
// units, core metrics, unknown metrics kept, missing ones tolerated.
import { describe, expect, it } from 'vitest';
import { FactRowSchema } from '@tributary/shared/domain/fact-row';
import type { RecordMeta } from '../contract';
import { microsToUnits, normalizeGoogleAdsPage } from './google-ads-normalize';

const meta: RecordMeta = {
  account: { id: '1234567890', name: 'Tienda', currency: 'EUR', timeZone: 'Europe/Madrid' },
  reportType: 'campaign_daily',
  window: { start: '2026-01-27', end: '2026-01-27' },
};

// as PLATFORMS.md §1 records a searchStream batch
const batch = {
  results: [
    {
      campaign: { resourceName: 'customers/1234567890/campaigns/111', id: '111', name: 'Brand', status: 'ENABLED' },
      metrics: {
        impressions: '1149',
        clicks: '486',
        costMicros: '312690000',
        conversions: 4.14,
        conversionsValue: 1432.5,
        ctr: 0.422976501305483,
        brandNewMetric: '3',
      },
      segments: { date: '2026-01-27' },
    },
  ],
  fieldMask:
    'campaign.id,campaign.name,metrics.impressions,metrics.clicks,metrics.costMicros,metrics.conversions,segments.date',
};

describe('microsToUnits', () => {
  it('when given micros, it moves the decimal point exactly, for any int64', () => {
    expect(microsToUnits('312690000')).toBe('312.69');
    expect(microsToUnits('1')).toBe('0.000001');
    expect(microsToUnits('0')).toBe('0');
    expect(microsToUnits('-2500000')).toBe('-2.5');
    expect(microsToUnits('9223372036854775807')).toBe('9223372036854.775807');
  });
});

describe('normalizeGoogleAdsPage', () => {
  it('when given a recorded batch, it maps the core metrics exactly and keeps the rest as extras', () => {
    const [row] = normalizeGoogleAdsPage({ body: batch, cursor: null, index: 0 }, meta);
    expect(row).toEqual({
      dataType: 'campaign_daily',
      date: '2026-01-27',
      accountId: '1234567890',
      accountName: 'Tienda',
      campaignId: '111',
      campaignName: 'Brand',
      adGroupId: null,
      adGroupName: null,
      adId: null,
      adName: null,
      impressions: '1149',
      clicks: '486',
      cost: '312.69',
      conversions: '4.14',
      revenue: '1432.5',
      currency: 'EUR',
      extraMetrics: { ctr: 0.422976501305483, brandNewMetric: '3', 'campaign.status': 'ENABLED' },
    });
    expect(FactRowSchema.safeParse(row).success).toBe(true);
  });

  it('when metrics are missing (zero rows omit them, or a field was removed), it gives nulls, not a failure', () => {
    const [row] = normalizeGoogleAdsPage(
      { body: { results: [{ campaign: { id: '1' }, segments: { date: '2026-01-01' } }] }, cursor: null, index: 0 },
      meta,
    );
    expect(row).toMatchObject({ impressions: null, cost: null, conversions: null, revenue: null });
  });

  it('when a batch has no results key (an empty stream), it gives no rows', () => {
    expect(normalizeGoogleAdsPage({ body: { fieldMask: 'x' }, cursor: null, index: 0 }, meta)).toEqual([]);
  });

  it('when a row has no date, it fails the page rather than guessing', () => {
    expect(() =>
      normalizeGoogleAdsPage({ body: { results: [{ metrics: {} }] }, cursor: null, index: 0 }, meta),
    ).toThrow(/segments.date/);
  });
});
