// Covers the GA4 connector end to end against the Google sandbox through googleapis (rootUrl pointed at
// it): discovery via the Admin API, offset pagination, the fault classes, and the loader's sums against the truth.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { seedDataSource } from '@tributary/shared/testing/seed';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { AccountInfo, ExtractRequest } from '../contract';
import { canonicalDecimal, daySums } from '../runtime/test-support';
import { ConnectorAuthError, ConnectorConfigError, PermissionDeniedError, RateLimitedError } from '../contract';
import { SandboxControl } from '../sandboxes/base/sandbox-server';
import { addDays } from '../sandboxes/base/days';
import { startGoogleSandbox, type GoogleSandbox } from '../sandboxes/google/google-sandbox';
import { googleContext, loadInto, normalizedRows, type GoogleTestContext } from '../testing/google-test-kit';
import { createGa4Connector } from './ga4.connector';

const TODAY = '2026-11-23';
const WINDOW = { start: addDays(TODAY, -89), end: TODAY };
const PAGE_ROWS = 250;
const connector = createGa4Connector({ pageRows: PAGE_ROWS });

let sandbox: GoogleSandbox;
let control: SandboxControl;
let t: TestDatabase;
let admin: pg.Client;
let properties: AccountInfo[];

async function primed(): Promise<GoogleTestContext> {
  const ctx = googleContext(sandbox);
  ctx.credential = await connector.refresh!(ctx);
  return ctx;
}
const request = (account: AccountInfo, window = WINDOW): ExtractRequest => ({
  account,
  reportType: 'traffic_daily',
  window,
});
async function collect(ctx: GoogleTestContext, req: ExtractRequest) {
  const rows = [];
  for await (const batch of normalizedRows(connector, ctx, req)) rows.push(...batch);
  return rows;
}

/** Rows extracted under faults, summed per day, equal the sandbox's truth for the window exactly. */
async function expectEqualsTruth(rows: FactRow[], property: AccountInfo, window: { start: string; end: string }) {
  const byDay = (
    await control.truth<{ groups: Record<string, Record<string, string>> }>({
      api: 'ga4',
      property: property.id,
      from: window.start,
      to: window.end,
      groupBy: 'date',
    })
  ).groups;
  expect(Object.keys(byDay).length).toBeGreaterThan(0);
  const sums = daySums(
    rows.map((r) => ({
      date: r.date,
      conversions: r.conversions,
      revenue: r.revenue,
      sessions: r.extraMetrics?.sessions as number,
    })),
    ['conversions', 'revenue', 'sessions'],
  );
  expect(Object.fromEntries(Object.entries(sums).map(([day, { rows: _rows, ...metrics }]) => [day, metrics]))).toEqual(
    Object.fromEntries(
      Object.entries(byDay).map(([day, t]) => [
        day,
        {
          conversions: canonicalDecimal(t.keyEvents!),
          revenue: canonicalDecimal(t.purchaseRevenue!),
          sessions: canonicalDecimal(t.sessions!),
        },
      ]),
    ),
  );
}

beforeAll(async () => {
  sandbox = await startGoogleSandbox({ today: TODAY });
  control = new SandboxControl(sandbox.url);
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  properties = (await connector.discover(await primed())).accounts;
});
afterAll(async () => {
  await admin?.end();
  await t?.drop();
  await sandbox?.stop();
});

// loading two properties' 90 days through the real loader takes tens of seconds on a loaded CI machine
const HEAVY_TEST_MS = 300_000;

