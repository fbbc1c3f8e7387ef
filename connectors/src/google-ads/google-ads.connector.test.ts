// Covers the Google Ads connector end to end against the Google sandbox, through google-ads-api's own
// request and stream-parsing code (only its host and token source are redirected): extraction, the fault classes,
// OAuth, and the loader's sums.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { seedDataSource } from '@tributary/shared/testing/seed';
import { createHash, randomBytes } from 'node:crypto';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { AccountInfo, DateWindow, ExtractRequest } from '../contract';
import { canonicalDecimal, daySums } from '../runtime/test-support';
import { ConnectorAuthError, ConnectorConfigError, PermissionDeniedError } from '../contract';
import { SandboxControl } from '../sandboxes/base/sandbox-server';
import { addDays } from '../sandboxes/base/days';
import {
  GOOGLE_DEMO_CLIENT,
  GOOGLE_DEMO_DEVELOPER_TOKEN,
  startGoogleSandbox,
  type GoogleSandbox,
} from '../sandboxes/google/google-sandbox';
import { googleContext, loadInto, normalizedRows, type GoogleTestContext } from '../testing/google-test-kit';
import { googleAdsLib } from './google-ads-client';
import { googleAdsConnector as connector } from './google-ads.connector';

const TODAY = '2026-11-23';
const WINDOW = { start: addDays(TODAY, -89), end: TODAY };

let sandbox: GoogleSandbox;
let control: SandboxControl;
let t: TestDatabase;
let admin: pg.Client;
let accounts: AccountInfo[];

async function primed(): Promise<GoogleTestContext> {
  const ctx = googleContext(sandbox);
  ctx.credential = await connector.refresh!(ctx);
  return ctx;
}

const request = (account: AccountInfo, reportType = 'campaign_daily', window = WINDOW): ExtractRequest => ({
  account,
  reportType,
  window,
});

async function collect(ctx: GoogleTestContext, req: ExtractRequest) {
  const rows = [];
  for await (const batch of normalizedRows(connector, ctx, req)) rows.push(...batch);
  return rows;
}

/**
 * Rows extracted under faults, summed per day, equal the sandbox's truth for the window exactly: no day lost, none
 * twice.
 */
async function expectEqualsTruth(rows: FactRow[], account: AccountInfo, window: DateWindow) {
  const byDay = (
    await control.truth<{ groups: Record<string, Record<string, string>> }>({
      api: 'google_ads',
      account: account.id,
      from: window.start,
      to: window.end,
      groupBy: 'date',
    })
  ).groups;
  expect(Object.keys(byDay).length).toBeGreaterThan(0);
  expect(daySums(rows, ['impressions', 'clicks', 'cost', 'conversions', 'revenue'])).toEqual(
    Object.fromEntries(
      Object.entries(byDay).map(([day, t]) => [
        day,
        {
          rows: String(Number(t.campaignDays)),
          impressions: canonicalDecimal(t.impressions!),
          clicks: canonicalDecimal(t.clicks!),
          cost: canonicalDecimal(t.cost!),
          conversions: canonicalDecimal(t.conversions!),
          revenue: canonicalDecimal(t.conversionsValue!),
        },
      ]),
    ),
  );
}

beforeAll(async () => {
  sandbox = await startGoogleSandbox({ today: TODAY, adsBatchSize: 400 });
  control = new SandboxControl(sandbox.url);
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  accounts = (await connector.discover(await primed())).accounts;
});
afterAll(async () => {
  await admin?.end();
  await t?.drop();
  await sandbox?.stop();
});

// loading three accounts' 90 days through the real loader takes tens of seconds on a loaded CI machine
const HEAVY_TEST_MS = 300_000;

