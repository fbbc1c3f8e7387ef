// Covers the Amazon Ads connector end to end against the Amazon sandbox, through plain fetch: profiles in three
// regions, 90 days of the three campaign reports equal to the sandbox's truth per day, profile and campaign,
// the asynchronous report (created once, polled, resumed by its cursor after a wait, a 425 duplicate reused,
// downloaded without Amazon headers), every fault class, and Login with Amazon.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { FactRow } from '@tributary/shared/domain/fact-row';
import type { AccountInfo, Connector, ConnectorContext, DateWindow, ExtractRequest } from '../contract';
import {
  ConnectorAuthError,
  ConnectorConfigError,
  FatalConnectorError,
  PermissionDeniedError,
  ReportNotReadyError,
} from '../contract';
import { runExtract } from '../runtime/call';
import { KeyValueRateLimiter } from '../runtime/rate-limiter';
import { MemoryLogger, VirtualClock, canonicalDecimal } from '../runtime/test-support';
import { addDays } from '../sandboxes/base/days';
import { SandboxControl } from '../sandboxes/base/sandbox-server';
import {
  AMAZON_DEMO_CLIENT,
  amazonSandboxBaseUrls,
  startAmazonSandbox,
  type AmazonSandbox,
} from '../sandboxes/amazon/amazon-sandbox';
import {
  amazonAdsConnector,
  createAmazonAdsConnector,
  regionOf,
  type AmazonProfileAccount,
} from './amazon-ads.connector';
import type { AmazonCredential } from './amazon-oauth';

const TODAY = '2026-11-23';
const PENDING_POLLS = 2;
const REPORT_TYPES = ['sp_campaign_daily', 'sb_campaign_daily', 'sd_campaign_daily'];

let sandbox: AmazonSandbox;
let control: SandboxControl;
let profiles: AmazonProfileAccount[];
/** the demo login with a current access token, as the OAuth callback stores it */
let primed: AmazonCredential;

interface TestContext extends ConnectorContext<AmazonCredential> {
  clock: VirtualClock;
  refreshed: AmazonCredential[];
}

function context(credential: AmazonCredential = primed): TestContext {
  const clock = new VirtualClock(Date.now());
  const refreshed: AmazonCredential[] = [];
  const ctx: TestContext = {
    clock,
    refreshed,
    credential,
    baseUrls: amazonSandboxBaseUrls(sandbox.url),
    oauthClient: AMAZON_DEMO_CLIENT,
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(clock.now), amazonAdsConnector.rateLimits, {
      now: clock.now,
      sleep: clock.sleep,
    }),
    rateBucket: 'amazon_ads:test',
    logger: new MemoryLogger(),
    // tokens are checked against the sandbox's real clock: only waits are virtual
    now: Date.now,
    sleep: clock.sleep,
    onTokensRefreshed: async (c) => {
      refreshed.push(c);
      ctx.credential = c;
    },
  };
  return ctx;
}

/**
 * Extracts a window as the pipeline does: a ReportNotReadyError hands back the cursor, and the next extract
 * resumes from it (the state machine's Wait in between costs nothing here). Returns rows and the waits.
 */
async function extract(
  connector: Connector<AmazonCredential>,
  ctx: TestContext,
  request: ExtractRequest,
): Promise<{ rows: FactRow[]; waits: string[] }> {
  const waits: string[] = [];
  let resumeCursor: string | null = request.resumeCursor ?? null;
  for (;;) {
    try {
      const rows: FactRow[] = [];
      for await (const page of runExtract(connector, ctx, { ...request, resumeCursor }, { random: () => 0.5 }))
        rows.push(...connector.normalize(page, request));
      return { rows, waits };
    } catch (err) {
      if (!(err instanceof ReportNotReadyError) || waits.length > 20) throw err;
      waits.push(err.resumeCursor);
      resumeCursor = err.resumeCursor;
    }
  }
}

