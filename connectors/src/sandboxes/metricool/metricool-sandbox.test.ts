// Covers the Metricool sandbox's wire format with raw fetch (no connector): auth and header rules, brand
// checks, the timelines' and posts' date shapes, string campaign ids, and the error bodies of PLATFORMS.md §7.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxControl } from '../base/sandbox-server';
import { startMetricoolSandbox, type MetricoolSandbox } from './metricool-sandbox';

let sandbox: MetricoolSandbox;
const json = { 'content-type': 'application/json' };

async function get(
  path: string,
  query: Record<string, string>,
  headers: Record<string, string> = { 'x-mc-auth': sandbox.demoToken, ...json },
) {
  const res = await fetch(`${sandbox.url}/api/v2${path}?${new URLSearchParams({ userId: sandbox.userId, ...query })}`, {
    headers,
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: (() => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })(),
    headers: res.headers,
  };
}

beforeAll(async () => {
  sandbox = await startMetricoolSandbox({ today: '2026-03-10' });
});
afterAll(async () => {
  await sandbox?.stop();
});

describe('Metricool sandbox', () => {
  it("when auth or headers are not Metricool's, it answers 401 or 400 in Spring's error shape", async () => {
    const bearer = await get('/settings/brands', {}, { authorization: `Bearer ${sandbox.demoToken}`, ...json });
    expect(bearer.status).toBe(401);
    expect(bearer.body).toMatchObject({
      status: 401,
      error: 'Unauthorized',
      message: expect.stringMatching(/X-Mc-Auth/),
      path: '/api/v2/settings/brands',
    });
    expect((await get('/settings/brands', {}, { 'x-mc-auth': 'wrong' + sandbox.demoToken, ...json })).status).toBe(401);
    expect((await get('/settings/brands', {}, { 'x-mc-auth': sandbox.demoToken })).body).toMatchObject({
      status: 400,
      message: /Content-Type/,
    });
    expect(
      (await get('/analytics/posts/instagram', { from: '2026-03-01T00:00:00', to: '2026-03-02T23:59:59' })).status,
    ).toBe(400);
    expect(
      (await get('/analytics/posts/instagram', { blogId: '1', from: '2026-03-01T00:00:00', to: '2026-03-02T23:59:59' }))
        .status,
    ).toBe(403);
  });

  it('when brands are listed, networks use the settings names and each brand has its time zone', async () => {
    const { body } = await get('/settings/brands', {});
    expect(body.data[0]).toMatchObject({
      id: 4210001,
      label: 'Tienda Norte',
      timezone: 'Europe/Madrid',
      currency: 'EUR',
      linkedinCompany: expect.any(String),
      adwords: expect.any(String),
      facebookAds: expect.stringMatching(/^act_/),
      pinterest: null,
    });
  });

  it("when a timeline spans the DST change, values come newest first at local midnight with each day's offset", async () => {
    const { body } = await get('/analytics/timelines', {
      blogId: '4210002',
      network: 'facebook',
      subject: 'account',
      metric: 'reach',
      timezone: 'America/New_York',
      from: '2026-03-07T00:00:00-0500',
      to: '2026-03-09T23:59:59-0400',
    });
    expect(body.data[0].values.map((v: { dateTime: string }) => v.dateTime)).toEqual([
      '2026-03-09T00:00:00-0400',
      '2026-03-08T00:00:00-0500',
      '2026-03-07T00:00:00-0500',
    ]);
    expect(
      (
        await get('/analytics/timelines', {
          blogId: '4210002',
          network: 'tiktok',
          subject: 'account',
          metric: 'views',
          from: '2026-03-07T00:00:00',
          to: '2026-03-09T00:00:00',
        })
      ).status,
    ).toBe(400);
  });

  it('when posts and campaigns are read, TikTok times are UTC and Meta campaign ids are strings too long for a double', async () => {
    const tiktok = await get('/analytics/posts/tiktok', {
      blogId: '4210001',
      from: '2026-02-01T00:00:00',
      to: '2026-03-10T23:59:59',
    });
    expect(tiktok.body.data.length).toBeGreaterThan(5);
    expect(
      tiktok.body.data.every(
        (p: { publishedAt: { timezone: string }; videoId: string }) =>
          p.publishedAt.timezone === 'UTC' && typeof p.videoId === 'string',
      ),
    ).toBe(true);
    const ig = await get('/analytics/posts/instagram', {
      blogId: '4210001',
      from: '2026-02-01T00:00:00',
      to: '2026-03-10T23:59:59',
    });
    expect(ig.body.data[0].publishedAt.timezone).toBe('Europe/Madrid');
    // reels and stories are not among the posts: each has its own path, on Instagram and Facebook only
    const types = (r: { body: { data: { type: string }[] } }) => new Set(r.body.data.map((p) => p.type));
    expect(types(ig).has('REEL') || types(ig).has('STORY')).toBe(false);
    expect(
      types(
        await get('/analytics/reels/instagram', {
          blogId: '4210001',
          from: '2026-02-01T00:00:00',
          to: '2026-03-10T23:59:59',
        }),
      ),
    ).toEqual(new Set(['REEL']));
    expect(
      types(
        await get('/analytics/stories/instagram', {
          blogId: '4210001',
          from: '2026-02-01T00:00:00',
          to: '2026-03-10T23:59:59',
        }),
      ),
    ).toEqual(new Set(['STORY']));
    expect(
      (
        await get('/analytics/reels/tiktok', {
          blogId: '4210001',
          from: '2026-02-01T00:00:00',
          to: '2026-03-10T23:59:59',
        })
      ).status,
    ).toBe(404);
    const campaigns = await get('/analytics/campaigns/facebookads', {
      blogId: '4210001',
      from: '2026-02-01T00:00:00',
      to: '2026-03-10T23:59:59',
    });
    const first = campaigns.body.data[0];
    expect(typeof first.id).toBe('number');
    expect(first.providerCampaignId).toMatch(/^\d{18}$/);
    expect(Number.isSafeInteger(Number(first.providerCampaignId))).toBe(false);
  });

  it('when faults are armed, a 429 carries Retry-After only if asked, a 502 is an HTML page, and a cut page is not JSON', async () => {
    const control = new SandboxControl(sandbox.url);
    await control.arm({ kind: 'rate_limit', times: 1 });
    const limited = await get('/settings/brands', {});
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, null]);
    await control.arm({ kind: 'rate_limit', times: 1, retryAfterSeconds: 12 });
    expect((await get('/settings/brands', {})).headers.get('retry-after')).toBe('12');
    await control.arm({ kind: 'server_error', times: 1 });
    const bad = await get('/settings/brands', {});
    expect([bad.status, bad.headers.get('content-type')]).toEqual([502, 'text/html']);
    await control.arm({ kind: 'malformed_page', times: 1 });
    const cut = await get('/settings/brands', {});
    expect([cut.status, cut.body]).toEqual([200, undefined]);
    expect((await get('/settings/brands', {})).body.data).toHaveLength(4);
  });
});
