// Amazon Ads through Reporting v3, plain fetch (PLATFORMS.md §6; Amazon publishes no Node SDK): Sponsored
// Products, Brands and Display campaigns by day. Accounts are advertising profiles (GET /v2/profiles on each
// region's host); every call names its profile in Amazon-Advertising-API-Scope and goes to the host of the
// profile's region. Reports are asynchronous: create → poll → download the gzipped JSON from a presigned S3
// URL, sent without any Amazon header (S3 refuses a second auth mechanism). Reports can take hours: after a
// few polls in-process, a report still running is a ReportNotReadyError whose cursor names it, and the state
// machine's Wait state does the waiting (the worker records the cursor; the next extract polls the same
// report). Base-URL keys read: amazon_ads_{na,eu,fe} (API), amazon_lwa_{na,eu,fe} (token), amazon_lwa_authorize.
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import type {
  AccountInfo,
  ApiVersionPin,
  Catalog,
  Connector,
  ConnectorContext,
  ExtractRequest,
  Stream,
} from '../contract';
import {
  ConnectorAuthError,
  ConnectorConfigError,
  ConnectorError,
  FatalConnectorError,
  RateLimitedError,
  ReportNotReadyError,
  TransientPlatformError,
} from '../contract';
import { callPlatform } from '../runtime/call';
import { badCursor, declareConnector } from '../runtime/streams';
import { classifyFailure, isNetworkError, parseRetryAfter } from '../runtime/classify';
import { AMAZON_REPORT_TYPES, amazonReport, type AmazonReportSpec } from './amazon-ads-reports';
import { normalizeAmazonReport } from './amazon-ads-normalize';
import { parseAmazonJson } from './amazon-json';
import {
  AMAZON_BASE_URL_KEYS,
  AMAZON_REGIONS,
  AmazonCredentialSchema,
  amazonAccessTokenExpiresAt,
  amazonApp,
  amazonOAuthSpec,
  buildAmazonAuthorizeUrl,
  currentAmazonToken,
  exchangeAmazonCode,
  refreshAmazonToken,
  type AmazonCredential,
  type AmazonRegion,
} from './amazon-oauth';

const gunzip = promisify(gunzipCallback);

/**
 * The one place the API version is pinned. Reporting v3 has no announced sunset (PLATFORMS.md, "Corrections and
 * versions as of 2026-12"); Amazon's newer "unified" reporting API exists beside it. Null until Amazon names one.
 */
export const AMAZON_REPORTING_API: ApiVersionPin = {
  version: 'v3',
  sunset: null,
  source: 'no sunset announced for Reporting v3 (advertising.amazon.com/API/docs/en-us/release-notes/deprecations)',
};
const CREATE_CONTENT_TYPE = `application/vnd.createasyncreportrequest.${AMAZON_REPORTING_API.version}+json`;

const API_HOSTS: Record<AmazonRegion, string> = {
  NA: 'https://advertising-api.amazon.com',
  EU: 'https://advertising-api-eu.amazon.com',
  FE: 'https://advertising-api-fe.amazon.com',
};

/** A profile as discover returns it: the contract's account plus where it lives (stored with the data source). */
export interface AmazonProfileAccount extends AccountInfo {
  region: AmazonRegion;
  countryCode: string;
}

// Amazon's marketplaces by advertising region (advertising.amazon.com/API/docs/en-us/reference/api-overview)
const COUNTRY_REGION: Record<string, AmazonRegion> = {
  US: 'NA',
  CA: 'NA',
  MX: 'NA',
  BR: 'NA',
  UK: 'EU',
  GB: 'EU',
  DE: 'EU',
  FR: 'EU',
  IT: 'EU',
  ES: 'EU',
  NL: 'EU',
  SE: 'EU',
  PL: 'EU',
  BE: 'EU',
  IE: 'EU',
  TR: 'EU',
  AE: 'EU',
  SA: 'EU',
  EG: 'EU',
  IN: 'EU',
  ZA: 'EU',
  JP: 'FE',
  AU: 'FE',
  SG: 'FE',
};

