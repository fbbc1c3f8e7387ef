// Covers the Meta Ads connector through the official facebook-nodejs-business-sdk against the Meta Graph sandbox
// over real HTTP, loaded with the foundation's loader into the embedded PostgreSQL: truth, faults and OAuth.
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { seedDataSource } from '@tributary/shared/testing/seed';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import {
  ConnectorAuthError,
  FatalConnectorError,
  PermissionDeniedError,
  type AccountInfo,
  type ConnectorContext,
  type ExtractRequest,
} from '../contract';
import { KeyValueRateLimiter } from '../runtime/rate-limiter';
import { runExtract } from '../runtime/call';
import { MemoryLogger, VirtualClock, canonicalDecimal, daySums } from '../runtime/test-support';
import { startMetaSandbox, type MetaSandbox } from '../sandboxes/meta/meta-sandbox';
import { User } from 'facebook-nodejs-business-sdk';
import { META_GRAPH_API_VERSION } from './graph-client';
import { GraphClient } from './meta.sdk';
import { createMetaAdsConnector } from './meta-ads.connector';
import type { MetaCredential } from './meta-oauth';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const WINDOW_90 = { start: '2026-08-27', end: '2026-11-24' };
let t: TestDatabase;
let admin: pg.Client;
let sb: MetaSandbox;
const connector = createMetaAdsConnector({ asyncPollIntervalMs: 1_000 });

beforeAll(async () => {
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  sb = await startMetaSandbox({ now: () => NOW });
});
afterAll(async () => {
  await sb.stop();
  await admin.end();
  await t.drop();
});
beforeEach(() => {
  sb.clearFaults();
});

function context(credential: Partial<MetaCredential> = {}) {
  const clock = new VirtualClock(NOW);
  const logger = new MemoryLogger();
  const refreshed: MetaCredential[] = [];
  const ctx: ConnectorContext<MetaCredential> = {
    credential: { accessToken: sb.demoToken, ...credential },
    baseUrls: { meta_graph: sb.baseUrl, meta_oauth: sb.baseUrl },
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(), connector.rateLimits, {
      now: clock.now,
      sleep: clock.sleep,
    }),
    rateBucket: `meta_ads:${Math.random()}`,
    logger,
    now: clock.now,
    sleep: clock.sleep,
    onTokensRefreshed: async (c) => {
      refreshed.push(c);
    },
  };
  return { ctx, clock, logger, refreshed };
}

const accountOf = (i: number): AccountInfo => {
  const a = sb.world.accounts[i]!;
  return { id: a.id, name: a.name, currency: a.currency, timeZone: a.timezone };
};

async function* factRows(ctx: ConnectorContext<MetaCredential>, request: ExtractRequest): AsyncGenerator<FactRow[]> {
  for await (const page of runExtract(connector, ctx, request, { random: () => 0.5 }))
    yield connector.normalize(page, {
      account: request.account,
      reportType: request.reportType,
      window: request.window,
    });
}

async function truth(accountId: string, window = WINDOW_90) {
  return JSON.parse(
    await (
      await fetch(`${sb.baseUrl}/__sandbox/truth?account_id=${accountId}&since=${window.start}&until=${window.end}`)
    ).text(),
  );
}

