// Covers the Shopify connector through @shopify/admin-api-client against the Shopify sandbox over real HTTP,
// loaded with the fact loader into the embedded PostgreSQL: truth per day and channel/UTM, bulk and paged
// paths, every fault class, restatements, and the OAuth flow.
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
  RateLimitedError,
  type AccountInfo,
  type Connector,
  type ConnectorContext,
  type ExtractRequest,
} from '../contract';
import { KeyValueRateLimiter } from '../runtime/rate-limiter';
import { runExtract } from '../runtime/call';
import { MemoryLogger, VirtualClock } from '../runtime/test-support';
import { SHOPIFY_DEMO_CLIENT, startShopifySandbox, type ShopifySandbox } from '../sandboxes/shopify/shopify-sandbox';
import { classifyShopifyError, graphqlRequest, SHOPIFY_API } from './shopify-api';
import { adminClient } from './shopify.sdk';
import { ORDER_METRICS } from './shopify-normalize';
import { createShopifyConnector } from './shopify.connector';
import type { ShopifyCredential } from './shopify-oauth';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const WINDOW_90 = { start: '2026-08-27', end: '2026-11-24' };
const WEEK = { start: '2026-11-10', end: '2026-11-16' };
let t: TestDatabase;
let admin: pg.Client;
let sb: ShopifySandbox;
const connector = createShopifyConnector({ bulkPollIntervalMs: 1_000 });
// the sandbox's leaky bucket refills on the virtual time the connector sleeps on, so a test never depends on
// how fast the machine runs it
let bucketMs = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  sb = await startShopifySandbox({ now: () => NOW, bucketNow: () => bucketMs });
});
afterAll(async () => {
  await sb.stop();
  await admin.end();
  await t.drop();
});
beforeEach(() => {
  sb.faults.clear();
});

const shopOf = (i: number) => sb.world.shops[i]!;
const accountOf = (i: number): AccountInfo => {
  const s = shopOf(i);
  return { id: s.domain, name: s.name, currency: s.currency, timeZone: s.timeZone };
};

function context(i: number, credential: Partial<ShopifyCredential> = {}, c: Connector<ShopifyCredential> = connector) {
  const clock = new VirtualClock(NOW);
  const sleep = async (ms: number, signal?: AbortSignal) => {
    await clock.sleep(ms, signal);
    bucketMs += ms;
  };
  const logger = new MemoryLogger();
  const refreshed: ShopifyCredential[] = [];
  const ctx: ConnectorContext<ShopifyCredential> = {
    credential: { shop: shopOf(i).domain, accessToken: shopOf(i).staticToken, ...credential },
    baseUrls: { shopify_admin: sb.url },
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(), c.rateLimits, {
      now: clock.now,
      sleep,
    }),
    rateBucket: `shopify:${Math.random()}`,
    logger,
    now: clock.now,
    sleep,
    oauthClient: { ...SHOPIFY_DEMO_CLIENT },
    onTokensRefreshed: async (cred) => {
      refreshed.push(cred);
    },
  };
  return { ctx, clock, logger, refreshed };
}

async function collect(
  ctx: ConnectorContext<ShopifyCredential>,
  request: ExtractRequest,
  c: Connector<ShopifyCredential> = connector,
): Promise<FactRow[]> {
  const rows: FactRow[] = [];
  for await (const page of runExtract(c, ctx, request, { random: () => 0.5 })) rows.push(...c.normalize(page, request));
  return rows;
}

interface TruthRow extends Record<string, string> {
  date: string;
}
async function truth(i: number, report: string, window: { start: string; end: string }): Promise<TruthRow[]> {
  const res = await fetch(
    `${sb.url}/__sandbox/truth?shop=${shopOf(i).domain}&report=${report}&from=${window.start}&to=${window.end}`,
  );
  return ((await res.json()) as { rows: TruthRow[] }).rows;
}

/** a fact row in the truth's shape: the dimension values, then each metric as the shortest exact decimal */
function asTruth(row: FactRow): Record<string, string> {
  const m = row.extraMetrics as Record<string, string | number>;
  const dims: Record<string, string> =
    row.dataType === 'orders_daily'
      ? { sales_channel: String(row.extraDimensions!.sales_channel) }
      : {
          utm_source: String(row.extraDimensions!.utm_source),
          utm_medium: String(row.extraDimensions!.utm_medium),
          utm_campaign: String(row.campaignId),
        };
  return {
    date: row.date,
    ...dims,
    ...Object.fromEntries(ORDER_METRICS.map((k) => [k, String(m[k])])),
    currency: String(row.currency),
  };
}
const byKey = (rows: Record<string, string>[]) =>
  [...rows].sort((a, b) =>
    JSON.stringify([a.date, a.sales_channel, a.utm_source, a.utm_medium, a.utm_campaign]) <
    JSON.stringify([b.date, b.sales_channel, b.utm_source, b.utm_medium, b.utm_campaign])
      ? -1
      : 1,
  );

