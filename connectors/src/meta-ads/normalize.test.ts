// Covers Meta Ads normalize as a pure function on a recorded insights page: string metrics kept exact,
// conversions by the configured action type, everything else in extraMetrics, malformed pages refused.
import { describe, expect, it } from 'vitest';
import { FatalConnectorError, type RecordMeta } from '../contract';
import page from './fixtures/insights-campaign-page.json';
import { normalizeInsightsPage } from './normalize';

const meta: RecordMeta = {
  account: { id: '1234567890', name: 'Tienda Sol ES', currency: 'EUR', timeZone: 'Europe/Madrid' },
  reportType: 'campaign_daily',
  window: { start: '2026-01-01', end: '2026-01-31' },
};

describe('normalizeInsightsPage', () => {
  it('when a campaign row has purchases, it maps spend, counts and the purchase action to the core columns, as exact strings', () => {
    const [row] = normalizeInsightsPage(page, meta, { conversionActionType: 'purchase' });
    expect(row).toMatchObject({
      dataType: 'campaign_daily',
      date: '2026-01-01',
      accountId: '1234567890',
      campaignId: '120200000000000001',
      campaignName: 'Prospecting',
      impressions: '48210',
      clicks: '913',
      cost: '152.37',
      conversions: '12',
      revenue: '1432.50',
      currency: 'EUR',
    });
  });

  it('when another action type is configured, it counts that one instead', () => {
    const [row] = normalizeInsightsPage(page, meta, { conversionActionType: 'omni_purchase' });
    expect([row!.conversions, row!.revenue]).toEqual(['13', '1501.10']);
  });

  it('when a row has no actions, it reports zero conversions and revenue', () => {
    const [, row] = normalizeInsightsPage(page, meta, { conversionActionType: 'purchase' });
    expect([row!.conversions, row!.revenue]).toEqual(['0', '0']);
  });

  it('when a row carries other metrics and actions, it keeps every one of them in extraMetrics', () => {
    const [row] = normalizeInsightsPage(page, meta, { conversionActionType: 'purchase' });
    expect(row!.extraMetrics).toEqual({
      objective: 'OUTCOME_SALES',
      reach: '40112',
      frequency: '1.201884',
      cpm: '3.160548',
      ctr: '1.893798',
      actions: { link_click: '701', purchase: '12', omni_purchase: '13' },
      action_values: { purchase: '1432.50', omni_purchase: '1501.10' },
    });
  });

  it('when Meta adds an unknown metric or drops a known one, it keeps the new one and leaves the missing column empty', () => {
    const changed = { data: [{ ...page.data[1], impressions: undefined, brand_lift_score: '0.42' }] };
    const [row] = normalizeInsightsPage(changed, meta, { conversionActionType: 'purchase' });
    expect(row!.impressions).toBeNull();
    expect(row!.extraMetrics).toMatchObject({ brand_lift_score: '0.42' });
  });

  it('when the page is not a Graph answer, it throws a fatal error instead of returning half of it', () => {
    expect(() => normalizeInsightsPage('{"data":[{"campaign_id"', meta, { conversionActionType: 'purchase' })).toThrow(
      FatalConnectorError,
    );
    expect(() =>
      normalizeInsightsPage({ data: [{ spend: '1.00' }] }, meta, { conversionActionType: 'purchase' }),
    ).toThrow(FatalConnectorError);
  });
});
