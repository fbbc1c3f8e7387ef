// Covers what the row hashes promise the loader: identity ignores names and numbers, content sees every
// value, the extras' key order never matters, and the COPY line refuses a malformed number.
import { describe, expect, it } from 'vitest';
import type { FactRow } from '../domain/fact-row';
import { FactRowError, factLine, hashFactRowKeys } from './row-hash';

const row: FactRow = {
  dataType: 'ad_daily',
  date: '2026-05-01',
  accountId: '1',
  campaignId: '2',
  adGroupId: '3',
  adId: '4',
  campaignName: 'Spring',
  impressions: 100,
  clicks: '7',
  cost: '12.50',
  currency: 'EUR',
  extraDimensions: { device: 'mobile', network: 'search' },
  extraMetrics: { video_views: 3, reach: 90 },
};

describe('hashFactRowKeys', () => {
  it('when a name or a number changes, the row keeps its key but its content hash changes', () => {
    const a = hashFactRowKeys(row);
    for (const changed of [
      { campaignName: 'Summer' },
      { cost: '12.51' },
      { clicks: 7 },
      { extraMetrics: { video_views: 3, reach: 91 } },
      { currency: 'USD' },
    ]) {
      const b = hashFactRowKeys({ ...row, ...changed });
      expect([b.keyHi, b.keyLo]).toEqual([a.keyHi, a.keyLo]);
      expect([b.contentHi, b.contentLo]).not.toEqual([a.contentHi, a.contentLo]);
    }
  });

  it('when an id or an extra dimension changes, the key changes', () => {
    const a = hashFactRowKeys(row);
    const changes: Partial<FactRow>[] = [
      { adId: '5' },
      { accountId: null },
      { extraDimensions: { device: 'desktop', network: 'search' } },
      { extraDimensions: { device: 'mobile' } },
    ];
    for (const changed of changes) {
      const b = hashFactRowKeys({ ...row, ...changed });
      expect([b.keyHi, b.keyLo]).not.toEqual([a.keyHi, a.keyLo]);
    }
  });

  it('when extras come in another key order, nothing changes', () => {
    const a = hashFactRowKeys(row);
    const b = hashFactRowKeys({
      ...row,
      extraDimensions: { network: 'search', device: 'mobile' },
      extraMetrics: { reach: 90, video_views: 3 },
    });
    expect(b).toEqual(a);
  });

  it('when values shift between adjacent fields, the hashes still differ', () => {
    const a = hashFactRowKeys({ dataType: 'd', date: '2026-01-01', accountId: 'ab', campaignId: 'c' });
    const b = hashFactRowKeys({ dataType: 'd', date: '2026-01-01', accountId: 'a', campaignId: 'bc' });
    expect([b.keyHi, b.keyLo]).not.toEqual([a.keyHi, a.keyLo]);
  });

  it('when the date or currency is malformed, it says which', () => {
    expect(() => hashFactRowKeys({ ...row, date: '2026-13-01' })).toThrow(/date must be YYYY-MM-DD/);
    expect(() => hashFactRowKeys({ ...row, currency: 'eur' })).toThrow(/currency must be an ISO 4217 code/);
  });
});

describe('factLine', () => {
  it('when a value holds tabs, newlines or backslashes, it escapes them for COPY', () => {
    const line = factLine({ ...row, campaignName: 'a\tb\nc\\d' }, hashFactRowKeys(row));
    expect(line.split('\t')).toHaveLength(20);
    expect(line).toContain('a\\tb\\nc\\\\d');
  });

  it('when a number is malformed or not finite, it refuses the row', () => {
    expect(() => factLine({ ...row, cost: '1,5' }, hashFactRowKeys(row))).toThrow(FactRowError);
    expect(() => factLine({ ...row, clicks: Number.NaN }, hashFactRowKeys(row))).toThrow(
      /clicks must be a finite number/,
    );
  });
});
