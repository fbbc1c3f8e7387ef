// Covers the Metricool connector end to end against the Metricool sandbox over HTTP: brands from the settings
// endpoint, the three reports loaded through the real fact loader against the sandbox's truth, and every fault class.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { seedDataSource } from '@tributary/shared/testing/seed';
import {
  ConnectorAuthError,
  PermissionDeniedError,
  RateLimitedError,
  type AccountInfo,
  type ConnectorContext,
  type ExtractRequest,
} from '../contract';
import { KeyValueRateLimiter } from '../runtime/rate-limiter';
import { canonicalDecimal, MemoryLogger, sumDecimals, VirtualClock } from '../runtime/test-support';
import { addDays } from '../sandboxes/base/days';
import { SandboxControl } from '../sandboxes/base/sandbox-server';
import {
  METRICOOL_SANDBOX_TODAY,
  startMetricoolSandbox,
  type MetricoolSandbox,
} from '../sandboxes/metricool/metricool-sandbox';
import { loadInto, normalizedRows } from '../testing/google-test-kit';
import {
  createMetricoolConnector,
  POST_COLLECTIONS,
  TIMELINE_METRICS,
  type MetricoolCredential,
} from './metricool.connector';

const TODAY = METRICOOL_SANDBOX_TODAY;
const WINDOW = { start: addDays(TODAY, -89), end: TODAY };
// short enough that the hang fault costs seconds, long enough that a loaded machine never times out a real answer
const connector = createMetricoolConnector({ callTimeoutMs: 2_000 });
const HEAVY_TEST_MS = 300_000;

let sandbox: MetricoolSandbox;
let control: SandboxControl;
let t: TestDatabase;
let admin: pg.Client;
let brands: AccountInfo[];

interface TestContext extends ConnectorContext<MetricoolCredential> {
  clock: VirtualClock;
  memoryLogger: MemoryLogger;
}

function context(
  credential: MetricoolCredential = { api_token: sandbox.demoToken, user_id: sandbox.userId },
): TestContext {
  const clock = new VirtualClock(Date.now());
  const memoryLogger = new MemoryLogger();
  return {
    clock,
    memoryLogger,
    credential,
    baseUrls: { metricool: sandbox.url },
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(clock.now), connector.rateLimits, {
      now: clock.now,
      sleep: clock.sleep,
    }),
    rateBucket: 'metricool:test-credential',
    logger: memoryLogger,
    now: clock.now,
    sleep: clock.sleep,
  };
}

const request = (account: AccountInfo, reportType: string, window = WINDOW): ExtractRequest => ({
  account,
  reportType,
  window,
});
async function collect(ctx: TestContext, req: ExtractRequest): Promise<FactRow[]> {
  const rows: FactRow[] = [];
  for await (const batch of normalizedRows(connector, ctx, req)) rows.push(...batch);
  return rows;
}
const brand = (name: string) => brands.find((b) => b.name === name)!;

type TruthRows = Record<string, Record<string, string>>;
async function truth(report: string, account: AccountInfo, window = WINDOW): Promise<TruthRows> {
  return (await control.truth<{ rows: TruthRows }>({ report, brand: account.id, from: window.start, to: window.end }))
    .rows;
}

/** Rows summed per key exactly, as the truth groups them. */
function sums(
  rows: FactRow[],
  key: (r: FactRow) => string,
  metrics: Record<string, (r: FactRow) => unknown>,
): TruthRows {
  const groups = new Map<string, FactRow[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return Object.fromEntries(
    [...groups]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, rs]) => [
        k,
        Object.fromEntries(Object.entries(metrics).map(([m, f]) => [m, sumDecimals(rs.map((r) => f(r) as string))])),
      ]),
  );
}
const adKey = (r: FactRow) => `${r.date}|${r.extraDimensions!.network}|${r.campaignId}`;
const adSums = (rows: FactRow[]) =>
  sums(rows, adKey, {
    impressions: (r) => r.impressions,
    clicks: (r) => r.clicks,
    cost: (r) => r.cost,
    conversions: (r) => r.conversions,
    revenue: (r) => r.revenue,
  });
const canonicalAds = (tr: TruthRows) =>
  Object.fromEntries(
    Object.entries(tr).map(([k, v]) => [
      k,
      {
        impressions: v.impressions,
        clicks: v.clicks,
        cost: canonicalDecimal(v.cost!),
        conversions: canonicalDecimal(v.conversions!),
        revenue: canonicalDecimal(v.revenue!),
      },
    ]),
  );