describe('Meta Ads connector', () => {
  it.each([0, 3])(
    'when 90 days of campaign insights of account %i are extracted through the SDK and loaded, the sums per day, account and campaign equal the sandbox truth',
    async (i) => {
      // Prepare
      const account = accountOf(i);
      const source = await seedDataSource(t.adminUrl, { platform: 'meta_ads' });
      const { ctx } = context();
      sb.resetRequests();
      // Act
      const result = await loadFacts(
        t.db,
        {
          organizationId: source.organizationId,
          projectId: source.projectId,
          dataSourceId: source.dataSourceId,
          platform: 'meta_ads',
        },
        factRows(ctx, { account, reportType: 'campaign_daily', window: WINDOW_90 }),
      );
      // Assess
      const expected = await truth(account.id);
      expect(result.inserted).toBe(expected.campaigns.length);
      const days = await admin.query(
        `SELECT data_date::text AS date, sum(impressions)::text AS impressions, sum(clicks)::text AS clicks, sum(cost)::text AS spend,
              sum(conversions)::text AS conversions, sum(revenue)::text AS revenue, min(currency) AS currency, count(DISTINCT account_id)::int AS accounts
       FROM extracted_data WHERE data_source_id = $1 GROUP BY data_date ORDER BY data_date`,
        [source.dataSourceId],
      );
      expect(
        days.rows.map((r) => ({
          date: r.date,
          impressions: Number(r.impressions),
          clicks: Number(r.clicks),
          spend: exact(r.spend),
          conversions: Number(r.conversions),
          revenue: exact(r.revenue),
        })),
      ).toEqual(
        expected.days.map((d: Record<string, unknown>) => ({
          ...d,
          spend: exact(d.spend as string),
          revenue: exact(d.revenue as string),
        })),
      );
      expect(new Set(days.rows.map((r) => r.currency))).toEqual(new Set([account.currency]));
      expect(days.rows.every((r) => r.accounts === 1)).toBe(true);
      const campaigns = await admin.query(
        `SELECT data_date::text AS date, campaign_id, impressions::text, cost::text AS spend, conversions::text, revenue::text
       FROM extracted_data WHERE data_source_id = $1 ORDER BY data_date, campaign_id`,
        [source.dataSourceId],
      );
      expect(
        campaigns.rows.map((r) => [
          r.date,
          r.campaign_id,
          Number(r.impressions),
          exact(r.spend),
          Number(r.conversions),
          exact(r.revenue),
        ]),
      ).toEqual(
        expected.campaigns.map((c: Record<string, unknown>) => [
          c.date,
          c.campaign_id,
          c.impressions,
          exact(c.spend as string),
          c.conversions,
          exact(c.revenue as string),
        ]),
      );
      // 90 days go through one async report run; every call was the SDK's, and pages after the first followed
      // the absolute paging.next URLs through the SDK's Cursor
      const requests = sb.requests();
      expect(requests.byRoute.insights_async_create).toBe(1);
      expect(requests.byRoute.report_run_insights).toBe(Math.ceil(expected.campaigns.length / 500));
      expect(Object.keys(requests.userAgents)).toEqual([expect.stringMatching(/^fbbizsdk-nodejs-v/)]);
    },
  );

  it("when a call goes to an expired Graph version, Meta's (#2635) answer fails it as fatal; the pinned version is served", async () => {
    expect(META_GRAPH_API_VERSION).toBe('v26.0');
    sb.resetRequests();
    const expired = new GraphClient(sb.demoToken, sb.baseUrl, 'meta_ads', 5_000, 'v24.0');
    const err = await expired
      .run('read the connected user', () => new User('me', {}, undefined, expired.api).read(['id']))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalConnectorError);
    expect((err as FatalConnectorError).message).toContain('(#2635) You are calling a deprecated version');
    expect(sb.requests().byRoute).toEqual({ expired_version: 1 });
    const pinned = new GraphClient(sb.demoToken, sb.baseUrl, 'meta_ads', 5_000);
    const me = await pinned.run('read the connected user', () =>
      new User('me', {}, undefined, pinned.api).read(['id']),
    );
    expect((me as unknown as { id: string }).id).toBe(sb.world.user.id);
  });

  it('when a short window is read synchronously, the SDK Cursor pages through every row exactly once', async () => {
    const account = accountOf(1);
    const { ctx } = context();
    const small = createMetaAdsConnector({ pageSize: 7 });
    sb.resetRequests();
    const ids: string[] = [];
    for await (const page of small.extract(ctx, {
      account,
      reportType: 'ad_daily',
      window: { start: '2026-11-01', end: '2026-11-03' },
    })) {
      for (const row of small.normalize(page, {
        account,
        reportType: 'ad_daily',
        window: { start: '2026-11-01', end: '2026-11-03' },
      }))
        ids.push(`${row.date}/${row.adId}`);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(sb.requests().byRoute.insights).toBe(Math.ceil(ids.length / 7));
    expect(sb.requests().byRoute.insights).toBeGreaterThan(2);
  });

  it('when Meta throttles the ad account (80000) and asks for 3 minutes, the runner waits exactly that and the window completes', async () => {
    sb.addFault({ kind: 'rate_limit', code: 80000, regainMinutes: 3, times: 1 });
    const { ctx, clock } = context();
    const rows = await collect(ctx, {
      account: accountOf(0),
      reportType: 'campaign_daily',
      window: { start: '2026-11-01', end: '2026-11-07' },
    });
    expect(clock.sleeps).toContain(180_000);
    await expectEqualsTruth(rows, accountOf(0).id, { start: '2026-11-01', end: '2026-11-07' });
  });

  it('when Meta answers 500 once, it backs off and succeeds', async () => {
    sb.addFault({ kind: 'server_error', times: 1 });
    const { ctx, clock } = context();
    const rows = await collect(ctx, {
      account: accountOf(0),
      reportType: 'campaign_daily',
      window: { start: '2026-11-01', end: '2026-11-07' },
    });
    expect(clock.sleeps.length).toBe(1);
    await expectEqualsTruth(rows, accountOf(0).id, { start: '2026-11-01', end: '2026-11-07' });
  });

  it('when the token has expired, it is refreshed once through fb_exchange_token, persisted, and the extraction succeeds without the token in any log', async () => {
    sb.addFault({ kind: 'expired_token' });
    const { ctx, refreshed, logger } = context({ appId: 'sandbox-app', appSecret: 'sandbox-secret' });
    const rows = await collect(ctx, {
      account: accountOf(2),
      reportType: 'campaign_daily',
      window: { start: '2026-11-01', end: '2026-11-07' },
    });
    await expectEqualsTruth(rows, accountOf(2).id, { start: '2026-11-01', end: '2026-11-07' });
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0]!.accessToken).not.toBe(sb.demoToken);
    expect(logger.text()).not.toContain(sb.demoToken);
    expect(logger.text()).not.toContain(refreshed[0]!.accessToken);
  });

  it('when the user removed the app, the credential fails with an actionable message to reconnect', async () => {
    sb.addFault({ kind: 'revoked' });
    const { ctx } = context({ appId: 'sandbox-app', appSecret: 'sandbox-secret' });
    const err = await collect(ctx, {
      account: accountOf(0),
      reportType: 'campaign_daily',
      window: { start: '2026-11-01', end: '2026-11-07' },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectorAuthError);
    expect(err.userMessage).toMatch(/Reconnect/);
    await expect(connector.validate(ctx)).rejects.toBeInstanceOf(ConnectorAuthError);
  });

  it('when the ads_read permission is gone, it fails with PermissionDeniedError', async () => {
    sb.addFault({ kind: 'permission_denied', target: 'ads' });
    const { ctx } = context();
    const err = await collect(ctx, {
      account: accountOf(0),
      reportType: 'campaign_daily',
      window: { start: '2026-11-01', end: '2026-11-07' },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.userMessage).toMatch(/grant access/);
  });

  it('when a page arrives cut off mid-JSON, the window fails as fatal and none of it is written', async () => {
    sb.addFault({ kind: 'malformed_page', page: 1 });
    const source = await seedDataSource(t.adminUrl, { platform: 'meta_ads' });
    const { ctx } = context();
    const small = createMetaAdsConnector({ pageSize: 20 });
    async function* rows() {
      for await (const page of runExtract(small, ctx, {
        account: accountOf(0),
        reportType: 'campaign_daily',
        window: { start: '2026-11-01', end: '2026-11-07' },
      })) {
        yield small.normalize(page, {
          account: accountOf(0),
          reportType: 'campaign_daily',
          window: { start: '2026-11-01', end: '2026-11-07' },
        });
      }
    }
    const err = await loadFacts(
      t.db,
      {
        organizationId: source.organizationId,
        projectId: source.projectId,
        dataSourceId: source.dataSourceId,
        platform: 'meta_ads',
      },
      rows(),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(FatalConnectorError);
    const count = await admin.query('SELECT count(*)::int AS n FROM extracted_data WHERE data_source_id = $1', [
      source.dataSourceId,
    ]);
    expect(count.rows[0].n).toBe(0);
  });

  it('when Meta adds a metric nobody asked for and drops another, the new one lands in extraMetrics and the rows still load', async () => {
    sb.addFault({ kind: 'new_metric', name: 'engaged_view_conversions', value: '7' });
    sb.addFault({ kind: 'removed_metric', field: 'inline_link_clicks' });
    const { ctx } = context();
    const rows = await collect(ctx, {
      account: accountOf(1),
      reportType: 'campaign_daily',
      window: { start: '2026-11-01', end: '2026-11-02' },
    });
    expect(rows.length).toBeGreaterThan(0);
    expect(
      rows.every(
        (r) => r.extraMetrics?.engaged_view_conversions === '7' && !('inline_link_clicks' in (r.extraMetrics ?? {})),
      ),
    ).toBe(true);
    const source = await seedDataSource(t.adminUrl, { platform: 'meta_ads' });
    await loadFacts(
      t.db,
      {
        organizationId: source.organizationId,
        projectId: source.projectId,
        dataSourceId: source.dataSourceId,
        platform: 'meta_ads',
      },
      [rows],
    );
    const stored = await admin.query(
      `SELECT extra_metrics->>'engaged_view_conversions' AS v FROM extracted_data WHERE data_source_id = $1 LIMIT 1`,
      [source.dataSourceId],
    );
    expect(stored.rows[0].v).toBe('7');
  });

  it('when the same days are read again later, conversions that arrived late grow and the loader restates them', async () => {
    const source = await seedDataSource(t.adminUrl, { platform: 'meta_ads' });
    const target = {
      organizationId: source.organizationId,
      projectId: source.projectId,
      dataSourceId: source.dataSourceId,
      platform: 'meta_ads',
    };
    const window = { start: '2026-11-18', end: '2026-11-24' };
    const { ctx } = context();
    // account 2 has been read least in this file: its late conversions have the most left to grow
    await loadFacts(t.db, target, factRows(ctx, { account: accountOf(2), reportType: 'campaign_daily', window }));
    const again = await loadFacts(
      t.db,
      target,
      factRows(ctx, { account: accountOf(2), reportType: 'campaign_daily', window }),
    );
    expect(again.updated).toBeGreaterThan(0);
    expect(again.restatements.every((d) => d.date >= '2026-11-21')).toBe(true);
    const expected = await truth(accountOf(2).id, window);
    const sum = await admin.query('SELECT sum(conversions)::int AS n FROM extracted_data WHERE data_source_id = $1', [
      source.dataSourceId,
    ]);
    expect(sum.rows[0].n).toBe(expected.days.reduce((n: number, d: { conversions: number }) => n + d.conversions, 0));
  });

  it('when the connect flow runs, discover lists the accounts with currency and time zone', async () => {
    // Prepare: the dialog auto-approves the demo user and redirects with a code
    const dialog = await fetch(
      `${sb.baseUrl}/v26.0/dialog/oauth?client_id=tributary-app&redirect_uri=${encodeURIComponent('http://127.0.0.1:3000/oauth/callback')}&state=s1&scope=ads_read`,
      { redirect: 'manual' },
    );
    const code = new URL(dialog.headers.get('location')!).searchParams.get('code')!;
    // Act
    const credential = await connector.exchangeCode!({
      code,
      redirectUri: 'http://127.0.0.1:3000/oauth/callback',
      client: { clientId: 'tributary-app', clientSecret: 'shh' },
      baseUrls: { meta_graph: sb.baseUrl },
    });
    const { ctx } = context(credential);
    await connector.validate(ctx);
    const catalog = await connector.discover(ctx);
    // Assess
    expect(credential.expiresAt).toBeGreaterThan(Date.now() + 50 * 86_400_000);
    expect(catalog.accounts.map((a) => [a.currency, a.timeZone])).toEqual(
      sb.world.accounts.map((a) => [a.currency, a.timezone]),
    );
    expect(catalog.reportTypes.map((r) => r.id)).toEqual([
      'account_daily',
      'campaign_daily',
      'adset_daily',
      'ad_daily',
    ]);
  });
});

async function collect(ctx: ConnectorContext<MetaCredential>, request: ExtractRequest): Promise<FactRow[]> {
  const rows: FactRow[] = [];
  for await (const batch of factRows(ctx, request)) rows.push(...batch);
  return rows;
}

/** Rows extracted under faults, summed per day, equal the truth of what the sandbox served for the window, exactly. */
async function expectEqualsTruth(rows: FactRow[], accountId: string, window: { start: string; end: string }) {
  const expected = await truth(accountId, window);
  expect(expected.days.length).toBeGreaterThan(0);
  const campaignsPerDay = new Map<string, number>();
  for (const c of expected.campaigns as { date: string }[])
    campaignsPerDay.set(c.date, (campaignsPerDay.get(c.date) ?? 0) + 1);
  expect(daySums(rows, ['impressions', 'clicks', 'cost', 'conversions', 'revenue'])).toEqual(
    Object.fromEntries(
      (expected.days as Record<string, string | number>[]).map((d) => [
        d.date,
        {
          rows: String(campaignsPerDay.get(String(d.date))),
          impressions: canonicalDecimal(d.impressions!),
          clicks: canonicalDecimal(d.clicks!),
          cost: canonicalDecimal(d.spend!),
          conversions: canonicalDecimal(d.conversions!),
          revenue: canonicalDecimal(d.revenue!),
        },
      ]),
    ),
  );
}

/**
 * A decimal string without trailing fractional zeros ("12.30" → "12.3", "0.00" → "0"): equal values, exactly, without
 * floats.
 */
function exact(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