describe('Google Ads connector', () => {
  it('when discovering, it lists every accessible customer with its currency and time zone', () => {
    expect(accounts.map((a) => [a.id, a.currency, a.timeZone])).toEqual([
      ['1234567890', 'EUR', 'Europe/Madrid'],
      ['2345678901', 'USD', 'America/New_York'],
      ['3456789012', 'JPY', 'Asia/Tokyo'],
    ]);
  });

  it('when a run asks for its one account, it gets the same description in one call, and nothing for a customer the login cannot reach', async () => {
    const ctx = await primed();
    await control.resetRequests();
    const catalog = await connector.catalogFor!(ctx, '2345678901');
    expect(catalog.accounts).toEqual(accounts.filter((a) => a.id === '2345678901'));
    expect(catalog.reportTypes.map((r) => r.id)).toEqual(['campaign_daily', 'ad_group_daily', 'ad_daily']);
    expect((await control.requests()).total).toBe(1);
    await expect(connector.catalogFor!(ctx, '9999999999')).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it(
    'when 90 days are extracted, normalized and loaded, sums per day, account and campaign equal the sandbox truth exactly',
    async () => {
      // Prepare
      const source = await seedDataSource(t.adminUrl, { platform: 'google_ads' });
      const ctx = await primed();
      await control.resetRequests();
      // Act
      for (const account of accounts) await loadInto(t.db, source, normalizedRows(connector, ctx, request(account)));
      // Assess: one searchStream per window, the fewest Google allows
      expect((await control.requests()).byRoute['google_ads.searchStream']).toBe(3);
      // each page is one of Google's batches (400 rows here), with Google's own bytes for the raw archive
      const pages = [];
      for await (const page of connector.extract(ctx, request(accounts[0]!))) pages.push(page);
      expect(pages.length).toBeGreaterThan(1);
      for (const page of pages)
        expect(JSON.parse(Buffer.concat(page.raw!).toString('utf8'))).toEqual({
          ...(page.body as object),
          fieldMask: expect.any(String),
          requestId: expect.any(String),
          ...(page.index === pages.length - 1 ? { queryResourceConsumption: expect.any(String) } : {}),
        });
      expect(pages.slice(0, -1).every((p) => (p.body as { results: unknown[] }).results.length === 400)).toBe(true);
      for (const account of accounts) {
        const q = { api: 'google_ads', account: account.id, from: WINDOW.start, to: WINDOW.end };
        const byDay = (
          await control.truth<{ groups: Record<string, Record<string, string>> }>({ ...q, groupBy: 'date' })
        ).groups;
        const byCampaign = (
          await control.truth<{ groups: Record<string, Record<string, string>> }>({ ...q, groupBy: 'campaign' })
        ).groups;
        const dbDays = await admin.query(
          `SELECT data_date::text AS day, sum(impressions)::text AS impressions, sum(clicks)::text AS clicks, sum(cost)::text AS cost,
                sum(conversions)::text AS conversions, sum(revenue)::text AS revenue, count(*)::int AS rows, min(currency) AS currency
         FROM extracted_data WHERE data_source_id = $1 AND account_id = $2 GROUP BY 1 ORDER BY 1`,
          [source.dataSourceId, account.id],
        );
        expect(dbDays.rows.length).toBe(Object.keys(byDay).length);
        for (const r of dbDays.rows) {
          const truth = byDay[r.day]!;
          expect({
            day: r.day,
            impressions: r.impressions,
            clicks: r.clicks,
            cost: num(r.cost),
            conversions: num(r.conversions),
            revenue: num(r.revenue),
            rows: r.rows,
            currency: r.currency,
          }).toEqual({
            day: r.day,
            impressions: truth.impressions,
            clicks: truth.clicks,
            cost: num(truth.cost!),
            conversions: num(truth.conversions!),
            revenue: num(truth.conversionsValue!),
            rows: Number(truth.campaignDays),
            currency: account.currency,
          });
        }
        const dbCampaigns = await admin.query(
          `SELECT campaign_id, sum(cost)::text AS cost, sum(conversions)::text AS conversions, sum(clicks)::text AS clicks
         FROM extracted_data WHERE data_source_id = $1 AND account_id = $2 GROUP BY 1`,
          [source.dataSourceId, account.id],
        );
        expect(dbCampaigns.rows.length).toBe(Object.keys(byCampaign).length);
        for (const r of dbCampaigns.rows) {
          const truth = byCampaign[r.campaign_id]!;
          expect([num(r.cost), num(r.conversions), r.clicks]).toEqual([
            num(truth.cost!),
            num(truth.conversions!),
            truth.clicks,
          ]);
        }
      }
    },
    HEAVY_TEST_MS,
  );

  it(
    'when ad-level rows are loaded, they add up to the same account totals',
    async () => {
      const source = await seedDataSource(t.adminUrl, { platform: 'google_ads' });
      const account = accounts[2]!; // JPY: no minor unit, micros still exact
      const result = await loadInto(
        t.db,
        source,
        normalizedRows(connector, await primed(), request(account, 'ad_daily')),
      );
      expect(result.inserted).toBeGreaterThan(1000); // several stream batches
      const truth = await control.truth({ api: 'google_ads', account: account.id, from: WINDOW.start, to: WINDOW.end });
      const db = (
        await admin.query(
          `SELECT sum(cost)::text AS cost, sum(impressions)::text AS impressions, count(DISTINCT ad_id)::int AS ads FROM extracted_data WHERE data_source_id = $1`,
          [source.dataSourceId],
        )
      ).rows[0];
      expect([num(db.cost), db.impressions]).toEqual([num(truth.cost!), truth.impressions]);
      expect(db.ads).toBeGreaterThan(10);
    },
    HEAVY_TEST_MS,
  );

  it(
    'when recent days restate on a later call, re-extracting replaces them and the loader reports the deltas',
    async () => {
      const source = await seedDataSource(t.adminUrl, { platform: 'google_ads' });
      const account = accounts[0]!;
      const recent = { start: addDays(TODAY, -4), end: TODAY };
      await loadInto(
        t.db,
        source,
        normalizedRows(connector, await primed(), request(account, 'campaign_daily', recent)),
      );
      await control.advance(1);
      try {
        const again = await loadInto(
          t.db,
          source,
          normalizedRows(connector, await primed(), request(account, 'campaign_daily', recent)),
        );
        expect(again.updated).toBeGreaterThan(0);
        expect(again.restatements.some((d) => Number(d.conversionsDelta) > 0)).toBe(true);
        const truth = await control.truth({
          api: 'google_ads',
          account: account.id,
          from: recent.start,
          to: recent.end,
        });
        const db = (
          await admin.query(
            `SELECT sum(conversions)::text AS c, count(*)::int AS n FROM extracted_data WHERE data_source_id = $1`,
            [source.dataSourceId],
          )
        ).rows[0];
        expect([num(db.c), db.n]).toEqual([num(truth.conversions!), Number(truth.campaignDays)]);
      } finally {
        await control.advance(0);
        sandbox.ads.version = 0;
        sandbox.ga4.version = 0;
      }
    },
    HEAVY_TEST_MS,
  );

  it("when rate limited, it waits the retryDelay Google asked for, then finishes; the error came from the library's GoogleAdsFailure", async () => {
    const ctx = await primed();
    await control.arm({ kind: 'rate_limit', target: 'google_ads', retryDelaySeconds: 30, times: 1 });
    const window = { start: addDays(TODAY, -6), end: TODAY };
    const rows = await collect(ctx, request(accounts[1]!, 'campaign_daily', window));
    expect(ctx.clock.sleeps).toContain(30_000);
    await expectEqualsTruth(rows, accounts[1]!, window);
    // the classification read the proto the library built from the error body
    await control.arm({ kind: 'rate_limit', target: 'google_ads', retryDelaySeconds: 3600, times: 1 });
    const err = await collect(ctx, request(accounts[1]!)).catch((e: unknown) => e);
    expect((err as Error).cause).toBeInstanceOf(googleAdsLib.errors.GoogleAdsFailure);
  });

  it('when the server fails or drops the connection, it backs off and succeeds', async () => {
    const ctx = await primed();
    await control.arm({ kind: 'server_error', target: 'google_ads', status: 503, times: 2 });
    await control.arm({ kind: 'timeout', target: 'google_ads', hangMs: 20, times: 1 });
    const window = { start: addDays(TODAY, -2), end: TODAY };
    const rows = await collect(ctx, request(accounts[0]!, 'campaign_daily', window));
    expect(ctx.clock.sleeps.length).toBe(3);
    await expectEqualsTruth(rows, accounts[0]!, window);
  });

  it('when the access token expires, it refreshes once, persists the new token, and the call succeeds; no token is logged', async () => {
    const ctx = await primed();
    const stale = ctx.credential.accessToken!;
    await control.arm({ kind: 'expired_token' });
    const window = { start: addDays(TODAY, -2), end: TODAY };
    const rows = await collect(ctx, request(accounts[0]!, 'campaign_daily', window));
    await expectEqualsTruth(rows, accounts[0]!, window);
    expect(ctx.refreshed).toHaveLength(1);
    expect(ctx.refreshed[0]!.accessToken).not.toBe(stale);
    const log = ctx.memoryLogger.text();
    expect(log).not.toContain(stale);
    expect(log).not.toContain(ctx.refreshed[0]!.accessToken!);
    expect(log).not.toContain(ctx.credential.refreshToken);
  });

  it('when the user revoked access, it fails with an auth error that tells them to reconnect', async () => {
    const victim = await startGoogleSandbox({ today: TODAY });
    try {
      const ctx = googleContext(victim);
      ctx.credential = await connector.refresh!(ctx);
      await new SandboxControl(victim.url).arm({ kind: 'revoked' });
      const err = await collect(ctx, request(accounts[0]!)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectorAuthError);
      expect((err as ConnectorAuthError).userMessage).toMatch(/Reconnect the Google Ads credential/);
      expect(ctx.refreshed).toHaveLength(0);
    } finally {
      await victim.stop();
    }
  });

  it('when the login lost access to the account, it fails at once as permission denied', async () => {
    const ctx = await primed();
    await control.arm({ kind: 'permission_denied', target: 'google_ads' });
    try {
      const err = await collect(ctx, request(accounts[0]!)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermissionDeniedError);
      expect((err as PermissionDeniedError).userMessage).toMatch(/grant access/);
    } finally {
      await control.clearFaults();
    }
  });

  it('when a stream batch is cut off mid-JSON, the window fails and nothing of it is written', async () => {
    const source = await seedDataSource(t.adminUrl, { platform: 'google_ads' });
    await control.arm({ kind: 'malformed_page', target: 'google_ads', page: 2, times: 1 });
    await expect(
      loadInto(t.db, source, normalizedRows(connector, await primed(), request(accounts[0]!))),
    ).rejects.toMatchObject({ name: 'FatalConnectorError' });
    const n = (
      await admin.query(`SELECT count(*)::int AS n FROM extracted_data WHERE data_source_id = $1`, [
        source.dataSourceId,
      ])
    ).rows[0].n;
    expect(n).toBe(0);
  });

  it('when Google adds a metric, it lands in extraMetrics; when one is removed, rows still load with it null', async () => {
    const ctx = await primed();
    await control.arm({ kind: 'new_metric', name: 'engagedViewConversions', value: '7' });
    await control.arm({ kind: 'removed_metric', field: 'metrics.conversionsValue' });
    try {
      const rows = await collect(ctx, request(accounts[0]!, 'campaign_daily', { start: TODAY, end: TODAY }));
      expect(rows.length).toBeGreaterThan(0);
      expect(
        rows.every((r) => r.extraMetrics?.engagedViewConversions === '7' && r.revenue === null && r.cost !== null),
      ).toBe(true);
    } finally {
      await control.clearFaults();
    }
  });

  it('when a field the query names was renamed, it fails as a configuration error naming the field', async () => {
    await control.arm({ kind: 'renamed_metric', from: 'metrics.conversionsValue', to: 'metrics.conversionValue' });
    try {
      const err = await collect(await primed(), request(accounts[0]!)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectorConfigError);
      expect((err as Error).message).toContain('metrics.conversions_value');
    } finally {
      await control.clearFaults();
    }
  });

  it('when a user connects through OAuth with PKCE, the code exchange gives a credential that validates', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const url = connector.buildAuthorizeUrl!({
      clientId: GOOGLE_DEMO_CLIENT.clientId,
      redirectUri: 'http://127.0.0.1:3000/oauth/callback',
      state: 'state-123',
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
      baseUrls: { google_oauth_authorize: sandbox.url },
    });
    expect(url).toContain('access_type=offline');
    const res = await fetch(url, { redirect: 'manual' });
    const callback = new URL(res.headers.get('location')!);
    expect(callback.searchParams.get('state')).toBe('state-123');
    const credential = await connector.exchangeCode!({
      code: callback.searchParams.get('code')!,
      redirectUri: 'http://127.0.0.1:3000/oauth/callback',
      codeVerifier: verifier,
      client: { ...GOOGLE_DEMO_CLIENT, developerToken: GOOGLE_DEMO_DEVELOPER_TOKEN },
      baseUrls: { google_oauth_token: sandbox.url },
    });
    expect(credential.refreshToken).toMatch(/^1\/\//);
    await expect(connector.validate(googleContext(sandbox, credential))).resolves.toBeUndefined();
    // a wrong verifier is refused by the token endpoint and classified as an auth failure
    const again = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    await expect(
      connector.exchangeCode!({
        code: again.searchParams.get('code')!,
        redirectUri: 'http://127.0.0.1:3000/oauth/callback',
        codeVerifier: 'wrong',
        client: GOOGLE_DEMO_CLIENT,
        baseUrls: { google_oauth_token: sandbox.url },
      }),
    ).rejects.toBeInstanceOf(ConnectorAuthError);
  });
});

/** numeric text compared as numbers of the same value ("12.50" = "12.5") */
function num(v: string): string {
  return v.includes('.') ? v.replace(/\.?0+$/, '') : v;
}
