// Covers the sunset warnings of pinned platform API versions, on a fixed clock (no test depends on today),
// and that every registered connector declares a version and a sunset that is a real day or null.
import { describe, expect, it } from 'vitest';
import { listConnectors } from '../registry';
import { SUNSET_WARNING_DAYS, apiVersionWarnings, logApiVersionWarnings } from './api-versions';
import { MemoryLogger } from './test-support';

const pin = (sunset: string | null) => ({
  platform: 'google_ads' as const,
  displayName: 'Google Ads',
  apiVersion: { version: 'v25', sunset, source: 'test' },
});

describe('API version sunsets', () => {
  it('when a sunset is more than 90 days away, or unknown, it warns of nothing', () => {
    const now = new Date('2027-05-02T10:00:00Z');
    expect(apiVersionWarnings([pin('2027-08-01'), pin(null)], now)).toEqual([]);
  });

  it('when a sunset is 90 days away or fewer, it warns with the days left', () => {
    const now = new Date('2027-05-03T23:59:00Z');
    expect(SUNSET_WARNING_DAYS).toBe(90);
    expect(apiVersionWarnings([pin('2027-08-01')], now)).toEqual([
      {
        platform: 'google_ads',
        version: 'v25',
        sunset: '2027-08-01',
        daysLeft: 90,
        message: expect.stringContaining('stops being served on 2027-08-01 (in 90 days)'),
      },
    ]);
  });

  it('when the sunset has passed, it says the version is no longer served, and the log line carries the fields', () => {
    const logger = new MemoryLogger();
    const warnings = logApiVersionWarnings(logger, [pin('2027-08-01')], new Date('2027-08-01T00:00:00Z'));
    expect(warnings[0]).toMatchObject({
      daysLeft: 0,
      message: expect.stringContaining('no longer served since 2027-08-01'),
    });
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message: 'platform API version near its sunset',
        fields: expect.objectContaining({ platform: 'google_ads', version: 'v25', sunset: '2027-08-01', daysLeft: 0 }),
      },
    ]);
  });

  it('when the registry is read, each connector pins a version with a sunset that is a date or null', () => {
    for (const c of listConnectors()) {
      // v25, v26.0, v1beta; date versions (Shopify's quarterly 2026-10, Klaviyo's revision 2026-10-15)
      expect(c.apiVersion.version).toMatch(/^(v\d+(\.\d+|beta)?|\d{4}-\d{2}(-\d{2})?)$/);
      if (c.apiVersion.sunset !== null)
        expect(new Date(`${c.apiVersion.sunset}T00:00:00Z`).toISOString().slice(0, 10)).toBe(c.apiVersion.sunset);
      expect(c.apiVersion.source.length).toBeGreaterThan(0);
    }
    const byPlatform = Object.fromEntries(listConnectors().map((c) => [c.platform, c.apiVersion.version]));
    expect(byPlatform).toMatchObject({
      google_ads: 'v25',
      meta_ads: 'v26.0',
      instagram: 'v26.0',
      ga4: 'v1beta',
      shopify: '2026-10',
    });
  });
});