describe('Shopify connector', () => {
  it('pins Admin API 2026-10 with its sunset a year after release', () => {
    expect(SHOPIFY_API).toMatchObject({ version: '2026-10', sunset: '2027-10-01' });
  });

  it.each([0, 3])(
    'when 90 days of orders of shop %i are extracted through a bulk operation and loaded, each day and channel equals the sandbox truth exactly',
    async (i) => {
      // Prepare
      const account = accountOf(i);
      const source = await seedDataSource(t.adminUrl, { platform: 'shopify' });
      const { ctx } = context(i);
      sb.resetOperations();
      // Act
      const result = await loadFacts(
        t.db,
        {
          organizationId: source.organizationId,
          projectId: source.projectId,
          dataSourceId: source.dataSourceId,
          platform: 'shopify',
        },
        (async function* () {
          for await (const page of runExtract(connector, ctx, {
            account,
            reportType: 'orders_daily',
            window: WINDOW_90,
          }))
            yield connector.normalize(page, { account, reportType: 'orders_daily', window: WINDOW_90 });
        })(),
      );
      // Assess: per day and channel, in the shop's time zone and currency, every metric exactly
      const expected = await truth(i, 'orders_daily', WINDOW_90);
      expect(expected.length).toBeGreaterThan(150);
      expect(result.inserted).toBe(expected.length);
      const stored = await admin.query(
        `SELECT data_date::text AS date, extra_dimensions->>'sales_channel' AS sales_channel, revenue::text AS revenue, currency, extra_metrics AS m
       FROM extracted_data WHERE data_source_id = $1`,
        [source.dataSourceId],
      );
      const exact = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
      expect(
        byKey(
          stored.rows.map((r) => ({
            date: r.date,
            sales_channel: r.sales_channel,
            ...Object.fromEntries(ORDER_METRICS.map((k) => [k, String(r.m[k])])),
            currency: r.currency,
          })),
        ),
      ).toEqual(byKey(expected));
      expect(stored.rows.every((r) => exact(r.revenue) === String(r.m.total_sales))).toBe(true);
      expect(new Set(stored.rows.map((r) => r.currency))).toEqual(new Set([account.currency]));
      // the minimum the API allows: start the operation, one status read (this sandbox needs two), one download
      expect(sb.operations()).toEqual({ bulk_run: 1, bulk_poll: 2, bulk_download: 1 });
    },
  );

  it('when 90 days of orders by UTM are extracted, each day and source/medium/campaign equals the truth; refunds show as returns', async () => {
    const { ctx } = context(1);
    const rows = await collect(ctx, { account: accountOf(1), reportType: 'orders_by_utm_daily', window: WINDOW_90 });
    const expected = await truth(1, 'orders_by_utm_daily', WINDOW_90);
    expect(byKey(rows.map(asTruth))).toEqual(byKey(expected));
    expect(rows.some((r) => r.campaignId === 'rebajas_invierno')).toBe(true);
    expect(rows.some((r) => (r.extraMetrics as Record<string, string>).returns !== '0')).toBe(true);
  });

  it('when a short window is read with paged queries, pages end on day boundaries and every order is read once', async () => {
    const small = createShopifyConnector({ pageSize: 20 });
    const { ctx } = context(0, {}, small);
    sb.resetOperations();
    const days: string[][] = [];
    const rows: FactRow[] = [];
    for await (const page of small.extract(ctx, { account: accountOf(0), reportType: 'orders_daily', window: WEEK })) {
      const batch = small.normalize(page, { account: accountOf(0), reportType: 'orders_daily', window: WEEK });
      days.push([...new Set(batch.map((r) => r.date))]);
      rows.push(...batch);
    }
    const expected = await truth(0, 'orders_daily', WEEK);
    expect(byKey(rows.map(asTruth))).toEqual(byKey(expected));
    const allDays = days.flat();
    expect(new Set(allDays).size).toBe(allDays.length);
    const orders = expected.reduce((n, r) => n + Number(r.orders), 0);
    expect(sb.operations().orders).toBe(Math.ceil(orders / 20) + (orders % 20 === 0 ? 1 : 0));
  });

  it('when a busy window is read with paged queries, pages are cut before the day a page stops in, and that day is read again whole', async () => {
    const small = createShopifyConnector({ pageSize: 20, maxPageOrders: 50 });
    const { ctx } = context(0, {}, small);
    sb.resetOperations();
    const pages: string[][] = [];
    const rows: FactRow[] = [];
    for await (const page of runExtract(small, ctx, {
      account: accountOf(0),
      reportType: 'orders_daily',
      window: WEEK,
    })) {
      const batch = small.normalize(page, { account: accountOf(0), reportType: 'orders_daily', window: WEEK });
      pages.push([...new Set(batch.map((r) => r.date))]);
      rows.push(...batch);
    }
    const expected = await truth(0, 'orders_daily', WEEK);
    expect(byKey(rows.map(asTruth))).toEqual(byKey(expected));
    expect(pages.length).toBeGreaterThan(3);
    expect(new Set(pages.flat()).size).toBe(pages.flat().length);
    // the cost of bounded pages: a part of a day read twice per cut, not the window again
    const orders = expected.reduce((n, r) => n + Number(r.orders), 0);
    expect(sb.operations().orders).toBeLessThan(Math.ceil(orders / 20) * 1.6);
  });

  it('when a retried paged read fails mid-window with a 503, it resumes from the last cursor without reading a day twice', async () => {
    // one order a page: every day ends on a page boundary, so each day is a page of its own
    const small = createShopifyConnector({ pageSize: 1 });
    const { ctx } = context(2, {}, small);
    sb.resetOperations();
    await fetch(`${sb.url}/__sandbox/requests`, { method: 'DELETE' });
    const rows: FactRow[] = [];
    let pages = 0;
    for await (const page of runExtract(
      small,
      ctx,
      { account: accountOf(2), reportType: 'orders_daily', window: WEEK },
      { random: () => 0.5 },
    )) {
      if (pages++ === 0) sb.faults.arm({ kind: 'server_error', status: 503, times: 1 });
      rows.push(...small.normalize(page, { account: accountOf(2), reportType: 'orders_daily', window: WEEK }));
    }
    const expected = await truth(2, 'orders_daily', WEEK);
    expect(pages).toBe(new Set(expected.map((r) => r.date)).size);
    expect(byKey(rows.map(asTruth))).toEqual(byKey(expected));
    // the retry starts after the last day yielded: only the page read ahead of it (to see the day end) is read
    // again, besides the one that failed
    const orders = expected.reduce((n, r) => n + Number(r.orders), 0);
    expect(sb.operations().orders).toBe(orders + 1);
    expect(sb.requests().byRoute.graphql).toBe(orders + 2);
  });

  it('when Shopify answers THROTTLED (HTTP 200, no data), the runtime waits what the bucket needs and the window completes exactly', async () => {
    sb.faults.arm({ kind: 'throttled', available: 37, times: 1 });
    const { ctx, clock } = context(0);
    const rows = await collect(ctx, { account: accountOf(0), reportType: 'orders_daily', window: WEEK });
    // (252 requested - 37 available) / 100 points per second
    expect(clock.sleeps).toContain(2_150);
    expect(byKey(rows.map(asTruth))).toEqual(byKey(await truth(0, 'orders_daily', WEEK)));
  });

  it('when Shopify answers 429 with Retry-After: 2, the wait is two seconds (the client would have waited 2 ms)', async () => {
    sb.faults.arm({ kind: 'http_429', retryAfterSeconds: 2, times: 1 });
    const { ctx, clock } = context(0);
    const rows = await collect(ctx, { account: accountOf(0), reportType: 'orders_daily', window: WEEK });
    expect(clock.sleeps).toContain(2_000);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('when THROTTLED never ends, it fails as a rate limit, never as success or fatal', async () => {
    sb.faults.arm({ kind: 'throttled', available: 0 });
    const { ctx } = context(0);
    const err = await collect(ctx, { account: accountOf(0), reportType: 'orders_daily', window: WEEK }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBe(2_520);
  });

  it('when a call hangs past the timeout, it is retried and the window completes', async () => {
    const quick = createShopifyConnector({ callTimeoutMs: 300 });
    sb.faults.arm({ kind: 'timeout', hangMs: 5_000, times: 1 });
    const { ctx, clock } = context(1, {}, quick);
    const rows = await collect(ctx, { account: accountOf(1), reportType: 'orders_daily', window: WEEK }, quick);
    expect(clock.sleeps).toHaveLength(1);
    expect(byKey(rows.map(asTruth))).toEqual(byKey(await truth(1, 'orders_daily', WEEK)));
  });

  it('when a bulk operation fails with INTERNAL_SERVER_ERROR, a new one is run and the window completes', async () => {
    sb.faults.arm({ kind: 'bulk_failure', errorCode: 'INTERNAL_SERVER_ERROR', times: 1 });
    sb.resetOperations();
    const { ctx } = context(2);
    const window = { start: '2026-09-01', end: '2026-10-31' };
    const rows = await collect(ctx, { account: accountOf(2), reportType: 'orders_daily', window });
    expect(byKey(rows.map(asTruth))).toEqual(byKey(await truth(2, 'orders_daily', window)));
    expect(sb.operations().bulk_run).toBe(2);
  });

  it('when the OAuth access token has expired, it is refreshed once (the refresh token rotates), persisted, and never logged', async () => {
    const credential = await connect(1);
    sb.faults.arm({ kind: 'expired_token' });
    const { ctx, refreshed, logger } = context(1, credential);
    const rows = await collect(ctx, { account: accountOf(1), reportType: 'orders_daily', window: WEEK });
    expect(byKey(rows.map(asTruth))).toEqual(byKey(await truth(1, 'orders_daily', WEEK)));
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0]!.accessToken).not.toBe(credential.accessToken);
    expect(refreshed[0]!.refreshToken).not.toBe(credential.refreshToken);
    for (const secret of [
      credential.accessToken,
      credential.refreshToken!,
      refreshed[0]!.accessToken,
      refreshed[0]!.refreshToken!,
    ])
      expect(logger.text()).not.toContain(secret);
  });

  it('when a custom app token is rejected (401), it fails as an auth error telling the user to make a new token', async () => {
    const { ctx } = context(0, { accessToken: 'shpat_wrong' });
    const err = await collect(ctx, { account: accountOf(0), reportType: 'orders_daily', window: WEEK }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectorAuthError);
    expect((err as ConnectorAuthError).userMessage).toMatch(/custom app/);
    await expect(connector.validate(ctx)).rejects.toThrow(/Invalid API key or access token/);
  });

  it('when the merchant revoked the order access (403) or a field is ACCESS_DENIED, it fails with PermissionDeniedError', async () => {
    sb.faults.arm({ kind: 'access_denied', times: 1 });
    const first = await collect(context(0).ctx, {
      account: accountOf(0),
      reportType: 'orders_daily',
      window: WEEK,
    }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(PermissionDeniedError);
    expect((first as PermissionDeniedError).userMessage).toMatch(/grant access/);
    // validate reads an order too, so a token without order access is refused when it is stored
    sb.faults.arm({ kind: 'access_denied', times: 1 });
    await expect(connector.validate(context(0).ctx)).rejects.toBeInstanceOf(PermissionDeniedError);
    await connector.validate(context(0).ctx);
    const credential = await connect(3);
    sb.faults.arm({ kind: 'revoked' });
    const err = await collect(context(3, credential).ctx, {
      account: accountOf(3),
      reportType: 'orders_daily',
      window: WEEK,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as PermissionDeniedError).message).toMatch(/requires merchant approval/);
  });

  it.each([
    ['a paged query', WEEK],
    ['a bulk result file', { start: '2026-09-01', end: '2026-10-31' }],
  ])('when %s arrives cut off mid-JSON, the window fails as fatal and none of it is written', async (_what, window) => {
    sb.faults.arm({ kind: 'malformed_page', page: 0, times: 1 });
    const source = await seedDataSource(t.adminUrl, { platform: 'shopify' });
    const { ctx } = context(0);
    async function* rows() {
      for await (const page of runExtract(connector, ctx, {
        account: accountOf(0),
        reportType: 'orders_daily',
        window,
      }))
        yield connector.normalize(page, { account: accountOf(0), reportType: 'orders_daily', window });
    }
    const err = await loadFacts(
      t.db,
      {
        organizationId: source.organizationId,
        projectId: source.projectId,
        dataSourceId: source.dataSourceId,
        platform: 'shopify',
      },
      rows(),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalConnectorError);
    expect((err as FatalConnectorError).userMessage).toMatch(/cannot read/);
    const count = await admin.query('SELECT count(*)::int AS n FROM extracted_data WHERE data_source_id = $1', [
      source.dataSourceId,
    ]);
    expect(count.rows[0].n).toBe(0);
  });

  it('when currentBulkOperation (gone since 2026-01) is asked for, the answer is a GraphQL error classified as a bad request', async () => {
    const { ctx } = context(0);
    const err = await graphqlRequest(
      adminClient(ctx),
      '{ currentBulkOperation { id status } }',
      {},
      AbortSignal.timeout(5_000),
    ).catch((e: unknown) => e);
    expect(classifyShopifyError(err, 'poll', NOW).kind).toBe('invalid_request');
  });

  it('when the connect flow runs for a shop, the consent page returns a code that becomes an expiring token, and discover lists the shop', async () => {
    const start = connector.buildAuthorizeUrl!({
      clientId: SHOPIFY_DEMO_CLIENT.clientId,
      redirectUri: 'http://127.0.0.1:3000/oauth/callback',
      state: 's1',
      start: { shop: 'Tienda-Norte.myshopify.com' },
      baseUrls: { shopify_admin: sb.url },
    });
    expect(start).toBe(
      `${sb.url}/shops/tienda-norte.myshopify.com/admin/oauth/authorize?client_id=sandbox-shopify-app&scope=read_orders%2Cread_all_orders&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Foauth%2Fcallback&state=s1`,
    );
    expect(() =>
      connector.buildAuthorizeUrl!({
        clientId: 'x',
        redirectUri: 'http://x/cb',
        state: 's',
        start: { shop: 'evil.example.com' },
        baseUrls: {},
      }),
    ).toThrow(/permanent domain/);
    const credential = await connect(1);
    expect(credential.expiresAt).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(connector.accessTokenExpiresAt!(credential)).toBe(credential.expiresAt);
    expect(connector.accessTokenExpiresAt!({ shop: 'a.myshopify.com', accessToken: 'shpat_x' })).toBe(Infinity);
    const { ctx } = context(1, credential);
    await connector.validate(ctx);
    const catalog = await connector.discover(ctx);
    expect(catalog.accounts).toEqual([accountOf(1)]);
    expect(catalog.reportTypes.map((r) => r.id)).toEqual(['orders_daily', 'orders_by_utm_daily']);
  });

  it('when refunds land days later, reading the same days again restates their returns and sales', async () => {
    const source = await seedDataSource(t.adminUrl, { platform: 'shopify' });
    const target = {
      organizationId: source.organizationId,
      projectId: source.projectId,
      dataSourceId: source.dataSourceId,
      platform: 'shopify',
    };
    const window = { start: '2026-11-15', end: '2026-11-23' };
    const load = () =>
      loadFacts(
        t.db,
        target,
        (async function* () {
          const { ctx } = context(0);
          for await (const page of runExtract(connector, ctx, {
            account: accountOf(0),
            reportType: 'orders_daily',
            window,
          }))
            yield connector.normalize(page, { account: accountOf(0), reportType: 'orders_daily', window });
        })(),
      );
    await load();
    // a week later (the sandbox's clock): refunds of those days have landed
    await fetch(`${sb.url}/__sandbox/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance: 7 }),
    });
    {
      const again = await load();
      expect(again.updated).toBeGreaterThan(0);
      expect(again.restatements.some((d) => Number(d.revenueDelta) < 0)).toBe(true);
      const expected = await truth(0, 'orders_daily', window);
      const sums = await admin.query(
        `SELECT sum((extra_metrics->>'returns')::numeric)::text AS returns FROM extracted_data WHERE data_source_id = $1`,
        [source.dataSourceId],
      );
      const want = expected.reduce((n, r) => n + Math.round(Number(r.returns) * 100), 0);
      expect(Math.round(Number(sums.rows[0].returns) * 100)).toBe(want);
    }
  });
});

/** The OAuth flow against the sandbox: consent (approved at once) → code → expiring offline token. */
async function connect(i: number): Promise<ShopifyCredential> {
  const url = connector.buildAuthorizeUrl!({
    clientId: SHOPIFY_DEMO_CLIENT.clientId,
    redirectUri: 'http://127.0.0.1:3000/oauth/callback',
    state: 'st',
    start: { shop: shopOf(i).domain },
    baseUrls: { shopify_admin: sb.url },
  });
  const consent = await fetch(url, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location')!);
  expect(back.searchParams.get('shop')).toBe(shopOf(i).domain);
  return connector.exchangeCode!({
    code: back.searchParams.get('code')!,
    redirectUri: 'http://127.0.0.1:3000/oauth/callback',
    client: { ...SHOPIFY_DEMO_CLIENT },
    baseUrls: { shopify_admin: sb.url },
    start: { shop: shopOf(i).domain },
  });
}
