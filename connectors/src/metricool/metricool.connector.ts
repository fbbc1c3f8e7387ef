// Metricool (REST API v2, ../../../shared/PLATFORMS.md §7) with plain fetch: Metricool publishes no SDK.
// Auth is a static API token in `X-Mc-Auth` plus the account's `userId` (and `blogId` per brand) as query
// parameters; accounts are brands, listed from the settings endpoint with their time zone (and the currency of
// their ad accounts). Base-URL key read: `metricool` (default https://app.metricool.com).
//
// Requests: a date window returns everything (no cursor), so one window costs, per brand,
//   account_timeline_daily  one call per network and metric (timelines serve one metric a call)
//   posts_daily             one call per network (Instagram and Facebook: posts, reels and stories, three)
//   ad_campaigns_daily      one campaign list per ad network, then one timeline call per campaign (daily values)
// plus one settings call to learn which networks the brand has connected (reused for a few minutes).
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Platform } from '@tributary/shared/domain/platform';
import {
  ConnectorAuthError,
  PermissionDeniedError,
  type Catalog,
  type Connector,
  type ConnectorContext,
  type ConnectorError,
  type ExtractRequest,
  type PlatformRequest,
  type ReportTypeInfo,
  type Stream,
  type StreamIo,
} from '../contract';
import { callPlatform } from '../runtime/call';
import { badCursor, declareConnector } from '../runtime/streams';
import { classifyFailure, isNetworkError, parseRetryAfter } from '../runtime/classify';
import {
  normalizeMetricoolPage,
  type McAdNetwork,
  type McCampaignItem,
  type McNetwork,
  type McResponse,
  type McTimeline,
  type MetricoolPage,
} from './metricool-normalize';
import { withOffset } from './zone-time';

const PLATFORM: Platform = 'metricool';
export const METRICOOL_DEFAULT_BASE_URL = 'https://app.metricool.com';
/** The one place the API version is named: every path is under /api/v2. */
export const METRICOOL_API_VERSION = 'v2';
/** When Metricool says "slow down" without a Retry-After (it documents none): half a minute. */
const RATE_LIMIT_WAIT_MS = 30_000;
/** How long a brand list (which networks each brand has connected) is reused by extract. */
const BRAND_LIST_TTL_MS = 5 * 60_000;

export const MetricoolCredentialSchema = z.object({
  /** Settings → API in Metricool (Advanced plan or above); static until regenerated */
  api_token: z
    .string()
    .min(16)
    .max(200)
    .meta({ title: 'API token', description: 'In Metricool: Settings → API (Advanced plan or above)', secret: true }),
  /** the Metricool account's numeric user id, shown beside the token */
  user_id: z
    .string()
    .regex(/^\d{1,20}$/, 'a Metricool user id is a number')
    .meta({ title: 'User id', description: 'The number shown beside the API token in Settings → API' }),
});
export type MetricoolCredential = z.infer<typeof MetricoolCredentialSchema>;

const NETWORKS: readonly McNetwork[] = [
  'instagram',
  'facebook',
  'tiktok',
  'linkedin',
  'youtube',
  'pinterest',
  'threads',
  'bluesky',
];
const AD_NETWORKS: readonly McAdNetwork[] = ['facebookads', 'googleads', 'tiktokads'];
/** The brand object's field for each network: the settings endpoint does not use the analytics paths' names. */
const BRAND_FIELDS: Record<McNetwork | McAdNetwork, string> = {
  instagram: 'instagram',
  facebook: 'facebook',
  tiktok: 'tiktok',
  linkedin: 'linkedinCompany',
  youtube: 'youtube',
  pinterest: 'pinterest',
  threads: 'threads',
  bluesky: 'bluesky',
  facebookads: 'facebookAds',
  googleads: 'adwords',
  tiktokads: 'tiktokads',
};
/** Account metrics per network as Metricool names them: views where the network counts views, else impressions. */
export const TIMELINE_METRICS: Record<McNetwork, readonly string[]> = {
  instagram: ['followers', 'reach', 'views', 'engagement'],
  facebook: ['followers', 'reach', 'impressions', 'engagement'],
  tiktok: ['followers', 'views', 'engagement'],
  linkedin: ['followers', 'impressions', 'engagement'],
  youtube: ['subscribers', 'views', 'engagement'],
  pinterest: ['followers', 'impressions', 'engagement'],
  threads: ['followers', 'views', 'engagement'],
  bluesky: ['followers', 'engagement'],
};

