// Covers the Klaviyo connector through the official klaviyo-api client against the Klaviyo sandbox over real
// HTTP, loaded with the fact loader into the embedded PostgreSQL: truth per day, account and campaign; late
// restatements; Klaviyo's own limits (the sandbox enforces 1/s, 2/min and 225/day on the test's virtual
// clock, so a 429 means our budget let too much through); every fault class; OAuth with PKCE.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { loadFacts } from '@tributary/shared/facts/fact-loader';
import { seedDataSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import {
  ConnectorAuthError,
  ConnectorConfigError,
  FatalConnectorError,
  PermissionDeniedError,
  RateLimitedError,
  type AccountInfo,
  type ConnectorContext,
  type ExtractRequest,
} from '../contract';
import { runExtract } from '../runtime/call';
import { KeyValueRateLimiter } from '../runtime/rate-limiter';
import { MemoryLogger, VirtualClock, canonicalDecimal } from '../runtime/test-support';
import { SandboxControl } from '../sandboxes/base/sandbox-server';
import { KLAVIYO_DEMO_CLIENT, startKlaviyoSandbox, type KlaviyoSandbox } from '../sandboxes/klaviyo/klaviyo-sandbox';
import { KLAVIYO_REVISION } from './klaviyo-client';
import { createKlaviyoConnector, klaviyoConnector } from './klaviyo.connector';
import type { KlaviyoCredential } from './klaviyo-oauth';

const TODAY = '2026-11-23';
const WINDOW_90 = { start: '2026-08-26', end: TODAY };
let t: TestDatabase;
let admin: pg.Client;
let sb: KlaviyoSandbox;
let paged: KlaviyoSandbox;
let control: SandboxControl;
/** the sandboxes keep the time of the test's virtual clock; each test starts two days after the last, so
 * the sandbox's per-day call log of one test never counts against the next */
const CLOCK_START = Date.parse('2026-10-01T15:00:00Z');
let tests = 0;
let clock = new VirtualClock(CLOCK_START);
const connector = klaviyoConnector;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  sb = await startKlaviyoSandbox({ today: TODAY, now: () => clock.now() });
  // two results a page: every report pages, and a retried window resumes mid-day
  paged = await startKlaviyoSandbox({ today: TODAY, now: () => clock.now(), pageSize: 2, limits: false });
  control = new SandboxControl(sb.url);
});
afterAll(async () => {
  await sb?.stop();
  await paged?.stop();
  await admin?.end();
  await t?.drop();
});
beforeEach(async () => {
  await control.clearFaults();
  await new SandboxControl(paged.url).clearFaults();
  clock = new VirtualClock(CLOCK_START + tests++ * 2 * 86_400_000);
});

function context(credential: KlaviyoCredential, sandbox = sb) {
  const logger = new MemoryLogger();
  const refreshed: KlaviyoCredential[] = [];
  const ctx: ConnectorContext<KlaviyoCredential> = {
    credential,
    baseUrls: { klaviyo_api: sandbox.url, klaviyo_oauth: sandbox.url },
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(), connector.rateLimits, {
      now: clock.now,
      sleep: clock.sleep,
    }),
    rateBucket: `klaviyo:${Math.random()}`,
    logger,
    now: clock.now,
    sleep: clock.sleep,
    oauthClient: KLAVIYO_DEMO_CLIENT,
    onTokensRefreshed: async (c) => {
      refreshed.push(c);
    },
  };
  return { ctx, logger, refreshed };
}

const keyOf = (i: number, sandbox = sb) => sandbox.keys[sandbox.world.accounts[i]!.id]!;
const accountOf = (i: number, sandbox = sb): AccountInfo => {
  const a = sandbox.world.accounts[i]!;
  return { id: a.id, name: a.name, currency: a.currency, timeZone: a.timeZone };
};
const metricOf = (i: number, name: string, sandbox = sb) =>
  sandbox.world.accounts[i]!.metrics.find((m) => m.name === name)!.id;

