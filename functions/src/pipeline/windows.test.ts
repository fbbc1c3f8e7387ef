// The planner's day rules, without a platform: first runs, lookbacks, the configured start date, chunks.
import { describe, expect, it } from 'vitest';
import { addDays, chunk, dayIn, incrementalRange } from './windows';

describe('incrementalRange', () => {
  const today = '2026-11-23';

  it('when a source has never run, it starts at the first day', () => {
    expect(incrementalRange({ today, lastSuccessfulDate: null, lookbackDays: 14, firstDay: '2026-10-01' })).toEqual({ start: '2026-10-01', end: today });
  });

  it('when a source ran yesterday, the lookback days are extracted again', () => {
    expect(incrementalRange({ today, lastSuccessfulDate: addDays(today, -1), lookbackDays: 14, firstDay: '2026-01-01' })).toEqual({ start: addDays(today, -13), end: today });
  });

  it('when a source was paused longer than the lookback, the run resumes the day after the last success', () => {
    expect(incrementalRange({ today, lastSuccessfulDate: '2026-08-31', lookbackDays: 14, firstDay: '2026-10-25' })).toEqual({ start: '2026-09-01', end: today });
  });

  it('when the configured start date is inside the lookback, days before it are not extracted', () => {
    const start = addDays(today, -9);
    expect(incrementalRange({ today, lastSuccessfulDate: today, lookbackDays: 14, firstDay: start, notBefore: start })).toEqual({ start, end: today });
  });

  it('when the start date is in the future, there is nothing to extract', () => {
    expect(incrementalRange({ today, lastSuccessfulDate: null, lookbackDays: 3, firstDay: '2026-12-01', notBefore: '2026-12-01' })).toBeNull();
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
    expect([dayIn('Pacific/Kiritimati', at), dayIn('UTC', at), dayIn('Pacific/Pago_Pago', at)]).toEqual(['2026-11-24', '2026-11-23', '2026-11-23']);
    expect(dayIn('Pacific/Pago_Pago', new Date('2026-11-23T05:00:00Z'))).toBe('2026-11-22');
  });
});