/** Reels and stories are not among Instagram's and Facebook's posts: Metricool serves them on paths of their own. */
export const POST_COLLECTIONS: Record<McNetwork, readonly ('posts' | 'reels' | 'stories')[]> = {
  instagram: ['posts', 'reels', 'stories'],
  facebook: ['posts', 'reels', 'stories'],
  tiktok: ['posts'],
  linkedin: ['posts'],
  youtube: ['posts'],
  pinterest: ['posts'],
  threads: ['posts'],
  bluesky: ['posts'],
};

export const METRICOOL_REPORT_TYPES: readonly ReportTypeInfo[] = [
  // the last two days' reach, views and engagement are still being counted
  {
    id: 'account_timeline_daily',
    name: 'Account timelines by day and network',
    dimensions: ['date', 'network', 'native_platform'],
    metrics: ['impressions', 'followers', 'reach', 'engagement'],
    lookbackDays: 3,
  },
  // a post's lifetime numbers keep growing for about two weeks after it is published
  {
    id: 'posts_daily',
    name: 'Posts by publication day and network (lifetime metrics)',
    dimensions: ['date', 'network', 'native_platform', 'post_id', 'post_type'],
    metrics: ['impressions', 'reach', 'likes', 'comments', 'shares', 'saved', 'clicks', 'engagement'],
    lookbackDays: 14,
  },
  // conversions are restated over the ad platforms' attribution windows (7-day click at Meta and TikTok)
  {
    id: 'ad_campaigns_daily',
    name: 'Facebook Ads, Google Ads and TikTok Ads campaigns by day (Facebook and Google left out of cross-platform totals beside their native sources)',
    dimensions: ['date', 'network', 'campaign', 'native_platform'],
    metrics: ['cost', 'impressions', 'clicks', 'conversions', 'revenue'],
    lookbackDays: 7,
  },
];

/** What Metricool answered when it was not a 2xx with JSON. */
export class MetricoolHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly retryAfter: string | null,
  ) {
    super(`HTTP ${status}`);
    this.name = 'MetricoolHttpError';
  }
  /** Spring's `message` when the body is its JSON error, else the status line */
  get platformMessage(): string {
    try {
      const j = JSON.parse(this.body) as { message?: unknown; error?: unknown };
      if (typeof j.message === 'string' && j.message) return j.message;
      if (typeof j.error === 'string' && j.error) return j.error;
    } catch {
      /* an HTML page from the proxy */
    }
    return `HTTP ${this.status}`;
  }
}

/** A 200 whose body is not the JSON Metricool promises (cut off, or not `{"data":[…]}`). */
export class MetricoolMalformedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricoolMalformedError';
  }
}

export function classifyMetricoolError(err: unknown, nowMs: number): ConnectorError {
  if (err instanceof MetricoolHttpError) {
    const message = err.platformMessage;
    if (err.status === 401) {
      return new ConnectorAuthError(
        `Metricool rejected the API token: ${message}`,
        PLATFORM,
        `Metricool refused the API token (${message}). Copy a current API token and your user id from Metricool (Settings → API) into this credential.`,
        { cause: err },
      );
    }
    if (err.status === 429)
      return classifyFailure(PLATFORM, {
        status: 429,
        message,
        retryAfterMs: parseRetryAfter(err.retryAfter, nowMs) ?? RATE_LIMIT_WAIT_MS,
        cause: err,
      });
    return classifyFailure(PLATFORM, { status: err.status, message, cause: err });
  }
  if (err instanceof MetricoolMalformedError || err instanceof SyntaxError)
    return classifyFailure(PLATFORM, { message: `a malformed answer: ${err.message}`, kind: 'fatal', cause: err });
  if (isNetworkError(err)) return classifyFailure(PLATFORM, { message: (err as Error).message, cause: err });
  return classifyFailure(PLATFORM, {
    message: err instanceof Error ? err.message : String(err),
    kind: 'fatal',
    cause: err,
  });
}

interface McBrand {
  id: number | string;
  label?: string;
  timezone?: string;
  currency?: string | null;
  [field: string]: unknown;
}