beforeAll(async () => {
  sandbox = await startMetricoolSandbox({ today: TODAY });
  control = new SandboxControl(sandbox.url);
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  brands = (await connector.discover(context())).accounts;
}, 120_000);
afterAll(async () => {
  await admin?.end();
  await t?.drop();
  await sandbox?.stop();
});

describe('Metricool connector', () => {
  it('when discovering, it lists the brands from the settings endpoint with their time zone and currency', () => {
    expect(brands.map((b) => [b.name, b.timeZone, b.currency])).toEqual([
      ['Tienda Norte', 'Europe/Madrid', 'EUR'],
      ['Northwind Outdoor', 'America/New_York', 'USD'],
      ['Sakura Select', 'Asia/Tokyo', 'JPY'],
      ['Harbour Studio', 'Australia/Sydney', 'XXX'],
    ]);
  });

  it(
    'when 90 days of every report are extracted and loaded, sums per day, brand, network and campaign equal the truth exactly, in the fewest calls',
    async () => {
      // Prepare
      const source = await seedDataSource(t.adminUrl, { platform: 'metricool' });
      const ctx = context();
      await control.resetRequests();
      // Act
      for (const b of brands)
        for (const report of ['account_timeline_daily', 'posts_daily', 'ad_campaigns_daily'])
          await loadInto(t.db, source, normalizedRows(connector, ctx, request(b, report)));
      // Assess: every brand, day and network against the truth, from the fact table
      const q = async (sql: string, b: AccountInfo, report: string) =>
        Object.fromEntries((await admin.query(sql, [source.dataSourceId, b.id, report])).rows.map((r) => [r.k, r.v]));
      let adRows = 0;
      for (const b of brands) {
        const timelines = await q(
          `SELECT data_date::text || '|' || (extra_dimensions->>'network') AS k,
                jsonb_strip_nulls(jsonb_build_object('followers', (extra_metrics->>'followers'), 'reach', (extra_metrics->>'reach'), 'impressions', impressions::text, 'engagement', (extra_metrics->>'engagement'))) AS v
         FROM extracted_data WHERE data_source_id = $1 AND account_id = $2 AND data_type = $3 ORDER BY 1`,
          b,
          'account_timeline_daily',
        );
        expect(timelines).toEqual(await truth('account_timeline_daily', b));
        const posts = await q(
          `SELECT data_date::text || '|' || (extra_dimensions->>'network') AS k,
                jsonb_build_object('posts', count(*)::text, 'impressions', coalesce(sum(impressions), 0)::text, 'engagement', sum((extra_metrics->>'engagement')::numeric)::text) AS v
         FROM extracted_data WHERE data_source_id = $1 AND account_id = $2 AND data_type = $3 GROUP BY 1 ORDER BY 1`,
          b,
          'posts_daily',
        );
        expect(posts).toEqual(await truth('posts_daily', b));
        const ads = await q(
          `SELECT data_date::text || '|' || (extra_dimensions->>'network') || '|' || campaign_id AS k,
                jsonb_build_object('impressions', impressions::text, 'clicks', clicks::text, 'cost', cost::text, 'conversions', conversions::text, 'revenue', revenue::text, 'currency', currency) AS v
         FROM extracted_data WHERE data_source_id = $1 AND account_id = $2 AND data_type = $3 ORDER BY 1`,
          b,
          'ad_campaigns_daily',
        );
        const adTruth = await truth('ad_campaigns_daily', b);
        const norm = (rows: Record<string, Record<string, string>>) =>
          Object.fromEntries(
            Object.entries(rows).map(([k, v]) => [
              k,
              {
                ...v,
                cost: canonicalDecimal(v.cost!),
                conversions: canonicalDecimal(v.conversions!),
                revenue: canonicalDecimal(v.revenue!),
              },
            ]),
          );
        expect(norm(ads)).toEqual(norm(adTruth));
        adRows += Object.keys(ads).length;
      }
      expect(adRows).toBeGreaterThan(500);
      // Calls: timelines one per network and metric; posts one per network; ads one list per ad network plus one
      // per campaign that delivered in the window; the brand list (read by discover a moment ago) is reused.
      const world = sandbox.world;
      let minimum = 0;
      for (const b of world.brands) {
        for (const n of b.networks) minimum += TIMELINE_METRICS[n.network].length + POST_COLLECTIONS[n.network].length;
        for (const a of b.adNetworks)
          minimum +=
            1 +
            new Set(
              Object.keys(
                await truth(
                  'ad_campaigns_daily',
                  brands.find((x) => x.id === String(b.id))!,
                ),
              )
                .filter((k) => k.split('|')[1] === a.network)
                .map((k) => k.split('|')[2]),
            ).size;
      }
      const served = await control.requests();
      expect(served.byRoute.brands ?? 0).toBe(0);
      expect(served.total).toBe(minimum);
    },
    HEAVY_TEST_MS,
  );

  it(
    'when post metrics grow and conversions are restated later, re-extracting replaces the numbers and they equal the new truth',
    async () => {
      const source = await seedDataSource(t.adminUrl, { platform: 'metricool' });
      const b = brand('Tienda Norte');
      const recent = { start: addDays(TODAY, -13), end: TODAY };
      await loadInto(t.db, source, normalizedRows(connector, context(), request(b, 'posts_daily', recent)));
      const first = await loadInto(
        t.db,
        source,
        normalizedRows(connector, context(), request(b, 'ad_campaigns_daily', recent)),
      );
      const before = await truth('ad_campaigns_daily', b, recent);
      await control.advance(3);
      {
        const restated = await loadInto(
          t.db,
          source,
          normalizedRows(connector, context(), request(b, 'ad_campaigns_daily', recent)),
        );
        expect(restated.updated).toBeGreaterThan(0);
        expect(restated.inserted).toBe(0);
        const after = await truth('ad_campaigns_daily', b, recent);
        expect(after).not.toEqual(before);
        const loaded = (
          await admin.query(
            `SELECT data_date::text AS date, campaign_id AS "campaignId", extra_dimensions AS "extraDimensions", impressions::text, clicks::text, cost::text, conversions::text, revenue::text FROM extracted_data WHERE data_source_id = $1 AND data_type = 'ad_campaigns_daily'`,
            [source.dataSourceId],
          )
        ).rows as FactRow[];
        expect(loaded).toHaveLength(first.inserted);
        expect(adSums(loaded)).toEqual(canonicalAds(after));
        const posts = await loadInto(
          t.db,
          source,
          normalizedRows(connector, context(), request(b, 'posts_daily', recent)),
        );
        expect(posts.updated).toBeGreaterThan(0);
        const postSums = (
          await admin.query(
            `SELECT data_date::text || '|' || (extra_dimensions->>'network') AS k, sum((extra_metrics->>'engagement')::numeric)::text AS v FROM extracted_data WHERE data_source_id = $1 AND data_type = 'posts_daily' GROUP BY 1`,
            [source.dataSourceId],
          )
        ).rows;
        const postTruth = await truth('posts_daily', b, recent);
        for (const r of postSums) expect(r.v).toBe(postTruth[r.k]!.engagement);
      }
    },
    HEAVY_TEST_MS,
  );

  it('when Metricool answers 429, it waits as long as Retry-After says (or 30 s without one) and ends exact', async () => {
    const b = brand('Northwind Outdoor');
    const day = { start: addDays(TODAY, -6), end: TODAY };
    const ctx = context();
    await control.arm({ kind: 'rate_limit', target: 'campaign_timelines', retryAfterSeconds: 7, times: 1 });
    await control.arm({ kind: 'rate_limit', target: 'campaigns', times: 1 });
    const rows = await collect(ctx, request(b, 'ad_campaigns_daily', day));
    expect(ctx.clock.sleeps).toEqual(expect.arrayContaining([7_000, 30_000]));
    expect(adSums(rows)).toEqual(canonicalAds(await truth('ad_campaigns_daily', b, day)));
  });

  it('when 429s do not stop, it gives up with a rate-limit error the pipeline reschedules', async () => {
    await control.arm({ kind: 'rate_limit', target: 'posts', retryAfterSeconds: 5 });
    try {
      const err = await collect(context(), request(brand('Tienda Norte'), 'posts_daily')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RateLimitedError);
      expect((err as RateLimitedError).userMessage).toMatch(/Metricool rate limit reached.*retrying in 5 s/);
    } finally {
      await control.clearFaults();
    }
  });

  it(
    'when the server fails (HTML 502, JSON 500) or hangs mid-window, it backs off, resumes after the last page and ends exact with no page twice',
    async () => {
      const source = await seedDataSource(t.adminUrl, { platform: 'metricool' });
      const b = brand('Sakura Select');
      const ctx = context();
      await control.resetRequests();
      const rows: FactRow[] = [];
      // the proxy's 502 lands between two campaigns of one ad network: the retry lists them again and goes on
      let pages = 0;
      for await (const batch of normalizedRows(connector, ctx, request(b, 'ad_campaigns_daily'))) {
        rows.push(...batch);
        if (++pages === 2)
          await control.arm({ kind: 'server_error', target: 'campaign_timelines', status: 502, times: 1 });
      }
      expect(pages).toBeGreaterThan(3);
      // one list per ad network, one more for the retry; each campaign's timeline once, the failed one twice
      const afterAds = (await control.requests()).byRoute;
      expect([afterAds.campaigns, afterAds.campaign_timelines]).toEqual([3, pages + 1]);
      await control.arm({ kind: 'server_error', target: 'posts', status: 500, times: 1 });
      await control.arm({ kind: 'timeout', target: 'timelines', hangMs: 5_000, times: 1 });
      for (const report of ['posts_daily', 'account_timeline_daily'])
        rows.push(...(await collect(ctx, request(b, report))));
      expect(ctx.memoryLogger.lines.filter((l) => l.message === 'transient failure; backing off')).toHaveLength(3);
      const loaded = await loadInto(
        t.db,
        source,
        (async function* () {
          yield rows;
        })(),
      );
      expect(loaded.inserted).toBe(rows.length); // a repeated page would collide on the natural key
      expect(adSums(rows.filter((r) => r.dataType === 'ad_campaigns_daily'))).toEqual(
        canonicalAds(await truth('ad_campaigns_daily', b)),
      );
      const postTruth = await truth('posts_daily', b);
      expect(
        sums(
          rows.filter((r) => r.dataType === 'posts_daily'),
          (r) => `${r.date}|${r.extraDimensions!.network}`,
          { engagement: (r) => r.extraMetrics!.engagement },
        ),
      ).toEqual(Object.fromEntries(Object.entries(postTruth).map(([k, v]) => [k, { engagement: v.engagement }])));
      expect(rows.filter((r) => r.dataType === 'account_timeline_daily')).toHaveLength(
        Object.keys(await truth('account_timeline_daily', b)).length,
      );
    },
    HEAVY_TEST_MS,
  );

  it('when the API token is bad, it fails at once as an auth error telling the user to paste a current token, and never logs it', async () => {
    const bad = context({ api_token: 'not-the-token-0000000000', user_id: sandbox.userId });
    const err = await connector.validate(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorAuthError);
    expect((err as ConnectorAuthError).userMessage).toMatch(/API token.*Settings → API/);
    await control.arm({ kind: 'bad_token', times: 1 });
    const ctx = context();
    const revoked = await collect(ctx, request(brand('Tienda Norte'), 'account_timeline_daily')).catch(
      (e: unknown) => e,
    );
    expect(revoked).toBeInstanceOf(ConnectorAuthError);
    expect(ctx.memoryLogger.lines.filter((l) => /backing off|waiting/.test(l.message))).toEqual([]);
    expect(ctx.memoryLogger.text()).not.toContain(sandbox.demoToken);
  });

  it('when the brand is no longer shared with the user, it fails with permission denied', async () => {
    const b = brand('Harbour Studio');
    await control.arm({ kind: 'brand_forbidden', brand: Number(b.id) });
    try {
      const err = await collect(context(), request(b, 'posts_daily')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermissionDeniedError);
      expect((err as PermissionDeniedError).userMessage).toMatch(/grant access/);
    } finally {
      await control.clearFaults();
    }
    const gone = { ...b, id: '999', name: 'Gone brand' };
    const err = await collect(context(), request(gone, 'posts_daily')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as PermissionDeniedError).userMessage).toMatch(/no longer sees the brand Gone brand/);
  });

  it('when a page is cut off mid-JSON, the window fails as malformed and nothing of it is written', async () => {
    const source = await seedDataSource(t.adminUrl, { platform: 'metricool' });
    await control.arm({ kind: 'malformed_page', target: 'timelines', skip: 3, times: 1 });
    const err = await loadInto(
      t.db,
      source,
      normalizedRows(connector, context(), request(brand('Tienda Norte'), 'account_timeline_daily')),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'FatalConnectorError' });
    expect((err as { userMessage: string }).userMessage).toMatch(/Metricool returned something Tributary cannot read/);
    const n = (
      await admin.query(`SELECT count(*)::int AS n FROM extracted_data WHERE data_source_id = $1`, [
        source.dataSourceId,
      ])
    ).rows[0].n;
    expect(n).toBe(0);
  });
});