const windows = (start: string, end: string): DateWindow[] => {
  const out: DateWindow[] = [];
  for (let s = start; s <= end; s = addDays(s, 31))
    out.push({ start: s, end: addDays(s, 30) < end ? addDays(s, 30) : end });
  return out;
};

type Truth = {
  groups: Record<
    string,
    {
      rows: number;
      impressions: string;
      clicks: string;
      cost: string;
      purchases: string;
      sales: string;
      currency: string;
    }
  >;
};

/** Rows per (day, campaign) against the sandbox's truth for the same: exact decimals, every key once. */
async function expectEqualsTruth(rows: FactRow[], account: AccountInfo, reportType: string, window: DateWindow) {
  const truth = await control.truth<Truth>({
    profile: account.id,
    reportType,
    from: window.start,
    to: window.end,
    groupBy: 'day_campaign',
  });
  const got: Record<string, Record<string, string>> = {};
  for (const r of rows) {
    const key = `${r.date}|${r.campaignId}`;
    expect(got[key], `${key} twice`).toBeUndefined();
    got[key] = {
      impressions: String(r.impressions),
      clicks: String(r.clicks),
      cost: canonicalDecimal(r.cost!),
      purchases: String(r.conversions),
      sales: canonicalDecimal(r.revenue!),
      currency: r.currency!,
    };
  }
  expect(Object.keys(truth.groups).length).toBeGreaterThan(0);
  expect(got).toEqual(
    Object.fromEntries(
      Object.entries(truth.groups).map(([k, t]) => [
        k,
        {
          impressions: t.impressions,
          clicks: t.clicks,
          cost: t.cost,
          purchases: t.purchases,
          sales: t.sales,
          currency: t.currency,
        },
      ]),
    ),
  );
}

const window = { start: addDays(TODAY, -20), end: TODAY };
const us = () => profiles.find((p) => p.countryCode === 'US')!;
const request = (
  account: AccountInfo = us(),
  reportType = 'sp_campaign_daily',
  w: DateWindow = window,
): ExtractRequest => ({ account, reportType, window: w });

beforeAll(async () => {
  sandbox = await startAmazonSandbox({ today: TODAY, pendingPolls: PENDING_POLLS });
  control = new SandboxControl(sandbox.url);
  primed = await amazonAdsConnector.refresh!(context({ refreshToken: sandbox.demoRefreshToken }));
  profiles = (await amazonAdsConnector.discover(context())).accounts as AmazonProfileAccount[];
});
afterAll(async () => {
  await sandbox?.stop();
});
beforeEach(async () => {
  await control.clearFaults();
  await control.resetRequests();
});