/** `<step>.<done within the step>[.<last campaign id>]`, steps being the brand's networks in a fixed order */
interface McCursor {
  step: number;
  done: number;
  lastCampaign?: string;
}
function parseCursor(cursor: string | null): McCursor {
  const m = /^(\d+)\.(\d+)(?:\.(.+))?$/.exec(cursor ?? '0.0');
  if (!m) throw badCursor({ platform: PLATFORM }, cursor);
  return { step: Number(m[1]), done: Number(m[2]), ...(m[3] !== undefined ? { lastCampaign: m[3] } : {}) };
}
interface McPlan {
  brand: McBrand;
  blogId: string;
  zone: string;
  local: { from: string; to: string };
  cursor: McCursor;
  span: string;
}
interface TimelineState {
  networks: readonly McNetwork[];
  step: number;
  metric: number;
  responses: Record<string, McResponse<McTimeline>>;
}
interface PostsState {
  steps: readonly { network: McNetwork; collection: 'posts' | 'reels' | 'stories' }[];
  step: number;
}
interface CampaignsState {
  networks: readonly McAdNetwork[];
  step: number;
  campaigns: McCampaignItem[] | null;
  at: number;
}

export interface MetricoolOptions {
  callTimeoutMs?: number;
}

export function createMetricoolConnector(options: MetricoolOptions = {}): Connector<MetricoolCredential> {
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;

  /** One GET of /api/v2/<path>, the I/O only: the runtime budgets, classifies and retries it. */
  async function fetchJson<T>(
    ctx: ConnectorContext<MetricoolCredential>,
    what: string,
    path: string,
    query: Record<string, string>,
  ): Promise<McResponse<T>> {
    const base = (ctx.baseUrls.metricool ?? METRICOOL_DEFAULT_BASE_URL).replace(/\/+$/, '');
    const url = `${base}/api/${METRICOOL_API_VERSION}${path}?${new URLSearchParams({ ...query, userId: ctx.credential.user_id })}`;
    const timeout = AbortSignal.timeout(callTimeoutMs);
    const res = await fetch(url, {
      // Content-Type is required by Metricool even on a GET
      headers: {
        'X-Mc-Auth': ctx.credential.api_token,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      signal: ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout,
    });
    const text = await res.text();
    if (!res.ok) throw new MetricoolHttpError(res.status, text.slice(0, 2000), res.headers.get('retry-after'));
    const body = JSON.parse(text) as { data?: unknown };
    if (!body || typeof body !== 'object' || !Array.isArray(body.data))
      throw new MetricoolMalformedError(`${what} did not answer {"data":[…]}`);
    return body as McResponse<T>;
  }
  const get = <T>(
    ctx: ConnectorContext<MetricoolCredential>,
    what: string,
    path: string,
    query: Record<string, string>,
  ): Promise<McResponse<T>> => callPlatform(connector, ctx, what, () => fetchJson<T>(ctx, what, path, query));

  // Each extract needs the brand's connected networks. Windows of one run often land on the same warm worker,
  // so the brand list is kept a few minutes per credential (keyed by a hash of the token, never the token):
  // one settings call a run instead of one per report. validate and discover always ask Metricool.
  const brandCache = new Map<string, { atMs: number; brands: McBrand[] }>();
  const cacheKey = (ctx: ConnectorContext<MetricoolCredential>) =>
    createHash('sha256')
      .update(`${ctx.baseUrls.metricool ?? ''}|${ctx.credential.user_id}|${ctx.credential.api_token}`)
      .digest('base64url');
  const brands = async (ctx: ConnectorContext<MetricoolCredential>) => {
    const list = (await get<McBrand>(ctx, 'list brands', '/settings/brands', {})).data;
    if (brandCache.size >= 1_000) brandCache.clear(); // a bound, not a policy
    brandCache.set(cacheKey(ctx), { atMs: Date.now(), brands: list });
    return list;
  };
  const knownBrands = async (ctx: ConnectorContext<MetricoolCredential>) => {
    const hit = brandCache.get(cacheKey(ctx));
    return hit && Date.now() - hit.atMs < BRAND_LIST_TTL_MS ? hit.brands : brands(ctx);
  };
  const connected = (brand: McBrand, network: McNetwork | McAdNetwork) => {
    const v = brand[BRAND_FIELDS[network]];
    return v !== null && v !== undefined && v !== '' && v !== false;
  };

  /** Once per extract: the brand (its connected networks and zone) and the window in the forms Metricool takes. */
  async function plan(io: StreamIo<MetricoolCredential>, request: ExtractRequest): Promise<McPlan> {
    const { account, window } = request;
    const brand = (await knownBrands(io.ctx)).find((b) => String(b.id) === account.id);
    if (!brand)
      throw new PermissionDeniedError(
        `brand ${account.id} is not among the Metricool user's brands`,
        PLATFORM,
        `The Metricool login no longer sees the brand ${account.name}. Share the brand with this user in Metricool, or pick another brand.`,
      );
    const zone = brand.timezone ?? account.timeZone;
    // posts and campaigns take local times; timelines take them with the brand's offset and its zone
    const local = { from: `${window.start}T00:00:00`, to: `${window.end}T23:59:59` };
    const cursor = parseCursor(request.resumeCursor ?? null);
    return { brand, blogId: String(brand.id), zone, local, cursor, span: `${window.start}..${window.end}` };
  }
  /** One GET of the stream's: the runtime sends it (budgeted, classified). */
  const getRequest = <T>(
    ctx: ConnectorContext<MetricoolCredential>,
    what: string,
    path: string,
    query: Record<string, string>,
  ): PlatformRequest<McResponse<T>> => ({ what, send: () => fetchJson<T>(ctx, what, path, query) });

  // account_timeline_daily: one page per connected network, of one call per metric (timelines serve one metric)
  const timelineStream: Stream<MetricoolCredential, McPlan, TimelineState, McResponse<McTimeline>> = {
    reportTypes: ['account_timeline_daily'],
    plan,
    resume: (_cursor, { plan: p }) => {
      const networks = NETWORKS.filter((n) => connected(p.brand, n));
      return { networks, step: p.cursor.step, metric: 0, responses: {} };
    },
    request: (st, { ctx, plan: p }) => {
      const network = st.networks[st.step];
      if (!network) return null;
      const metric = TIMELINE_METRICS[network][st.metric]!;
      const span = { from: withOffset(p.zone, p.local.from), to: withOffset(p.zone, p.local.to), timezone: p.zone };
      return getRequest<McTimeline>(ctx, `${network} ${metric} ${p.span}`, '/analytics/timelines', {
        ...span,
        network,
        subject: 'account',
        metric,
        blogId: p.blogId,
      });
    },
    paginate: (res, st) => {
      const network = st.networks[st.step]!;
      const metrics = TIMELINE_METRICS[network];
      const responses = { ...st.responses, [metrics[st.metric]!]: res };
      if (st.metric + 1 < metrics.length) return { next: { ...st, metric: st.metric + 1, responses } };
      const body: MetricoolPage = { kind: 'account_timeline', network, responses };
      return {
        page: { body, cursor: `${st.step + 1}.0` },
        next: { ...st, step: st.step + 1, metric: 0, responses: {} },
      };
    },
  };

  // posts_daily: one call and one page per connected network and collection (posts, reels, stories)
  const postsStream: Stream<MetricoolCredential, McPlan, PostsState, McResponse<Record<string, unknown>>> = {
    reportTypes: ['posts_daily'],
    plan,
    resume: (_cursor, { plan: p }) => ({
      steps: NETWORKS.filter((n) => connected(p.brand, n)).flatMap((network) =>
        POST_COLLECTIONS[network].map((collection) => ({ network, collection })),
      ),
      step: p.cursor.step,
    }),
    request: (st, { ctx, plan: p }) => {
      const step = st.steps[st.step];
      if (!step) return null;
      const { network, collection } = step;
      return getRequest(ctx, `${network} ${collection} ${p.span}`, `/analytics/${collection}/${network}`, {
        ...p.local,
        blogId: p.blogId,
      });
    },
    paginate: (response, st) => {
      const { network, collection } = st.steps[st.step]!;
      const body: MetricoolPage = { kind: 'posts', network, collection, response };
      return { page: { body, cursor: `${st.step + 1}.0` }, next: { ...st, step: st.step + 1 } };
    },
  };

  // ad_campaigns_daily: per ad network, its campaign list, then one page (one timeline call) per campaign
  const campaignsStream: Stream<MetricoolCredential, McPlan, CampaignsState, McResponse<unknown>> = {
    reportTypes: ['ad_campaigns_daily'],
    plan,
    resume: (_cursor, { plan: p }) => ({
      networks: AD_NETWORKS.filter((n) => connected(p.brand, n)),
      step: p.cursor.step,
      campaigns: null,
      at: 0,
    }),
    request: (st, { ctx, plan: p }) => {
      const network = st.networks[st.step];
      if (!network) return null;
      const q = { ...p.local, blogId: p.blogId };
      if (!st.campaigns) return getRequest(ctx, `${network} campaigns ${p.span}`, `/analytics/campaigns/${network}`, q);
      const campaign = st.campaigns[st.at]!;
      return getRequest(
        ctx,
        `${network} campaign ${campaign.id} ${p.span}`,
        `/analytics/campaigns/${encodeURIComponent(String(campaign.id))}/timelines`,
        { network, ...q },
      );
    },
    paginate: (res, st, { plan: p }) => {
      const network = st.networks[st.step]!;
      const nextNetwork = { ...st, step: st.step + 1, campaigns: null, at: 0 };
      if (!st.campaigns) {
        const campaigns = res.data as McCampaignItem[];
        // a campaign is one page: resuming lists the campaigns again and goes on after the last one loaded (by
        // id: a campaign that started delivering since may have joined the list)
        let at = 0;
        const { step, done, lastCampaign } = p.cursor;
        if (st.step === step && done > 0) {
          const i = lastCampaign === undefined ? -1 : campaigns.findIndex((c) => String(c.id) === lastCampaign);
          at = i >= 0 ? i + 1 : done;
        }
        return { next: at < campaigns.length ? { ...st, campaigns, at } : nextNetwork };
      }
      const campaign = st.campaigns[st.at]!;
      const body: MetricoolPage = {
        kind: 'ad_campaign',
        network,
        campaign,
        response: res as McResponse<McTimeline>,
      };
      const more = st.at + 1 < st.campaigns.length;
      return {
        page: { body, cursor: more ? `${st.step}.${st.at + 1}.${campaign.id}` : `${st.step + 1}.0` },
        next: more ? { ...st, at: st.at + 1 } : nextNetwork,
      };
    },
  };

  const connector: Connector<MetricoolCredential> = declareConnector({
    platform: PLATFORM,
    displayName: 'Metricool',
    // Metricool's paths carry v2 and it has announced no end for it (help.metricool.com,
    // app.metricool.com/api/swagger.json: v2.0.0)
    apiVersion: {
      version: METRICOOL_API_VERSION,
      sunset: null,
      source: 'no end announced by Metricool (swagger 2.0.0; the legacy /stats API is the deprecated one)',
    },
    auth: { kind: 'api_key', fields: ['api_token', 'user_id'] },
    credentialSchema: MetricoolCredentialSchema,
    // Metricool publishes no rate limit and no rate-limit headers: a conservative budget of our own, per
    // credential (a 90-day backfill of a brand with every network is ~60 calls), and backoff on 429 and 5xx.
    rateLimits: [
      { limit: 2, intervalMs: 1_000 },
      { limit: 1_800, intervalMs: 3_600_000 },
    ],
    reportTypes: METRICOOL_REPORT_TYPES,
    maxConcurrency: 2,
    // a date window returns everything at once: a quarter per window keeps a 90-day backfill to one set of calls
    windowDays: 92,
    // Metricool keeps what it collected since each network was connected (earlier days are simply absent);
    // five years bounds a backfill to what a brand can plausibly have
    dataRetentionMonths: 60,
    classifyError: (err, at) => classifyMetricoolError(err, at.nowMs),

    async validate(ctx) {
      await brands(ctx);
    },

    async discover(ctx): Promise<Catalog> {
      const accounts = (await brands(ctx)).map((b) => ({
        id: String(b.id),
        name: b.label ?? String(b.id),
        // social numbers have no currency (ISO 4217's XXX); ad spend has the brand's ad accounts' currency
        currency: typeof b.currency === 'string' && /^[A-Z]{3}$/.test(b.currency) ? b.currency : 'XXX',
        timeZone: b.timezone ?? 'UTC',
      }));
      return { accounts, reportTypes: [...METRICOOL_REPORT_TYPES] };
    },

    streams: [timelineStream, postsStream, campaignsStream],

    normalize: normalizeMetricoolPage,
  });
  return connector;
}

export const metricoolConnector = createMetricoolConnector();
