// Covers the Meta Graph sandbox's wire format over real HTTP: string metrics and absolute paging URLs,
// Meta's error bodies and usage headers, the OAuth dialog and token exchanges, and the control surface.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetaSandbox, type MetaSandbox } from './meta-sandbox';

let sb: MetaSandbox;
const NOW = Date.parse('2026-11-24T12:00:00Z');

beforeAll(async () => {
  sb = await startMetaSandbox({ now: () => NOW });
});
afterAll(async () => {
  await sb.stop();
});

const get = async (path: string, params: Record<string, string> = {}) => {
  const url = new URL(path, sb.baseUrl);
  for (const [k, v] of Object.entries({ access_token: sb.demoToken, ...params })) url.searchParams.set(k, v);
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: JSON.parse(await res.text()) };
};

describe('Meta Graph sandbox', () => {
  it('when insights are paged, it serves string metrics and absolute next URLs at its own origin until the last page', async () => {
    const account = sb.world.accounts[0]!;
    const params = {
      level: 'campaign',
      time_increment: '1',
      time_range: JSON.stringify({ since: '2026-11-01', until: '2026-11-10' }),
      fields: 'campaign_id,spend,impressions,actions',
      limit: '20',
    };
    const first = await get(`/v26.0/act_${account.id}/insights`, params);
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(20);
    expect(typeof first.body.data[0].spend).toBe('string');
    expect(first.body.data[0].date_start).toBe('2026-11-01');
    expect(first.body.paging.next.startsWith(`${sb.baseUrl}/v26.0/act_${account.id}/insights?`)).toBe(true);
    expect(JSON.parse(first.headers.get('x-business-use-case-usage')!)[`act_${account.id}`][0].type).toBe(
      'ads_insights',
    );
    expect(first.headers.get('x-fb-ads-insights-throttle')).toContain('acc_id_util_pct');
    let next: string | undefined = first.body.paging.next;
    let rows = first.body.data.length;
    while (next) {
      const page = JSON.parse(await (await fetch(next)).text());
      rows += page.data.length;
      next = page.paging?.next;
    }
    const truth = JSON.parse(
      await (
        await fetch(`${sb.baseUrl}/__sandbox/truth?account_id=${account.id}&since=2026-11-01&until=2026-11-10`)
      ).text(),
    );
    expect(rows).toBe(truth.campaigns.length);
  });

  it('when a fault asks for throttling, it answers code 80000 with the regain time in X-Business-Use-Case-Usage', async () => {
    const account = sb.world.accounts[1]!;
    sb.addFault({ kind: 'rate_limit', code: 80000, regainMinutes: 3, times: 1 });
    const res = await get(`/v26.0/act_${account.id}/insights`, { level: 'account', fields: 'spend' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 80000,
      error_subcode: 2446079,
      is_transient: true,
      type: 'OAuthException',
    });
    expect(
      JSON.parse(res.headers.get('x-business-use-case-usage')!)[`act_${account.id}`][0].estimated_time_to_regain_access,
    ).toBe(3);
    expect((await get(`/v26.0/act_${account.id}/insights`, { level: 'account', fields: 'spend' })).status).toBe(200);
  });

  it('when a token is unknown or a field invalid, it answers 190 and 100 as Meta does', async () => {
    const bad = await get('/v26.0/me', { access_token: 'nope' });
    expect(bad.body.error.code).toBe(190);
    const field = await get(`/v26.0/act_${sb.world.accounts[0]!.id}/insights`, { fields: 'spend,bogus_metric' });
    expect(field.body.error).toMatchObject({ code: 100 });
    expect(field.body.error.message).toContain('bogus_metric');
  });

  it('when the OAuth dialog is opened, it approves the demo user and the code becomes a long-lived token', async () => {
    const dialog = await fetch(
      `${sb.baseUrl}/v26.0/dialog/oauth?client_id=app1&redirect_uri=${encodeURIComponent('http://localhost:3000/cb')}&state=xyz&scope=ads_read`,
      { redirect: 'manual' },
    );
    expect(dialog.status).toBe(302);
    const location = new URL(dialog.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('xyz');
    const short = await get('/v26.0/oauth/access_token', {
      client_id: 'app1',
      client_secret: 's',
      redirect_uri: 'http://localhost:3000/cb',
      code: location.searchParams.get('code')!,
      access_token: '',
    });
    expect(short.body).toMatchObject({ token_type: 'bearer' });
    const long = await get('/v26.0/oauth/access_token', {
      client_id: 'app1',
      client_secret: 's',
      grant_type: 'fb_exchange_token',
      fb_exchange_token: short.body.access_token,
      access_token: '',
    });
    expect(long.body.expires_in).toBeGreaterThan(5_000_000);
    expect((await get('/v26.0/me', { access_token: long.body.access_token })).body.id).toBe(sb.world.user.id);
    const reused = await get('/v26.0/oauth/access_token', {
      client_id: 'app1',
      client_secret: 's',
      redirect_uri: 'http://localhost:3000/cb',
      code: location.searchParams.get('code')!,
      access_token: '',
    });
    expect(reused.body.error.code).toBe(100);
  });

  it('when Instagram account insights are asked for, it serves views (not impressions) and total_value per range', async () => {
    const user = sb.world.igUsers[0]!;
    const since = String(Date.parse('2026-11-10T08:00:00Z') / 1000);
    const until = String(Date.parse('2026-11-11T08:00:00Z') / 1000);
    const tv = await get(`/v26.0/${user.id}/insights`, {
      metric: 'views,likes',
      period: 'day',
      metric_type: 'total_value',
      since,
      until,
    });
    expect(tv.body.data.map((m: { name: string }) => m.name)).toEqual(['views', 'likes']);
    const truth = JSON.parse(
      await (
        await fetch(`${sb.baseUrl}/__sandbox/truth/instagram?ig_user_id=${user.id}&since=2026-11-10&until=2026-11-10`)
      ).text(),
    );
    expect(tv.body.data[0].total_value.value).toBe(truth.days[0].views);
    const old = await get(`/v26.0/${user.id}/insights`, {
      metric: 'impressions',
      period: 'day',
      metric_type: 'total_value',
      since,
      until,
    });
    expect(old.body.error.code).toBe(100);
  });

  it('when a call names a version past its end, it answers (#2635) with HTTP 400 as Meta does; a version not shipped yet is an unknown path', async () => {
    const account = sb.world.accounts[0]!;
    // the sandbox's clock is 2026-11-24: v24.0 ended on 2026-11-10, v25.0 is served until 2027-02-23
    const expired = await get(`/v24.0/act_${account.id}/insights`, { level: 'account', fields: 'spend' });
    expect(expired.status).toBe(400);
    expect(expired.body.error).toMatchObject({ code: 2635, type: 'OAuthException' });
    expect(expired.body.error.message).toMatch(/^\(#2635\) You are calling a deprecated version of the Ads API/);
    expect((await get('/v23.0/me')).body.error.code).toBe(2635);
    expect((await get('/v25.0/me')).status).toBe(200);
    expect((await get('/v27.0/me')).status).toBe(200);
    expect((await get('/v99.0/me')).body.error.code).toBe(2500);
  });

  it("when the clock passes v25.0's end, v25.0 answers (#2635) too while v26.0 is still served", async () => {
    const later = await startMetaSandbox({ now: () => Date.parse('2027-02-23T00:00:00Z') });
    try {
      const res = await fetch(`${later.baseUrl}/v25.0/me?access_token=${later.demoToken}`);
      expect(res.status).toBe(400);
      expect((JSON.parse(await res.text()) as { error: { code: number } }).error.code).toBe(2635);
      expect((await fetch(`${later.baseUrl}/v26.0/me?access_token=${later.demoToken}`)).status).toBe(200);
    } finally {
      await later.stop();
    }
  });

  it('when requests are made, it counts them by route', async () => {
    sb.resetRequests();
    await get('/v26.0/me');
    await get('/v26.0/me/adaccounts', { fields: 'name,currency' });
    expect(sb.requests()).toMatchObject({ total: 2, byRoute: { me: 1, adaccounts: 1 } });
  });
});