describe('Amazon Ads connector', () => {
  it('when discovering, it lists the profiles of every region with their country, currency, time zone and exact 16-digit ids', () => {
    expect(profiles.map((p) => [p.id, p.region, p.countryCode, p.currency, p.timeZone])).toEqual([
      ['3572424178543413', 'NA', 'US', 'USD', 'America/Los_Angeles'],
      ['1962487512649821', 'EU', 'ES', 'EUR', 'Europe/Madrid'],
      ['2849310046127735', 'EU', 'UK', 'GBP', 'Europe/London'],
      ['4278691537802415', 'FE', 'JP', 'JPY', 'Asia/Tokyo'],
    ]);
    // a profile stored without its region still finds its host
    expect(regionOf({ id: '1', name: 'x', currency: 'JPY', timeZone: 'Asia/Tokyo' })).toBe('FE');
    expect(regionOf({ id: '1', name: 'x', currency: 'GBP', timeZone: 'Europe/London' })).toBe('EU');
  });

  it('when extracting 90 days of every report type for every profile, each (day, campaign) equals the sandbox truth exactly', async () => {
    const ctx = context();
    let sbIdsPastFloat = 0;
    for (const account of profiles) {
      for (const reportType of REPORT_TYPES) {
        const rows: FactRow[] = [];
        for (const w of windows(addDays(TODAY, -89), TODAY))
          rows.push(...(await extract(amazonAdsConnector, ctx, request(account, reportType, w))).rows);
        await expectEqualsTruth(rows, account, reportType, { start: addDays(TODAY, -89), end: TODAY });
        sbIdsPastFloat += rows.filter((r) => BigInt(r.campaignId!) > 2n ** 53n).length;
      }
    }
    // the Sponsored Brands ids are past 2^53: they arrived digit for digit
    expect(sbIdsPastFloat).toBeGreaterThan(0);
  }, 120_000);

  it('when a report takes a few polls, the window costs one create, the polls the report needs and one download', async () => {
    const { rows, waits } = await extract(amazonAdsConnector, context(), request());
    expect(rows.length).toBeGreaterThan(0);
    expect(waits).toEqual([]);
    expect((await control.requests()).byRoute).toEqual({
      'reports.create': 1,
      'reports.get': PENDING_POLLS + 1,
      'reports.download': 1,
    });
  });

  it('when the report is still running after the in-process polls, it hands back a cursor naming it, and resuming polls the same report', async () => {
    const patient = createAmazonAdsConnector({ inProcessPolls: 1, notReadyRetryAfterMs: 30_000 });
    const ctx = context();
    const first = await runExtract(patient, ctx, request())
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ReportNotReadyError);
    expect((first as ReportNotReadyError).retryAfterMs).toBe(30_000);
    expect((first as ReportNotReadyError).resumeCursor).toMatch(/^report:[0-9a-f-]{36}:0$/);
    await control.resetRequests();
    const { rows, waits } = await extract(patient, ctx, {
      ...request(),
      resumeCursor: (first as ReportNotReadyError).resumeCursor,
    });
    await expectEqualsTruth(rows, us(), 'sp_campaign_daily', window);
    // no new report: the same one polled until it completed
    expect(waits.every((w) => w === (first as ReportNotReadyError).resumeCursor)).toBe(true);
    expect((await control.requests()).byRoute['reports.create']).toBeUndefined();
  });

  it('when the same report is requested while it runs (a cursor lost with its process), Amazon answers 425 and the connector uses the running one', async () => {
    const ctx = context();
    const first = (await runExtract(createAmazonAdsConnector({ inProcessPolls: 1 }), ctx, request())
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e)) as ReportNotReadyError;
    // another process (a fresh connector) asks for the same window
    const again = (await runExtract(createAmazonAdsConnector({ inProcessPolls: 1 }), ctx, request())
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e)) as ReportNotReadyError;
    expect(again).toBeInstanceOf(ReportNotReadyError);
    expect(again.resumeCursor).toBe(first.resumeCursor);
    expect((await control.requests()).byRoute['reports.create']).toBe(2);
  });

  it('when a window is older than Amazon keeps or longer than 31 days, Amazon refuses it and the connector says so', async () => {
    const old = await extract(
      amazonAdsConnector,
      context(),
      request(us(), 'sp_campaign_daily', { start: addDays(TODAY, -120), end: addDays(TODAY, -100) }),
    ).catch((e: unknown) => e);
    expect(old).toBeInstanceOf(ConnectorConfigError);
    expect((old as Error).message).toMatch(/retention/);
    const long = await extract(
      amazonAdsConnector,
      context(),
      request(us(), 'sp_campaign_daily', { start: addDays(TODAY, -40), end: TODAY }),
    ).catch((e: unknown) => e);
    expect((long as Error).message).toMatch(/exceeds the maximum of 31 days/);
  });
});