async function* factRows(
  ctx: ConnectorContext<KlaviyoCredential>,
  request: ExtractRequest,
  c = connector,
): AsyncGenerator<FactRow[]> {
  for await (const page of runExtract(c, ctx, request, { random: () => 0.5 }))
    yield c.normalize(page, { account: request.account, reportType: request.reportType, window: request.window });
}

async function collect(
  ctx: ConnectorContext<KlaviyoCredential>,
  request: ExtractRequest,
  c = connector,
): Promise<FactRow[]> {
  const rows: FactRow[] = [];
  for await (const batch of factRows(ctx, request, c)) rows.push(...batch);
  return rows;
}

/** Windows as the planner cuts them (connector.windowDays). */
function windows(w: { start: string; end: string }, days = connector.windowDays): { start: string; end: string }[] {
  const out = [];
  for (let s = w.start; s <= w.end;) {
    const e = new Date(Date.parse(`${s}T00:00:00Z`) + (days - 1) * 86_400_000).toISOString().slice(0, 10);
    out.push({ start: s, end: e < w.end ? e : w.end });
    s = new Date(Date.parse(`${e}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  }
  return out;
}

type Truth = {
  rows: number;
  clicks: string;
  conversions: string;
  conversion_value: string;
  recipients: string;
  delivered: string;
  opens: string;
  unsubscribes: string;
  currency: string;
};
async function truth(sandbox: KlaviyoSandbox, q: Record<string, string>): Promise<{ groups: Record<string, Truth> }> {
  return new SandboxControl(sandbox.url).truth(q);
}

const exact = (v: string | null) => (v === null ? null : canonicalDecimal(v));

async function sums(sourceId: string, by: 'data_date' | 'campaign_id') {
  const { rows } = await admin.query(
    `SELECT ${by}::text AS k, count(*)::int AS rows, sum(clicks)::text AS clicks, sum(conversions)::text AS conversions, sum(revenue)::text AS revenue,
            sum((extra_metrics->>'recipients')::numeric)::text AS recipients, sum((extra_metrics->>'delivered')::numeric)::text AS delivered,
            sum((extra_metrics->>'opens')::numeric)::text AS opens, sum((extra_metrics->>'unsubscribes')::numeric)::text AS unsubscribes,
            min(currency) AS currency, max(currency) AS currency2
     FROM extracted_data WHERE data_source_id = $1 GROUP BY 1 ORDER BY 1`,
    [sourceId],
  );
  return Object.fromEntries(
    rows.map((r) => [
      r.k,
      {
        rows: r.rows,
        clicks: exact(r.clicks),
        conversions: exact(r.conversions),
        conversion_value: exact(r.revenue),
        recipients: exact(r.recipients),
        delivered: exact(r.delivered),
        opens: exact(r.opens),
        unsubscribes: exact(r.unsubscribes),
        currency: r.currency === r.currency2 ? r.currency : 'mixed',
      },
    ]),
  );
}

const expectedOf = (groups: Record<string, Truth>) =>
  Object.fromEntries(
    Object.entries(groups)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, g]) => [
        k,
        {
          rows: g.rows,
          clicks: g.clicks,
          conversions: g.conversions,
          conversion_value: canonicalDecimal(g.conversion_value),
          recipients: g.recipients,
          delivered: g.delivered,
          opens: g.opens,
          unsubscribes: g.unsubscribes,
          currency: g.currency,
        },
      ]),
  );

async function load(
  sourceId: { organizationId: string; projectId: string; dataSourceId: string },
  ctx: ConnectorContext<KlaviyoCredential>,
  account: AccountInfo,
  reportType: string,
  window: { start: string; end: string },
  options?: Record<string, string>,
) {
  let inserted = 0;
  let updated = 0;
  for (const w of windows(window)) {
    const r = await loadFacts(
      t.db,
      { ...sourceId, platform: 'klaviyo' },
      factRows(ctx, { account, reportType, window: w, ...(options ? { options } : {}) }),
    );
    inserted += r.inserted;
    updated += r.updated;
  }
  return { inserted, updated };
}

describe('Klaviyo connector', () => {
  it.each([0, 1, 2])(
    "when 90 days of campaigns and flows of account %i are extracted window by window and loaded, the sums per day and per campaign equal the sandbox truth, within Klaviyo's limits",
    async (i) => {
      // Prepare
      const started = clock.now();
      const account = accountOf(i);
      const { ctx, logger } = context({ apiKey: keyOf(i) });
      const options = { conversion_metric_id: metricOf(i, 'Placed Order') };
      const campaigns = await seedDataSource(t.adminUrl, { platform: 'klaviyo' });
      const flows = await seedDataSource(t.adminUrl, { platform: 'klaviyo' });
      await control.resetRequests();
      // Act
      await load(campaigns, ctx, account, 'campaign_daily', WINDOW_90, options);
      await load(flows, ctx, account, 'flow_daily', WINDOW_90, options);
      // Assess: exact sums per day and per campaign (flow), in the account's currency
      const q = { account: account.id, from: WINDOW_90.start, to: WINDOW_90.end };
      expect(await sums(campaigns.dataSourceId, 'data_date')).toEqual(
        expectedOf((await truth(sb, { ...q, report: 'campaign', groupBy: 'date' })).groups),
      );
      expect(await sums(campaigns.dataSourceId, 'campaign_id')).toEqual(
        expectedOf((await truth(sb, { ...q, report: 'campaign', groupBy: 'campaign' })).groups),
      );
      expect(await sums(flows.dataSourceId, 'data_date')).toEqual(
        expectedOf((await truth(sb, { ...q, report: 'flow', groupBy: 'date' })).groups),
      );
      expect(await sums(flows.dataSourceId, 'campaign_id')).toEqual(
        expectedOf((await truth(sb, { ...q, report: 'flow', groupBy: 'campaign' })).groups),
      );
      // one values report per day and one series report per window; never a 429: our budget held Klaviyo's limits
      const requests = await control.requests();
      expect(requests.byRoute).toEqual({
        'campaign-values-reports': 90,
        'flow-series-reports': windows(WINDOW_90).length,
      });
      expect(logger.text()).not.toContain('rate limited');
      // at 2 a minute the 97 report calls take about 48 minutes, all within one day's quota
      expect(clock.now() - started).toBeGreaterThanOrEqual(96 * 30_000);
    },
  );

  it('when recent days restate (conversions attributed later), extracting the lookback again updates them to the truth and leaves settled days alone', async () => {
    const account = accountOf(0);
    const { ctx } = context({ apiKey: keyOf(0) });
    const source = await seedDataSource(t.adminUrl, { platform: 'klaviyo' });
    const window = { start: '2026-11-09', end: TODAY };
    const first = await load(source, ctx, account, 'campaign_daily', window);
    await control.advance(2);
    try {
      const lookback = { start: '2026-11-18', end: TODAY };
      const again = await load(source, ctx, account, 'campaign_daily', lookback);
      expect(first.inserted).toBeGreaterThan(0);
      expect(again.inserted).toBe(0);
      expect(again.updated).toBeGreaterThan(0);
      const q = { account: account.id, from: window.start, to: window.end, report: 'campaign', groupBy: 'date' };
      expect(await sums(source.dataSourceId, 'data_date')).toEqual(expectedOf((await truth(sb, q)).groups));
    } finally {
      sb.world.version = 0;
    }
  });

  it("when the conversion metric is chosen per data source, conversions follow it; resolveOptions defaults to Placed Order and refuses an unknown metric with the account's metrics", async () => {
    const account = accountOf(1);
    const { ctx } = context({ apiKey: keyOf(1) });
    expect(await connector.resolveOptions!(ctx, account, {})).toEqual({
      conversion_metric_id: metricOf(1, 'Placed Order'),
      conversion_metric_name: 'Placed Order',
    });
    expect(await connector.resolveOptions!(ctx, account, { conversion_metric_id: 'Ordered Product' })).toEqual({
      conversion_metric_id: metricOf(1, 'Ordered Product'),
      conversion_metric_name: 'Ordered Product',
    });
    const err = await connector.resolveOptions!(ctx, account, { conversion_metric_id: 'Nope' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConnectorConfigError);
    expect((err as ConnectorConfigError).userMessage).toContain('Started Checkout');
    const window = { start: '2026-11-01', end: '2026-11-14' };
    const placed = await collect(ctx, {
      account,
      reportType: 'campaign_daily',
      window,
      options: { conversion_metric_id: metricOf(1, 'Placed Order') },
    });
    const ordered = await collect(ctx, {
      account,
      reportType: 'campaign_daily',
      window,
      options: { conversion_metric_id: metricOf(1, 'Ordered Product') },
    });
    const total = (rows: FactRow[]) => rows.reduce((n, r) => n + Number(r.conversions), 0);
    expect(total(ordered)).toBeGreaterThan(total(placed));
    const expected = await truth(sb, {
      account: account.id,
      from: window.start,
      to: window.end,
      report: 'campaign',
      groupBy: 'date',
      metric: metricOf(1, 'Ordered Product'),
    });
    expect(String(total(ordered))).toBe(
      String(Object.values(expected.groups).reduce((n, g) => n + Number(g.conversions), 0)),
    );
  });

  it('when reports page (2 results a page) and a page fails mid-window, the retry resumes after the last page it yielded and the window ends exact', async () => {
    const account = accountOf(0, paged);
    const { ctx } = context({ apiKey: keyOf(0, paged) }, paged);
    const pagedControl = new SandboxControl(paged.url);
    const window = { start: '2026-10-01', end: '2026-10-14' };
    await pagedControl.arm({ kind: 'server_error', target: 'reports', status: 502, times: 1 });
    // the server error hits the first call; a second one lands on a later page
    const rows: FactRow[] = [];
    let pages = 0;
    for await (const page of runExtract(
      connector,
      ctx,
      { account, reportType: 'flow_daily', window },
      { random: () => 0.5 },
    )) {
      pages++;
      if (pages === 2) await pagedControl.arm({ kind: 'server_error', target: 'reports', status: 503, times: 1 });
      rows.push(...connector.normalize(page, { account, reportType: 'flow_daily', window }));
    }
    const expected = await truth(paged, {
      account: account.id,
      from: window.start,
      to: window.end,
      report: 'flow',
      groupBy: 'date',
    });
    const byDay = new Map<string, number>();
    for (const r of rows) byDay.set(r.date, (byDay.get(r.date) ?? 0) + Number(r.conversions));
    expect(Object.fromEntries([...byDay].sort())).toEqual(
      Object.fromEntries(
        Object.entries(expected.groups)
          .map(([d, g]) => [d, Number(g.conversions)])
          .sort(),
      ),
    );
    expect(rows.length).toBe(Object.values(expected.groups).reduce((n, g) => n + g.rows, 0));
    expect(pages).toBe(Math.ceil(sb.world.accounts[0]!.flows.reduce((n, f) => n + f.messages.length, 0) / 2));
    // campaigns page too: every day's values report, every page, exactly once
    const campaignRows = await collect(ctx, { account, reportType: 'campaign_daily', window });
    const campaignTruth = await truth(paged, {
      account: account.id,
      from: window.start,
      to: window.end,
      report: 'campaign',
    });
    expect(campaignRows.length).toBe((campaignTruth as unknown as Truth).rows);
  });

  it('when Klaviyo throttles (429 with Retry-After) or fails (5xx, a timeout), the runtime waits as told or backs off, and the window ends exact', async () => {
    const account = accountOf(2);
    const window = { start: '2026-11-10', end: '2026-11-16' };
    const expected = (await truth(sb, {
      account: account.id,
      from: window.start,
      to: window.end,
      report: 'campaign',
    })) as unknown as Truth;
    for (const fault of [
      { kind: 'rate_limit', target: 'reports', retryAfterSeconds: 42, times: 1 },
      { kind: 'server_error', target: 'reports', status: 503, times: 2 },
      { kind: 'timeout', target: 'reports', hangMs: 2_000, times: 1 },
    ]) {
      await control.clearFaults();
      await control.arm(fault);
      const { ctx, logger } = context({ apiKey: keyOf(2) });
      const c = fault.kind === 'timeout' ? createKlaviyoConnector({ callTimeoutMs: 300 }) : connector;
      const sleptBefore = clock.sleeps.length;
      const rows = await collect(ctx, { account, reportType: 'campaign_daily', window }, c);
      expect(rows.length, fault.kind).toBe(expected.rows);
      expect(canonicalDecimal(rows.reduce((n, r) => n + Number(r.conversions), 0))).toBe(expected.conversions);
      if (fault.kind === 'rate_limit') {
        expect(clock.sleeps.slice(sleptBefore)).toContain(42_000);
        expect(logger.text()).toContain('rate limited; waiting as the platform asked');
      } else {
        expect(logger.text()).toContain('transient failure; backing off');
      }
    }
  });

  it("when the day's quota is spent, Klaviyo's 429 (Retry-After of hours) and our own 225-a-day budget both end the window with quotaExhausted, naming when it continues", async () => {
    const account = accountOf(0);
    // Klaviyo says so
    await control.arm({ kind: 'rate_limit', target: 'reports', window: 'daily', times: 1 });
    const { ctx } = context({ apiKey: keyOf(0) });
    const err = await collect(ctx, {
      account,
      reportType: 'campaign_daily',
      window: { start: '2026-11-20', end: TODAY },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ quotaExhausted: true });
    expect((err as RateLimitedError).retryAfterMs).toBeGreaterThan(60_000);
    await control.clearFaults();
    // our budget knows: after 225 report calls in a day the 226th is not sent
    const own = context({ apiKey: keyOf(1) });
    await control.resetRequests();
    const spent = await collect(own.ctx, {
      account: accountOf(1),
      reportType: 'campaign_daily',
      window: { start: '2026-03-01', end: '2026-11-20' },
    }).catch((e: unknown) => e);
    expect(spent).toBeInstanceOf(RateLimitedError);
    expect(spent).toMatchObject({ quotaExhausted: true });
    expect((spent as RateLimitedError).userMessage).toMatch(
      /quota of 225 calls is used up; the extraction continues at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/,
    );
    expect((await control.requests()).byRoute['campaign-values-reports']).toBe(225);
  }, 120_000);

  it('when the key is deleted, lacks a scope, or a page is cut off, the call fails with the right class and a message the user can act on', async () => {
    const account = accountOf(0);
    const window = { start: '2026-11-20', end: TODAY };
    // a key without campaigns:read / flows:read: validate explains it at connect
    const limited = context({ apiKey: sb.limitedKey });
    const refused = await connector.validate(limited.ctx).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect((refused as PermissionDeniedError).userMessage).toContain('campaigns:read and flows:read');
    await connector.validate(context({ apiKey: keyOf(0) }).ctx);
    const denied = await collect(limited.ctx, { account, reportType: 'campaign_daily', window }).catch(
      (e: unknown) => e,
    );
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect((denied as PermissionDeniedError).userMessage).toContain('campaigns:read');
    // a page cut off mid-JSON
    await control.arm({ kind: 'malformed_page', target: 'reports', page: 0, times: 1 });
    const cut = await collect(context({ apiKey: keyOf(0) }).ctx, { account, reportType: 'flow_daily', window }).catch(
      (e: unknown) => e,
    );
    expect(cut).toBeInstanceOf(FatalConnectorError);
    expect((cut as FatalConnectorError).userMessage).toContain('malformed page');
    // a retired revision fails loudly; the pinned one is the latest
    expect(KLAVIYO_REVISION).toBe('2026-10-15');
    const old = await createKlaviyoConnector({ revision: '2024-10-15' })
      .validate(context({ apiKey: keyOf(0) }).ctx)
      .catch((e: unknown) => e);
    expect(old).toBeInstanceOf(FatalConnectorError);
    expect((old as FatalConnectorError).message).toContain('retired on 2026-10-15');
    // the key is deleted: no refresh can cure it, the user is told to make a new key
    await control.arm({ kind: 'invalid_key' });
    const gone = await connector.validate(context({ apiKey: keyOf(0) }).ctx).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ConnectorAuthError);
    const { ctx } = context({ apiKey: keyOf(0) });
    const failed = await collect(ctx, { account, reportType: 'campaign_daily', window }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ConnectorAuthError);
    expect((failed as ConnectorAuthError).userMessage).toContain('Create a private key');
    // the error and its cause never carry the key (an AxiosError's config holds the request's headers)
    const cause = (gone as Error).cause as Record<string, unknown>;
    expect(cause).toMatchObject({ response: { status: 401 } });
    expect(JSON.stringify(cause, Object.getOwnPropertyNames(cause))).not.toContain(keyOf(0));
  });

  it('when an app connects with OAuth (PKCE), extractions use its bearer token; an expired token is refreshed once and stored; a revoked grant asks to reconnect', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirectUri = 'http://127.0.0.1/callback';
    const url = connector.buildAuthorizeUrl!({
      clientId: KLAVIYO_DEMO_CLIENT.clientId,
      redirectUri,
      state: 's1',
      codeChallenge: challenge,
      baseUrls: { klaviyo_oauth: sb.url },
    });
    expect(new URL(url).searchParams.get('scope')).toBe('accounts:read metrics:read campaigns:read flows:read');
    const consent = await fetch(url, { redirect: 'manual' });
    const code = new URL(consent.headers.get('location')!).searchParams.get('code')!;
    const wrong = await connector.exchangeCode!({
      code,
      redirectUri,
      codeVerifier: 'not-the-verifier-0000000000000000000000000',
      client: KLAVIYO_DEMO_CLIENT,
      baseUrls: { klaviyo_api: sb.url },
    }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ConnectorAuthError);
    const consent2 = await fetch(url, { redirect: 'manual' });
    const code2 = new URL(consent2.headers.get('location')!).searchParams.get('code')!;
    const credential = await connector.exchangeCode!({
      code: code2,
      redirectUri,
      codeVerifier: verifier,
      client: KLAVIYO_DEMO_CLIENT,
      baseUrls: { klaviyo_api: sb.url },
    });
    expect(credential).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresAt: expect.any(Number),
    });
    const account = accountOf(0);
    const { ctx, refreshed } = context(credential as KlaviyoCredential);
    expect((await connector.discover(ctx)).accounts).toEqual([account]);
    await control.arm({ kind: 'expired_token' });
    const window = { start: '2026-11-16', end: TODAY };
    const rows = await collect(ctx, { account, reportType: 'flow_daily', window });
    expect(refreshed).toHaveLength(1);
    expect(refreshed[0]!.accessToken).not.toBe(credential.accessToken);
    const expected = (await truth(sb, {
      account: account.id,
      from: window.start,
      to: window.end,
      report: 'flow',
    })) as unknown as Truth;
    expect(rows.length).toBe(expected.rows);
    await control.arm({ kind: 'revoked' });
    const revoked = await collect(context(refreshed[0]!).ctx, { account, reportType: 'flow_daily', window }).catch(
      (e: unknown) => e,
    );
    expect(revoked).toBeInstanceOf(ConnectorAuthError);
  });
});
