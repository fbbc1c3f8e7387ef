// Covers the Instagram connector through the official SDK's IGUser/IGMedia against the Meta Graph sandbox over
// real HTTP, loaded into the embedded PostgreSQL: truth per day and per media, views/impressions, throttling.
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { seedDataSource } from '@tributary/shared/testing/seed';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { AccountInfo, ConnectorContext, ExtractRequest } from '../contract';
import { KeyValueRateLimiter } from '../runtime/rate-limiter';
import { runExtract } from '../runtime/call';
import { MemoryLogger, VirtualClock } from '../runtime/test-support';
import type { MetaCredential } from '../meta-ads/meta-oauth';
import { startMetaSandbox, type MetaSandbox } from '../sandboxes/meta/meta-sandbox';
import { createInstagramConnector } from './instagram.connector';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const WINDOW_90 = { start: '2026-08-26', end: '2026-11-23' };
let t: TestDatabase;
let admin: pg.Client;
let sb: MetaSandbox;

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
beforeEach(() => sb.clearFaults());

function context() {
  const clock = new VirtualClock(NOW);
  const ctx: ConnectorContext<MetaCredential> = {
    credential: { accessToken: sb.demoToken },
    baseUrls: { meta_graph: sb.baseUrl },
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(), [{ limit: 1_000, intervalMs: 3_600_000 }], {
      now: clock.now,
      sleep: clock.sleep,
    }),
    rateBucket: `instagram:${Math.random()}`,
    logger: new MemoryLogger(),
    now: clock.now,
    sleep: clock.sleep,
  };
  return { ctx, clock };
}

async function load(
  connector: ReturnType<typeof createInstagramConnector>,
  ctx: ConnectorContext<MetaCredential>,
  request: ExtractRequest,
) {
  const source = await seedDataSource(t.adminUrl, { platform: 'instagram' });
  async function* rows(): AsyncGenerator<FactRow[]> {
    for await (const page of runExtract(connector, ctx, request)) yield connector.normalize(page, request);
  }
  await loadFacts(
    t.db,
    {
      organizationId: source.organizationId,
      projectId: source.projectId,
      dataSourceId: source.dataSourceId,
      platform: 'instagram',
    },
    rows(),
  );
  return source.dataSourceId;
}

const truth = async (userId: string, w = WINDOW_90) =>
  JSON.parse(
    await (
      await fetch(`${sb.baseUrl}/__sandbox/truth/instagram?ig_user_id=${userId}&since=${w.start}&until=${w.end}`)
    ).text(),
  );

describe('Instagram connector', () => {
  it('when discovery runs, it finds the Instagram business accounts behind the pages', async () => {
    const { ctx } = context();
    const catalog = await createInstagramConnector().discover(ctx);
    expect(catalog.accounts.map((a) => a.id)).toEqual(sb.world.igUsers.map((u) => u.id));
  });

  it('when 90 days of account insights are extracted and loaded, views and reach per day equal the sandbox truth, in the fewest calls the API allows', async () => {
    const connector = createInstagramConnector();
    const { ctx } = context();
    const [account] = (await connector.discover(ctx)).accounts as [AccountInfo];
    sb.resetRequests();
    const sourceId = await load(connector, ctx, { account, reportType: 'account_daily', window: WINDOW_90 });
    const expected = await truth(account.id);
    const stored = await admin.query(
      `SELECT data_date::text AS date, impressions::int AS views, (extra_metrics->>'reach')::int AS reach FROM extracted_data WHERE data_source_id = $1 ORDER BY data_date`,
      [sourceId],
    );
    expect(stored.rows).toEqual(
      expected.days.map((d: { date: string; views: number; reach: number }) => ({
        date: d.date,
        views: d.views,
        reach: d.reach,
      })),
    );
    expect(stored.rows).toHaveLength(90);
    // 3 time-series calls (30 days each) and one totals call per day
    expect(sb.requests().byRoute.ig_insights).toBe(3 + 90);
    expect(Object.keys(sb.requests().userAgents)).toEqual([expect.stringMatching(/^fbbizsdk-nodejs-v/)]);
  });

  it('when media insights are extracted, lifetime views per media equal the sandbox truth', async () => {
    const connector = createInstagramConnector({ mediaPageSize: 10 });
    const { ctx } = context();
    const user = sb.world.igUsers[1]!;
    const account: AccountInfo = { id: user.id, name: user.username, currency: 'XXX', timeZone: 'America/Los_Angeles' };
    const sourceId = await load(connector, ctx, { account, reportType: 'media_lifetime', window: WINDOW_90 });
    const expected = (await truth(user.id)).media.filter(
      (m: { posted_on: string }) => m.posted_on >= WINDOW_90.start && m.posted_on <= WINDOW_90.end,
    );
    const stored = await admin.query(
      `SELECT extra_dimensions->>'media_id' AS id, data_date::text AS posted_on, impressions::int AS views FROM extracted_data WHERE data_source_id = $1 ORDER BY 1`,
      [sourceId],
    );
    expect(stored.rows).toEqual(
      expected
        .map((m: { id: string; posted_on: string; views: number }) => ({
          id: m.id,
          posted_on: m.posted_on,
          views: m.views,
        }))
        .sort((a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1)),
    );
    expect(stored.rows.length).toBeGreaterThan(10);
  });

  it('when account insights are asked for, it asks for views only: v26 has no Instagram impressions', async () => {
    const connector = createInstagramConnector();
    const { ctx } = context();
    const user = sb.world.igUsers[0]!;
    const account: AccountInfo = { id: user.id, name: user.username, currency: 'XXX', timeZone: 'America/Los_Angeles' };
    const window = { start: '2026-11-01', end: '2026-11-03' };
    const rows: FactRow[] = [];
    for await (const page of runExtract(connector, ctx, { account, reportType: 'account_daily', window }))
      rows.push(...connector.normalize(page, { account, reportType: 'account_daily', window }));
    const expected = await truth(user.id, window);
    expect(rows.map((r) => Number(r.impressions))).toEqual(expected.days.map((d: { views: number }) => d.views));
    expect(rows.every((r) => !('impressions' in (r.extraMetrics ?? {})))).toBe(true);
  });

  it('when Instagram throttles the account (80002), the runner waits as asked and the window completes', async () => {
    sb.addFault({ kind: 'rate_limit', code: 80002, regainMinutes: 2, times: 1, target: 'instagram' });
    const connector = createInstagramConnector();
    const { ctx, clock } = context();
    const user = sb.world.igUsers[0]!;
    const account: AccountInfo = { id: user.id, name: user.username, currency: 'XXX', timeZone: 'America/Los_Angeles' };
    const window = { start: '2026-11-01', end: '2026-11-02' };
    const rows: FactRow[] = [];
    for await (const page of runExtract(connector, ctx, { account, reportType: 'account_daily', window }))
      rows.push(...connector.normalize(page, { account, reportType: 'account_daily', window }));
    expect(rows).toHaveLength(2);
    expect(clock.sleeps).toContain(120_000);
  });
});