describe('GA4 connector', () => {
  it('when discovering, it lists the properties from accountSummaries with their currency and time zone', () => {
    expect(properties.map((p) => [p.id, p.currency, p.timeZone])).toEqual([
      ['312345678', 'EUR', 'Europe/Madrid'],
      ['398765432', 'USD', 'America/Los_Angeles'],
    ]);
  });

  it(
    'when 90 days are extracted page by page, normalized and loaded, sums per day, property and campaign equal the sandbox truth exactly',
    async () => {
      // Prepare
      const source = await seedDataSource(t.adminUrl, { platform: 'ga4' });
      const ctx = await primed();
      await control.resetRequests();
      // Act
      const results = [];
      for (const p of properties)
        results.push(await loadInto(t.db, source, normalizedRows(connector, ctx, request(p))));
      // Assess: exactly ceil(rowCount / limit) requests per property
      const expectedCalls = results.reduce((n, r) => n + Math.ceil(r.read / PAGE_ROWS), 0);
      expect((await control.requests()).byRoute['ga4.runReport']).toBe(expectedCalls);
      expect(expectedCalls).toBeGreaterThan(properties.length); // pagination really happened
      for (const p of properties) {
        const q = { api: 'ga4', property: p.id, from: WINDOW.start, to: WINDOW.end };
        const byDay = (
          await control.truth<{ groups: Record<string, Record<string, string>> }>({ ...q, groupBy: 'date' })
        ).groups;
        const byCampaign = (
          await control.truth<{ groups: Record<string, Record<string, string>> }>({ ...q, groupBy: 'campaign' })
        ).groups;
        const days = await admin.query(
          `SELECT data_date::text AS day, sum(conversions)::text AS conversions, sum(revenue)::text AS revenue,
                sum((extra_metrics->>'sessions')::numeric)::text AS sessions, min(currency) AS currency
         FROM extracted_data WHERE data_source_id = $1 AND account_id = $2 GROUP BY 1 ORDER BY 1`,
          [source.dataSourceId, p.id],
        );
        expect(days.rows.length).toBe(Object.keys(byDay).length);
        for (const r of days.rows) {
          const truth = byDay[r.day]!;
          expect([r.day, r.conversions, num(r.revenue), r.sessions, r.currency]).toEqual([
            r.day,
            truth.keyEvents,
            num(truth.purchaseRevenue!),
            truth.sessions,
            p.currency,
          ]);
        }
        const campaigns = await admin.query(
          `SELECT campaign_id, sum(conversions)::text AS conversions, sum(revenue)::text AS revenue FROM extracted_data
         WHERE data_source_id = $1 AND account_id = $2 GROUP BY 1`,
          [source.dataSourceId, p.id],
        );
        expect(campaigns.rows.length).toBe(Object.keys(byCampaign).length);
        for (const r of campaigns.rows)
          expect([r.conversions, num(r.revenue)]).toEqual([
            byCampaign[r.campaign_id]!.keyEvents,
            num(byCampaign[r.campaign_id]!.purchaseRevenue!),
          ]);
      }
    },
    HEAVY_TEST_MS,
  );

  it('when the concurrent-requests quota is exhausted, it waits and succeeds', async () => {
    const ctx = await primed();
    await control.arm({ kind: 'rate_limit', target: 'ga4', ga4Quota: 'concurrent_requests', times: 1 });
    const rows = await collect(ctx, request(properties[0]!, { start: TODAY, end: TODAY }));
    expect(ctx.clock.sleeps).toContain(10_000);
    await expectEqualsTruth(rows, properties[0]!, { start: TODAY, end: TODAY });
  });

  it('when the hourly token quota is exhausted, it is handed to the pipeline with a wait until the tokens return', async () => {
    const ctx = await primed();
    await control.resetRequests();
    await control.arm({ kind: 'rate_limit', target: 'ga4', ga4Quota: 'tokens_per_hour', times: 1 });
    const err = await collect(ctx, request(properties[0]!, { start: TODAY, end: TODAY })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    const limited = err as RateLimitedError;
    expect(limited.quotaExhausted).toBe(true);
    // "will return in under an hour": until the next hour, whatever the clock says now
    expect(limited.retryAfterMs).toBeGreaterThan(0);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    expect((ctx.clock.now() + limited.retryAfterMs) % 3_600_000).toBe(0);
    // the worker did not sleep through it, and made no second call against the spent quota
    expect(ctx.clock.sleeps).toEqual([]);
    expect((await control.requests()).byRoute['ga4.runReport']).toBe(1);
  });

  it('when the server fails, it backs off and succeeds; googleapis does not retry on its own', async () => {
    const ctx = await primed();
    await control.resetRequests();
    await control.arm({ kind: 'server_error', target: 'ga4', status: 503, times: 2 });
    const rows = await collect(ctx, request(properties[1]!, { start: TODAY, end: TODAY }));
    expect(ctx.clock.sleeps).toHaveLength(2);
    await expectEqualsTruth(rows, properties[1]!, { start: TODAY, end: TODAY });
    expect((await control.requests()).byRoute['ga4.runReport']).toBe(3);
  });

  it(
    'when the access token expires mid-window, it refreshes once and completes without repeating a page',
    async () => {
      const source = await seedDataSource(t.adminUrl, { platform: 'ga4' });
      const ctx = await primed();
      const pages: number[] = [];
      let armed = false;
      const rows = [];
      for await (const batch of normalizedRows(connector, ctx, request(properties[0]!))) {
        rows.push(...batch);
        pages.push(batch.length);
        if (!armed) {
          armed = true;
          await control.arm({ kind: 'expired_token' });
        }
      }
      expect(ctx.refreshed).toHaveLength(1);
      await expectEqualsTruth(rows, properties[0]!, WINDOW);
      const loaded = await loadInto(
        t.db,
        source,
        (async function* () {
          yield rows;
        })(),
      );
      expect(loaded.inserted).toBe(rows.length); // no duplicates: a repeated page would collide on the natural key
      expect(ctx.memoryLogger.text()).not.toContain(ctx.refreshed[0]!.accessToken!);
    },
    HEAVY_TEST_MS,
  );

  it('when access was revoked, it fails with a reconnect message; when the property is not shared, permission denied', async () => {
    const other = await startGoogleSandbox({ today: TODAY });
    try {
      const ctx = googleContext(other);
      ctx.credential = await connector.refresh!(ctx);
      await new SandboxControl(other.url).arm({ kind: 'revoked' });
      const err = await collect(ctx, request(properties[0]!)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectorAuthError);
      expect((err as ConnectorAuthError).userMessage).toMatch(/Reconnect the Google Analytics 4 credential/);
    } finally {
      await other.stop();
    }
    const ctx = await primed();
    await control.arm({ kind: 'permission_denied', target: 'ga4' });
    try {
      const err = await collect(ctx, request(properties[0]!)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermissionDeniedError);
      expect((err as PermissionDeniedError).userMessage).toMatch(/grant access/);
    } finally {
      await control.clearFaults();
    }
  });

  it(
    'when a page is cut off mid-JSON, the window fails and nothing of it is written',
    async () => {
      const source = await seedDataSource(t.adminUrl, { platform: 'ga4' });
      await control.arm({ kind: 'malformed_page', target: 'ga4', page: 2, times: 1 });
      await expect(
        loadInto(t.db, source, normalizedRows(connector, await primed(), request(properties[0]!))),
      ).rejects.toMatchObject({ name: 'FatalConnectorError' });
      const n = (
        await admin.query(`SELECT count(*)::int AS n FROM extracted_data WHERE data_source_id = $1`, [
          source.dataSourceId,
        ])
      ).rows[0].n;
      expect(n).toBe(0);
    },
    HEAVY_TEST_MS,
  );

  it('when GA4 serves a new metric it lands in extraMetrics; a removed one loads as null; a renamed one is a configuration error', async () => {
    const ctx = await primed();
    await control.arm({ kind: 'new_metric', name: 'engagedSessions', value: '17' });
    await control.arm({ kind: 'removed_metric', field: 'purchaseRevenue' });
    try {
      const rows = await collect(ctx, request(properties[0]!, { start: TODAY, end: TODAY }));
      expect(rows.length).toBeGreaterThan(0);
      expect(
        rows.every((r) => r.extraMetrics?.engagedSessions === '17' && r.revenue === null && r.conversions !== null),
      ).toBe(true);
    } finally {
      await control.clearFaults();
    }
    await control.arm({ kind: 'renamed_metric', from: 'keyEvents', to: 'keyEventsV2' });
    try {
      const err = await collect(ctx, request(properties[0]!)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectorConfigError);
      expect((err as Error).message).toContain('keyEvents');
    } finally {
      await control.clearFaults();
    }
  });
});

function num(v: string): string {
  return v.includes('.') ? v.replace(/\.?0+$/, '') : v;
}
