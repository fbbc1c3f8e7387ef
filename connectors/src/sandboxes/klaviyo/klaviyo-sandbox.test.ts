// Covers the Klaviyo sandbox's wire format over plain HTTP (no SDK): the revision header, JSON:API error
// shapes, Klaviyo's report limits with Retry-After and RateLimit-* headers, and paging by bare page_cursor
// on the sandbox's own origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KLAVIYO_LATEST_REVISION, startKlaviyoSandbox, type KlaviyoSandbox } from './klaviyo-sandbox';

let sb: KlaviyoSandbox;
let nowMs = Date.parse('2026-11-23T12:00:00Z');

beforeAll(async () => {
  sb = await startKlaviyoSandbox({ today: '2026-11-23', now: () => nowMs, pageSize: 2 });
});
afterAll(async () => {
  await sb?.stop();
});

const account = () => sb.world.accounts[0]!;
const headers = (extra: Record<string, string> = {}) => ({
  authorization: `Klaviyo-API-Key ${sb.keys[account().id]}`,
  revision: KLAVIYO_LATEST_REVISION,
  'content-type': 'application/vnd.api+json',
  ...extra,
});
const flowSeries = (cursor?: string) =>
  fetch(`${sb.url}/api/flow-series-reports/${cursor ? `?page_cursor=${cursor}` : ''}`, {
    method: 'POST',
    headers: headers(),
    body: JSON.stringify({
      data: {
        type: 'flow-series-report',
        attributes: {
          statistics: ['recipients', 'conversion_value'],
          timeframe: { start: '2026-11-01T00:00:00', end: '2026-11-08T00:00:00' },
          interval: 'daily',
          conversion_metric_id: account().metrics[0]!.id,
        },
      },
    }),
  });

describe('Klaviyo sandbox', () => {
  it('when the revision is missing, unknown or retired, it answers 400 or 410 in JSON:API error shape', async () => {
    const missing = await fetch(`${sb.url}/api/accounts/`, { headers: { authorization: headers().authorization } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({
      errors: [
        {
          status: 400,
          code: 'invalid',
          detail: 'Missing required header: revision.',
          source: { pointer: '/headers/revision' },
        },
      ],
    });
    expect((await fetch(`${sb.url}/api/accounts/`, { headers: headers({ revision: '2027-01-15' }) })).status).toBe(400);
    const retired = await fetch(`${sb.url}/api/accounts/`, { headers: headers({ revision: '2024-07-15' }) });
    expect(retired.status).toBe(410);
    expect((await retired.json()).errors[0].detail).toContain('retired on 2026-07-15');
    const ok = await fetch(`${sb.url}/api/accounts/`, { headers: headers() });
    expect((await ok.json()).data[0]).toMatchObject({
      type: 'account',
      id: account().id,
      attributes: { timezone: 'America/New_York', preferred_currency: 'USD' },
    });
    const anonymous = await fetch(`${sb.url}/api/accounts/`, { headers: { revision: KLAVIYO_LATEST_REVISION } });
    expect(await anonymous.json()).toMatchObject({ errors: [{ status: 401, code: 'not_authenticated' }] });
  });

  it('when a series pages, links.next carries a bare page_cursor on the sandbox origin, and the pages share one data version', async () => {
    const first = await flowSeries();
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    const body = await first.json();
    expect(body.data.attributes.date_times).toEqual(
      ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07'].map(
        (d) => `${d}T00:00:00-0${d < '2026-11-02' ? 4 : 5}:00`,
      ),
    );
    expect(body.data.attributes.results).toHaveLength(2);
    const next = new URL(body.links.next);
    expect(next.origin).toBe(sb.url);
    expect(next.searchParams.get('page_cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
    nowMs += 31_000;
    const second = await flowSeries(next.searchParams.get('page_cursor')!);
    expect(second.status).toBe(200);
    expect((await second.json()).data.attributes.results[0].groupings.flow_message_id).not.toBe(
      body.data.attributes.results[0].groupings.flow_message_id,
    );
  });

  it('when reports come faster than 2 a minute, it answers 429 throttled with Retry-After in seconds', async () => {
    nowMs += 120_000;
    expect((await flowSeries()).status).toBe(200);
    nowMs += 2_000;
    expect((await flowSeries()).status).toBe(200);
    nowMs += 2_000;
    const throttled = await flowSeries();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('56');
    expect(await throttled.json()).toMatchObject({
      errors: [{ status: 429, code: 'throttled', detail: 'Request was throttled. Expected available in 56 seconds.' }],
    });
    nowMs += 1_000;
    // a second within the burst window: also refused, never counted
    expect((await flowSeries()).status).toBe(429);
    nowMs += 56_000;
    expect((await flowSeries()).status).toBe(200);
  });
});