/** The region of a stored profile: as discovered, else by its country, else by its time zone. */
export function regionOf(account: AccountInfo): AmazonRegion {
  const a = account as Partial<AmazonProfileAccount>;
  if (a.region && (AMAZON_REGIONS as readonly string[]).includes(a.region)) return a.region;
  if (a.countryCode && COUNTRY_REGION[a.countryCode]) return COUNTRY_REGION[a.countryCode]!;
  const zone = account.timeZone;
  if (/^America\//.test(zone)) return 'NA';
  if (/^(Asia\/(Tokyo|Singapore)|Australia\/)/.test(zone)) return 'FE';
  return 'EU';
}

export function amazonApiHost(baseUrls: Readonly<Record<string, string>>, region: AmazonRegion): string {
  return (baseUrls[AMAZON_BASE_URL_KEYS.api[region]] ?? API_HOSTS[region]).replace(/\/+$/, '');
}

// -------------------------------------------------------------------------------------------------
// Errors: `{"code","detail"}` (v2 endpoints say `details`); 429 may carry Retry-After; no usage headers.

/** What Amazon (or the report's S3 download) answered, kept without request headers: never a token. */
export class AmazonHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { code?: string; detail?: string; details?: string; message?: string } | null,
    readonly retryAfter: string | null,
    readonly download = false,
  ) {
    super(`HTTP ${status}`);
    this.name = 'AmazonHttpError';
  }
}

export function classifyAmazonError(err: unknown, at: { what: string; nowMs: number }): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof AmazonHttpError) {
    const detail = err.body?.detail ?? err.body?.details ?? err.body?.message ?? `HTTP ${err.status}`;
    const code = err.body?.code;
    const message = `${at.what}: ${detail}`;
    const cause = { status: err.status, body: err.body };
    if (err.download) {
      // S3's own answer: an expired or refused presigned URL. Polling the report again gives a fresh one.
      return classifyFailure('amazon_ads', {
        status: err.status,
        message: `${at.what}: the report's download link was refused (HTTP ${err.status})`,
        kind: err.status === 403 || err.status >= 500 ? 'transient' : 'fatal',
        cause,
      });
    }
    if (err.status === 429) {
      const retryAfterMs = parseRetryAfter(err.retryAfter, at.nowMs);
      // without Retry-After Amazon asks for exponential backoff: the runtime's transient path
      return classifyFailure('amazon_ads', {
        status: 429,
        code,
        message,
        cause,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : { kind: 'transient' as const }),
      });
    }
    return classifyFailure('amazon_ads', { status: err.status, code, message, cause });
  }
  if (isNetworkError(err))
    return new TransientPlatformError(
      `${at.what}: ${(err as Error).message ?? 'network failure'}`,
      'amazon_ads',
      undefined,
      { cause: err },
    );
  return classifyFailure('amazon_ads', {
    kind: 'fatal',
    message: `${at.what}: ${err instanceof Error ? err.message : String(err)}`,
    cause: err,
  });
}

function parseBody(text: string): AmazonHttpError['body'] {
  try {
    const b = JSON.parse(text) as unknown;
    return b && typeof b === 'object' ? (b as AmazonHttpError['body']) : null;
  } catch {
    return null;
  }
}

// -------------------------------------------------------------------------------------------------

interface ReportStatus {
  reportId?: string;
  status?: 'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
  url?: string | null;
  failureReason?: string | null;
}

interface ReportPlan {
  report: AmazonReportSpec;
  region: AmazonRegion;
  what: string;
  /** this process's memory of the window's report: credential, profile, report type and window */
  memoKey: string;
}
interface ReportJob {
  reportId: string;
  failures: number;
  fresh: boolean;
}
interface ReportState {
  /** the report a resume cursor names */
  named?: { reportId: string; failures: number };
  url?: string;
}

