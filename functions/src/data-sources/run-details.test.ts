// Covers the run details' pure parts: an item's error in plain words (the waiting states the HTTP test cannot
// hold still long enough to read) and the restatement record summed per day in exact decimals.
import { describe, expect, it } from 'vitest';
import { classifyProblem, restatementDays } from './run-details';

const ctx = {
  credentialId: '11111111-1111-4111-8111-111111111111',
  account: { id: '42', name: 'Tienda Norte' },
  nextRunAt: new Date('2026-11-24T05:00:00Z'),
};

describe('an item’s problem in plain words', () => {
  it('when a spent quota is waited out, it says when the window resumes; when the run gave up, the next run', () => {
    const retryAt = new Date('2026-11-23T12:01:02Z');
    expect(
      classifyProblem({ status: 'running', errorCode: 'QUOTA_EXHAUSTED', errorMessage: 'cap', retryAt }, ctx),
    ).toMatchObject({ kind: 'rate_limited', action: 'wait', resumes_at: retryAt.toISOString(), detail: 'cap' });
    expect(classifyProblem({ status: 'failed', errorCode: 'RateLimitedError', errorMessage: null }, ctx)).toMatchObject(
      { kind: 'rate_limited', action: 'next_run', resumes_at: '2026-11-24T05:00:00.000Z' },
    );
  });

  it('when a report is still being prepared, it is not ready (not an error) and says when it is checked again', () => {
    const retryAt = new Date('2026-11-23T12:05:00Z');
    const p = classifyProblem(
      { status: 'running', errorCode: null, errorMessage: null, resumeCursor: 'report-1', retryAt },
      ctx,
    );
    expect(p).toMatchObject({ kind: 'not_ready', action: 'wait', resumes_at: retryAt.toISOString() });
    expect(classifyProblem({ status: 'succeeded', errorCode: null, errorMessage: null }, ctx)).toBeNull();
  });

  it('when an error is unknown, it is fatal; a timeout of the state machine is transient', () => {
    expect(classifyProblem({ status: 'failed', errorCode: 'FatalConnectorError', errorMessage: 'x' }, ctx)?.kind).toBe(
      'fatal',
    );
    expect(classifyProblem({ status: 'failed', errorCode: 'States.Timeout', errorMessage: null }, ctx)?.kind).toBe(
      'transient',
    );
    expect(
      classifyProblem({ status: 'failed', errorCode: 'PermissionDeniedError', errorMessage: null }, ctx),
    ).toMatchObject({
      kind: 'permission_denied',
      account: ctx.account,
      message: expect.stringContaining('Tienda Norte (42)'),
    });
  });
});

describe('the restatement record per day', () => {
  it('when two data types restated one day, their deltas add up exactly', () => {
    const delta = (date: string, dataType: string, cost: string, conversions: string) => ({
      date,
      dataType,
      rowsChanged: 2,
      impressionsDelta: '0',
      clicksDelta: '1',
      costDelta: cost,
      conversionsDelta: conversions,
      revenueDelta: '0.10',
    });
    expect(
      restatementDays([
        delta('2026-11-21', 'b', '-0.30', '1.5'),
        delta('2026-11-20', 'a', '0.1', '0'),
        delta('2026-11-21', 'a', '0.20', '-0.25'),
      ]),
    ).toEqual([
      expect.objectContaining({ date: '2026-11-20', cost_delta: '0.1', data_types: ['a'] }),
      expect.objectContaining({
        date: '2026-11-21',
        rows_changed: 4,
        cost_delta: '-0.10',
        conversions_delta: '1.25',
        revenue_delta: '0.20',
        clicks_delta: '2',
        data_types: ['b', 'a'],
      }),
    ]);
  });
});
