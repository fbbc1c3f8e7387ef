// The planner's day rules, without a platform: first runs, lookbacks, the configured start date, chunks.
import { describe, expect, it } from 'vitest';
import { getConnector, listConnectors } from '@tributary/connectors/registry';
import { isCalendarDate } from '@tributary/shared/domain/calendar-date';
import { ValidationError } from '@tributary/shared/domain/errors';
import { addDays, checkRequestedWindow, chunk, dayIn, incrementalRange } from './windows';

describe('incrementalRange', () => {
  const today = '2026-11-23';

  it('when a source has never run, it starts at the first day', () => {
    expect(incrementalRange({ today, lastSuccessfulDate: null, lookbackDays: 14, firstDay: '2026-10-01' })).toEqual({
      start: '2026-10-01',
      end: today,
    });
  });

  it('when a source ran yesterday, the lookback days are extracted again', () => {
    expect(
      incrementalRange({ today, lastSuccessfulDate: addDays(today, -1), lookbackDays: 14, firstDay: '2026-01-01' }),
    ).toEqual({ start: addDays(today, -13), end: today });
  });

  it('when a source was paused longer than the lookback, the run resumes the day after the last success', () => {
    expect(
      incrementalRange({ today, lastSuccessfulDate: '2026-08-31', lookbackDays: 14, firstDay: '2026-10-25' }),
    ).toEqual({ start: '2026-09-01', end: today });
  });

  it('when the configured start date is inside the lookback, days before it are not extracted', () => {
    const start = addDays(today, -9);
    expect(
      incrementalRange({ today, lastSuccessfulDate: today, lookbackDays: 14, firstDay: start, notBefore: start }),
    ).toEqual({ start, end: today });
  });

  it('when the start date is in the future, there is nothing to extract', () => {
    expect(
      incrementalRange({
        today,
        lastSuccessfulDate: null,
        lookbackDays: 3,
        firstDay: '2026-12-01',
        notBefore: '2026-12-01',
      }),
    ).toBeNull();
  });
});

describe('chunk and dayIn', () => {
  it('splits a range into consecutive chunks, the last one short', () => {
    expect(chunk({ start: '2026-11-01', end: '2026-11-10' }, 4)).toEqual([
      { start: '2026-11-01', end: '2026-11-04' },
      { start: '2026-11-05', end: '2026-11-08' },
      { start: '2026-11-09', end: '2026-11-10' },
    ]);
  });

  it("names the day in the account's time zone, not the server's", () => {
    const at = new Date('2026-11-23T12:00:00Z');
    expect([dayIn('Pacific/Kiritimati', at), dayIn('UTC', at), dayIn('Pacific/Pago_Pago', at)]).toEqual([
      '2026-11-24',
      '2026-11-23',
      '2026-11-23',
    ]);
    expect(dayIn('Pacific/Pago_Pago', new Date('2026-11-23T05:00:00Z'))).toBe('2026-11-22');
  });
});

describe('checkRequestedWindow', () => {
  const now = new Date('2026-12-07T12:00:00Z');
  const meta = { displayName: 'Meta Ads', dataRetentionMonths: getConnector('meta_ads').dataRetentionMonths };

  it('when a window ends after today anywhere on earth, or starts before the platform keeps data, it is a 400 naming the limit', () => {
    expect(() => checkRequestedWindow({ start: '2026-12-01', end: '2026-12-09' }, meta, now)).toThrow(ValidationError);
    expect(() => checkRequestedWindow({ start: '9999-12-01', end: '9999-12-31' }, meta, now)).toThrow(/future/);
    expect(() => checkRequestedWindow({ start: '2023-10-31', end: '2024-01-01' }, meta, now)).toThrow(
      /37 months; the oldest day it serves is 2023-11-01/,
    );
    expect(() => checkRequestedWindow({ start: '1900-01-01', end: '2026-11-30' }, undefined, now)).toThrow(
      /120 months/,
    );
    // UTC+14 is already on the 8th: an account there may ask for its today
    expect(() => checkRequestedWindow({ start: '2023-11-01', end: '2026-12-08' }, meta, now)).not.toThrow();
  });

  it('when a platform keeps data for days rather than months (Amazon Ads, about 95), the days are the bound', () => {
    const amazon = getConnector('amazon_ads');
    expect(amazon.dataRetentionDays).toBe(92);
    // UTC+14 is on 2026-12-08: 92 days counted back from it, that day included
    expect(() => checkRequestedWindow({ start: '2026-09-07', end: '2026-12-01' }, amazon, now)).toThrow(
      /Amazon Ads keeps report data for 92 days; the oldest day it serves is 2026-09-08/,
    );
    expect(() => checkRequestedWindow({ start: '2026-09-08', end: '2026-12-01' }, amazon, now)).not.toThrow();
    // months alone would have allowed the whole of September
    expect(() =>
      checkRequestedWindow(
        { start: '2026-09-01', end: '2026-12-01' },
        { displayName: 'x', dataRetentionMonths: amazon.dataRetentionMonths },
        now,
      ),
    ).not.toThrow();
  });

  it('declares a retention for every built connector', () => {
    for (const c of listConnectors()) expect(c.dataRetentionMonths, c.platform).toBeGreaterThan(0);
  });
});

describe('isCalendarDate', () => {
  it('accepts real days only', () => {
    expect(['2024-02-29', '2026-12-31', '0001-01-01'].every(isCalendarDate)).toBe(true);
    expect(
      ['2024-02-31', '2023-02-29', '2026-13-01', '2026-00-10', '0000-01-01', '2026-1-01', '20261-01-01'].some(
        isCalendarDate,
      ),
    ).toBe(false);
  });
});