export interface AmazonAdsOptions {
  /** polls of a running report within one extract call, before the wait is handed to the state machine */
  inProcessPolls?: number;
  /** the wait before in-process poll n (0-based) */
  pollDelayMs?: (poll: number) => number;
  /** the first wait asked of the state machine for a report still running (it doubles the later ones) */
  notReadyRetryAfterMs?: number;
  /** per request: an answer that does not come is a timeout (transient) */
  callTimeoutMs?: number;
}

/**
 * How long this process resumes a report it requested rather than asking for it again: a retry comes within
 * minutes, and a later run should not load a snapshot generated long before it.
 */
const REMEMBER_REPORT_MS = 3_600_000;
/** A report that ends FAILED is requested again once; the second failure is the user's to see. */
const MAX_REPORT_FAILURES = 2;
const DUPLICATE_OF = /duplicate of\s*:?\s*([A-Za-z0-9-]+)/i;

export function createAmazonAdsConnector(options: AmazonAdsOptions = {}): Connector<AmazonCredential> {
  const inProcessPolls = Math.max(1, options.inProcessPolls ?? 3);
  // 2 s, 4 s, 8 s: a small report is often ready within seconds; anything longer waits in the state machine
  const pollDelayMs = options.pollDelayMs ?? ((poll: number) => 2_000 * 2 ** poll);
  const notReadyRetryAfterMs = options.notReadyRetryAfterMs ?? 30_000;
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  /**
   * Reports this process requested and has not downloaded yet, by credential, profile, report type and window.
   * The runtime retries a failed extract (a 5xx on the download, a dropped poll) from the last page's cursor, and
   * there is none before the report's one page: without this, the retry would have Amazon generate the report
   * again. An entry goes once its report is downloaded, or turns out unusable, or after REMEMBER_REPORT_MS.
   */
  const requested = new Map<string, { reportId: string; failures: number; at: number }>();

  const signalOf = (ctx: ConnectorContext<AmazonCredential>) =>
    ctx.signal ? AbortSignal.any([ctx.signal, AbortSignal.timeout(callTimeoutMs)]) : AbortSignal.timeout(callTimeoutMs);

  /** One budgeted, classified Amazon Ads API request; `accept425` returns a duplicate answer instead of failing. */
  async function api(
    ctx: ConnectorContext<AmazonCredential>,
    what: string,
    region: AmazonRegion,
    path: string,
    o: { method?: 'GET' | 'POST'; profileId?: string; body?: unknown; accept425?: boolean } = {},
  ): Promise<{ status: number; text: string }> {
    return callPlatform(connector, ctx, what, async () => {
      const token = currentAmazonToken(ctx);
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        'amazon-advertising-api-clientid': amazonApp(ctx).clientId,
        accept: 'application/json',
      };
      if (o.profileId) headers['amazon-advertising-api-scope'] = o.profileId;
      if (o.body !== undefined) headers['content-type'] = CREATE_CONTENT_TYPE;
      const res = await fetch(`${amazonApiHost(ctx.baseUrls, region)}${path}`, {
        method: o.method ?? 'GET',
        headers,
        ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
        signal: signalOf(ctx),
      });
      const text = await res.text();
      if (res.ok || (o.accept425 && res.status === 425)) return { status: res.status, text };
      throw new AmazonHttpError(res.status, parseBody(text), res.headers.get('retry-after'));
    });
  }

  async function profiles(
    ctx: ConnectorContext<AmazonCredential>,
    region: AmazonRegion,
  ): Promise<AmazonProfileAccount[]> {
    const { text } = await api(ctx, `list the ${region} advertising profiles`, region, '/v2/profiles');
    const list = parseAmazonJson(text);
    if (!Array.isArray(list))
      throw new FatalConnectorError(
        'Amazon Ads answered GET /v2/profiles without a list',
        'amazon_ads',
        'Amazon Ads returned a profile list Tributary cannot read.',
      );
    return list.flatMap(
      (p: {
        profileId?: unknown;
        countryCode?: unknown;
        currencyCode?: unknown;
        timezone?: unknown;
        accountInfo?: { name?: unknown; type?: unknown };
      }) => {
        if (typeof p?.profileId !== 'string' || typeof p.currencyCode !== 'string' || typeof p.timezone !== 'string')
          return [];
        const country = typeof p.countryCode === 'string' ? p.countryCode : '';
        const name =
          typeof p.accountInfo?.name === 'string'
            ? `${p.accountInfo.name}${country ? ` (${country})` : ''}`
            : p.profileId;
        return [
          { id: p.profileId, name, currency: p.currencyCode, timeZone: p.timezone, region, countryCode: country },
        ];
      },
    );
  }

  async function allProfiles(ctx: ConnectorContext<AmazonCredential>): Promise<AmazonProfileAccount[]> {
    const out: AmazonProfileAccount[] = [];
    // one login sees profiles in every region, each listed only by its own region's host
    for (const region of AMAZON_REGIONS) out.push(...(await profiles(ctx, region)));
    return out;
  }

  async function createReport(
    ctx: ConnectorContext<AmazonCredential>,
    report: AmazonReportSpec,
    request: ExtractRequest,
    region: AmazonRegion,
    what: string,
  ): Promise<string> {
    const body = {
      name: `Tributary ${report.id} ${request.window.start}..${request.window.end}`,
      startDate: request.window.start,
      endDate: request.window.end,
      // every campaign status: an archived campaign's past spend is still spend
      configuration: {
        adProduct: report.adProduct,
        reportTypeId: report.reportTypeId,
        groupBy: ['campaign'],
        columns: report.columns,
        timeUnit: 'DAILY',
        format: 'GZIP_JSON',
      },
    };
    const res = await api(ctx, `request the report for ${what}`, region, '/reporting/reports', {
      method: 'POST',
      profileId: request.account.id,
      body,
      accept425: true,
    });
    const parsed = parseAmazonJson(res.text) as { reportId?: unknown; detail?: unknown } | null;
    if (res.status === 425) {
      // the same report is already being generated: Amazon names it in the message; use it
      const id = typeof parsed?.detail === 'string' ? DUPLICATE_OF.exec(parsed.detail)?.[1] : undefined;
      if (!id)
        throw new FatalConnectorError(
          `Amazon Ads called the report for ${what} a duplicate without naming the original`,
          'amazon_ads',
          'Amazon Ads returned an answer Tributary cannot read.',
        );
      ctx.logger.info('report already requested; using it', { platform: 'amazon_ads', reportId: id, what });
      return id;
    }
    if (typeof parsed?.reportId !== 'string')
      throw new FatalConnectorError(
        `Amazon Ads returned no report id for ${what}`,
        'amazon_ads',
        'Amazon Ads returned an answer Tributary cannot read.',
      );
    return parsed.reportId;
  }

  async function reportStatus(
    ctx: ConnectorContext<AmazonCredential>,
    reportId: string,
    request: ExtractRequest,
    region: AmazonRegion,
    what: string,
  ): Promise<ReportStatus> {
    const { text } = await api(
      ctx,
      `check the report for ${what}`,
      region,
      `/reporting/reports/${encodeURIComponent(reportId)}`,
      { profileId: request.account.id },
    );
    const s = parseAmazonJson(text) as ReportStatus | null;
    if (!s || typeof s.status !== 'string')
      throw new FatalConnectorError(
        `Amazon Ads answered the report status for ${what} without a status`,
        'amazon_ads',
        'Amazon Ads returned an answer Tributary cannot read.',
      );
    return s;
  }

  /**
   * The presigned download, I/O only: no Authorization, no Amazon header. S3, not the Ads API: not on the rate budget.
   */
  async function download(ctx: ConnectorContext<AmazonCredential>, url: string, what: string): Promise<Buffer> {
    const res = await fetch(url, { signal: signalOf(ctx) });
    if (!res.ok) throw new AmazonHttpError(res.status, null, null, true);
    const gz = Buffer.from(await res.arrayBuffer());
    try {
      return await gunzip(gz);
    } catch (err) {
      // a download cut short: the retry polls the report again and downloads it anew
      throw new TransientPlatformError(
        `the Amazon Ads report for ${what} arrived cut short or corrupted (${(err as Error).message})`,
        'amazon_ads',
        undefined,
        { cause: err },
      );
    }
  }

  /**
   * One report per window, the stream's job: created (or the one the cursor or this process names), polled by the
   * runtime, which hands a long wait to the state machine (cursor `report:<id>:<failures>`); a FAILED report is
   * requested again once. Then one page: the downloaded report (`done`).
   */
  const reportStream: Stream<AmazonCredential, ReportPlan, ReportState, Buffer> = {
    reportTypes: AMAZON_REPORT_TYPES.map((r) => r.id),
    plan: async (io, request) => {
      const report = amazonReport(request.reportType)!;
      const { account, window } = request;
      return {
        report,
        region: regionOf(account),
        what: `${report.id} ${window.start}..${window.end} of profile ${account.id}`,
        memoKey: JSON.stringify([io.ctx.rateBucket ?? '', account.id, report.id, window.start, window.end]),
      };
    },
    resume: (cursor) => {
      if (cursor === 'done') return null;
      const named = cursor ? /^report:([^:]+):(\d+)$/.exec(cursor) : null;
      if (cursor && !named) throw badCursor({ platform: 'amazon_ads' }, cursor);
      return named ? { named: { reportId: named[1]!, failures: Number(named[2]) } } : {};
    },
    job: {
      wanted: (st) => st.url === undefined,
      start: async (io, st, { ctx, request, plan: p }) => {
        const now = ctx.now ?? Date.now;
        const memo = requested.get(p.memoKey);
        const resumed = !st.named && memo && now() - memo.at < REMEMBER_REPORT_MS ? memo : undefined;
        const known = st.named ?? resumed;
        const job: ReportJob = known
          ? { reportId: known.reportId, failures: known.failures, fresh: false }
          : { reportId: await createReport(io.ctx, p.report, request, p.region, p.what), failures: 0, fresh: true };
        remember(ctx, p.memoKey, job);
        return job;
      },
      poll: async (io, job: ReportJob, { request, plan: p }) => {
        const s = await reportStatus(io.ctx, job.reportId, request, p.region, p.what);
        return s.status === 'COMPLETED' || s.status === 'FAILED' ? s : undefined;
      },
      polling: {
        maxPolls: inProcessPolls,
        delayMs: pollDelayMs,
        defer: { retryAfterMs: notReadyRetryAfterMs },
      },
      cursor: (job: ReportJob) => `report:${job.reportId}:${job.failures}`,
      fresh: (job: ReportJob) => job.fresh,
      describe: (_job, { plan: p }) => `the Amazon Ads report for ${p.what}`,
      again: async (io, job: ReportJob, status: ReportStatus, { ctx, request, plan: p }) => {
        if (status.status === 'COMPLETED') {
          if (typeof status.url !== 'string')
            throw new FatalConnectorError(
              `Amazon Ads completed the report for ${p.what} without a download URL`,
              'amazon_ads',
              'Amazon Ads returned an answer Tributary cannot read.',
            );
          return null;
        }
        const failures = job.failures + 1;
        const reason = status.failureReason ?? 'no reason given';
        if (failures >= MAX_REPORT_FAILURES) {
          throw new FatalConnectorError(
            `Amazon Ads could not generate the report for ${p.what}: ${reason}`,
            'amazon_ads',
            `Amazon Ads could not generate the ${p.report.name} report for ${request.window.start} to ${request.window.end} (${reason}). The next run asks again.`,
          );
        }
        ctx.logger.warn('report failed at Amazon; requesting it again', {
          platform: 'amazon_ads',
          reportId: job.reportId,
          what: p.what,
          reason,
        });
        const again: ReportJob = {
          reportId: await createReport(io.ctx, p.report, request, p.region, p.what),
          failures,
          fresh: true,
        };
        remember(ctx, p.memoKey, again);
        return again;
      },
      ready: (st, _job, status: ReportStatus) => ({ ...st, url: status.url! }),
    },
    request: (st, { ctx, plan: p }) => {
      const url = st.url;
      if (!url) return null;
      const what = `download the report for ${p.what}`;
      return { what, unbudgeted: true, send: () => download(ctx, url, p.what) };
    },
    paginate: (json, _st, { plan: p }) => {
      let parsed: unknown;
      try {
        parsed = parseAmazonJson(json.toString('utf8'));
      } catch (err) {
        throw new FatalConnectorError(
          `the Amazon Ads report for ${p.what} is not JSON: ${(err as Error).message}`,
          'amazon_ads',
          'Amazon Ads returned a report Tributary cannot read.',
          { cause: err },
        );
      }
      if (!Array.isArray(parsed))
        throw new FatalConnectorError(
          `the Amazon Ads report for ${p.what} is not a JSON array`,
          'amazon_ads',
          'Amazon Ads returned a report Tributary cannot read.',
        );
      requested.delete(p.memoKey);
      return { page: { body: parsed, raw: [json], cursor: 'done' }, next: null };
    },
    failed: (err, { plan: p }) => {
      // kept for a retry when the report may still serve (waiting, a failure worth retrying); else forgotten
      const resumable =
        err instanceof ReportNotReadyError ||
        err instanceof TransientPlatformError ||
        err instanceof RateLimitedError ||
        err instanceof ConnectorAuthError;
      if (!resumable) requested.delete(p.memoKey);
    },
  };

  function remember(ctx: ConnectorContext<AmazonCredential>, memoKey: string, job: ReportJob): void {
    if (requested.size >= 1_000) requested.clear(); // a bound, not a policy: a process runs a few dozen windows
    requested.set(memoKey, { reportId: job.reportId, failures: job.failures, at: (ctx.now ?? Date.now)() });
  }

  const connector: Connector<AmazonCredential> = declareConnector({
    platform: 'amazon_ads',
    displayName: 'Amazon Ads',
    apiVersion: AMAZON_REPORTING_API,
    auth: amazonOAuthSpec,
    credentialSchema: AmazonCredentialSchema,
    // Amazon publishes no fixed rate for Reporting v3: it throttles with 429 (Retry-After when it says how long),
    // most often for frequent polling. Five calls a second per credential stays clear of it.
    rateLimits: [{ limit: 5, intervalMs: 1_000 }],
    reportTypes: AMAZON_REPORT_TYPES,
    // reports are generated by Amazon side by side: each lane waits for its own, so a 90-day run of three
    // report types (nine reports) has all of them generating at once
    maxConcurrency: 9,
    // Reporting v3 refuses a report spanning more than 31 days
    windowDays: 31,
    // Amazon keeps report data about 95 days; months cannot say it, so the days are the bound (92: a margin for
    // the profile's time zone and Amazon's "about"), and the months only the coarse fallback
    dataRetentionDays: 92,
    dataRetentionMonths: 3,
    oauthApp: 'amazon',
    classifyError: classifyAmazonError,

    async validate(ctx) {
      await profiles(ctx, ctx.credential.region ?? 'NA');
    },

    async discover(ctx): Promise<Catalog> {
      return { accounts: await allProfiles(ctx), reportTypes: [...AMAZON_REPORT_TYPES] };
    },

    async catalogFor(ctx, accountId): Promise<Catalog> {
      return {
        accounts: (await allProfiles(ctx)).filter((a) => a.id === accountId),
        reportTypes: [...AMAZON_REPORT_TYPES],
      };
    },

    accessTokenExpiresAt: amazonAccessTokenExpiresAt,

    streams: [reportStream],

    normalize: (page, meta) => normalizeAmazonReport(page.body, meta),

    buildAuthorizeUrl: buildAmazonAuthorizeUrl,
    exchangeCode: (args) => exchangeAmazonCode(args),
    refresh: (ctx) => refreshAmazonToken(ctx),
  });
  return connector;
}

export const amazonAdsConnector = createAmazonAdsConnector();