describe('Amazon Ads faults', () => {
  it('when Amazon answers 429 with Retry-After, the connector waits exactly that long and the window is exact', async () => {
    await control.arm({ kind: 'rate_limit', target: 'create', retryAfterSeconds: 7, times: 1 });
    const ctx = context();
    const { rows } = await extract(amazonAdsConnector, ctx, request());
    await expectEqualsTruth(rows, us(), 'sp_campaign_daily', window);
    expect(ctx.clock.sleeps).toContain(7_000);
  });

  it('when Amazon answers 429 without Retry-After (polling too often), it backs off exponentially and ends exact', async () => {
    await control.arm({ kind: 'rate_limit', target: 'poll', retryAfterSeconds: null, times: 2 });
    const ctx = context();
    const { rows } = await extract(amazonAdsConnector, ctx, request());
    await expectEqualsTruth(rows, us(), 'sp_campaign_daily', window);
    // full jitter pinned at 0.5: 1 s then 2 s caps
    expect(ctx.clock.sleeps).toEqual(expect.arrayContaining([500, 1_000]));
  });

  it('when Amazon fails with 5xx on create, poll and download, the retries end exact', async () => {
    await control.arm({ kind: 'server_error', target: 'create', status: 503, times: 1 });
    await control.arm({ kind: 'server_error', target: 'poll', status: 500, times: 1 });
    await control.arm({ kind: 'server_error', target: 'download', status: 500, times: 1 });
    const { rows } = await extract(amazonAdsConnector, context(), request());
    await expectEqualsTruth(rows, us(), 'sp_campaign_daily', window);
    // the retries resumed the report already requested (the 503 create aside): Amazon generated it once
    expect((await control.requests()).byRoute).toMatchObject({ 'reports.create': 2, 'reports.download': 2 });
  });

  it('when a request gets no answer, it times out as transient and the retry ends exact', async () => {
    const quick = createAmazonAdsConnector({ callTimeoutMs: 300 });
    await control.arm({ kind: 'timeout', target: 'poll', hangMs: 5_000, times: 1 });
    const { rows } = await extract(quick, context(), request());
    await expectEqualsTruth(rows, us(), 'sp_campaign_daily', window);
  });

  it('when the access token expired, it refreshes once at the regional LWA host, keeps the refreshed token, and ends exact', async () => {
    const ctx = context();
    await control.arm({ kind: 'expired_token' });
    const { rows } = await extract(amazonAdsConnector, ctx, request());
    await expectEqualsTruth(rows, us(), 'sp_campaign_daily', window);
    expect(ctx.refreshed).toHaveLength(1);
    expect(ctx.refreshed[0]!.accessToken).toMatch(/^Atza\|/);
  });

  it('when the user removed the app, the refresh is refused and the error asks to reconnect', async () => {
    const ctx = context();
    await control.arm({ kind: 'revoked' });
    const err = await extract(amazonAdsConnector, ctx, request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorAuthError);
    expect((err as ConnectorAuthError).userMessage).toMatch(/Reconnect the Amazon Ads credential/);
    // the demo login is gone for the remaining tests: a new one
    primed = await amazonAdsConnector.refresh!(context({ refreshToken: sandbox.tokens.issueRefreshToken() }));
  });

  it('when the login lost access to the profile, it is a permission error naming the profile', async () => {
    await control.arm({ kind: 'permission_denied', profileId: us().id });
    const err = await extract(amazonAdsConnector, context(), request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect((err as PermissionDeniedError).userMessage).toMatch(new RegExp(`cannot read this account.*${us().id}`));
    // another profile still works
    await extractOk(profiles.find((p) => p.countryCode === 'JP')!);
  });

  it('when the download arrives cut short, it is downloaded again and ends exact; a report that is not JSON is fatal', async () => {
    await control.arm({ kind: 'malformed_report', mode: 'gzip', times: 1 });
    const { rows } = await extract(amazonAdsConnector, context(), request());
    await expectEqualsTruth(rows, us(), 'sp_campaign_daily', window);
    await control.arm({ kind: 'malformed_report', mode: 'json', times: 1 });
    const err = await extract(amazonAdsConnector, context(), request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalConnectorError);
    expect((err as FatalConnectorError).userMessage).toBe('Amazon Ads returned a report Tributary cannot read.');
  });

  it('when a report ends FAILED, it is requested again once and ends exact; failing twice tells the user why', async () => {
    await control.arm({ kind: 'report_failed', times: 1 });
    const { rows } = await extract(amazonAdsConnector, context(), request());
    await expectEqualsTruth(rows, us(), 'sp_campaign_daily', window);
    expect((await control.requests()).byRoute['reports.create']).toBe(2);
    await control.arm({ kind: 'report_failed', times: 2 });
    const err = await extract(amazonAdsConnector, context(), request(us(), 'sb_campaign_daily')).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FatalConnectorError);
    expect((err as FatalConnectorError).userMessage).toMatch(
      /could not generate the Sponsored Brands .* report .*internal error/,
    );
  });
});

async function extractOk(account: AccountInfo) {
  const { rows } = await extract(amazonAdsConnector, context(), request(account));
  await expectEqualsTruth(rows, account, 'sp_campaign_daily', window);
}

describe('Login with Amazon', () => {
  it('when a user consents, the code is exchanged for a refresh token that validates and sees the profiles', async () => {
    const redirectUri = 'http://127.0.0.1/callback';
    const url = amazonAdsConnector.buildAuthorizeUrl!({
      clientId: AMAZON_DEMO_CLIENT.clientId,
      redirectUri,
      state: 'st4te',
      baseUrls: amazonSandboxBaseUrls(sandbox.url),
    });
    expect(url).toContain('scope=advertising%3A%3Acampaign_management');
    const consent = await fetch(url, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('st4te');
    const credential = await amazonAdsConnector.exchangeCode!({
      code: back.searchParams.get('code')!,
      redirectUri,
      client: AMAZON_DEMO_CLIENT,
      baseUrls: amazonSandboxBaseUrls(sandbox.url),
    });
    expect(credential.refreshToken).toMatch(/^Atzr\|/);
    const ctx = context(credential);
    await amazonAdsConnector.validate(ctx);
    expect((await amazonAdsConnector.discover(ctx)).accounts).toHaveLength(4);
    // a code is good once
    const reused = await amazonAdsConnector.exchangeCode!({
      code: back.searchParams.get('code')!,
      redirectUri,
      client: AMAZON_DEMO_CLIENT,
      baseUrls: amazonSandboxBaseUrls(sandbox.url),
    }).catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(ConnectorAuthError);
  });

  it('when the advertiser names the EU region at the start, the consent goes to the EU page and the credential refreshes at the EU host', async () => {
    const redirectUri = 'http://127.0.0.1/callback';
    // Amazon's own hosts when no sandbox stands in
    expect(
      amazonAdsConnector.buildAuthorizeUrl!({
        clientId: 'c',
        redirectUri,
        state: 's',
        baseUrls: {},
        start: { region: 'EU' },
      }),
    ).toMatch(/^https:\/\/eu\.account\.amazon\.com\/ap\/oa\?/);
    expect(amazonAdsConnector.buildAuthorizeUrl!({ clientId: 'c', redirectUri, state: 's', baseUrls: {} })).toMatch(
      /^https:\/\/www\.amazon\.com\/ap\/oa\?/,
    );
    expect(() =>
      amazonAdsConnector.buildAuthorizeUrl!({
        clientId: 'c',
        redirectUri,
        state: 's',
        baseUrls: {},
        start: { region: 'MARS' },
      }),
    ).toThrow(ConnectorConfigError);
    const url = amazonAdsConnector.buildAuthorizeUrl!({
      clientId: AMAZON_DEMO_CLIENT.clientId,
      redirectUri,
      state: 'eu-state',
      baseUrls: amazonSandboxBaseUrls(sandbox.url),
      start: { region: 'EU' },
    });
    const back = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    const credential = await amazonAdsConnector.exchangeCode!({
      code: back.searchParams.get('code')!,
      redirectUri,
      client: AMAZON_DEMO_CLIENT,
      baseUrls: amazonSandboxBaseUrls(sandbox.url),
      start: { region: 'EU' },
    });
    expect(credential.region).toBe('EU');
  });
});
