// A local stand-in for Metricool's REST API v2 (../../../../shared/PLATFORMS.md §7): brands from the settings
// endpoint, account timelines (one metric a call), posts by network, and ad campaigns with their daily timelines.
//
// Wire details it reproduces:
//   - auth is the `X-Mc-Auth` header plus `userId` (and `blogId`) query parameters; `Authorization: Bearer`
//     alone is refused with 401; `Content-Type: application/json` is required, GET included;
//   - a missing `blogId` is 400, a brand of another user 403; errors are Spring's
//   {timestamp,status,error,message,path};
//   - every answer is `{"data":[…]}`; a date window returns everything (no cursor);
//   - timelines take `from`/`to` with the brand's offset and a `timezone`, and answer local midnights with the
//     offset (`2026-01-01T00:00:00+0100`), newest first; posts take local times without an offset;
//   - TikTok posts carry their publication time in UTC, the other networks in the brand's time zone;
//   - Instagram's and Facebook's reels and stories are not among the posts: /reels/… and /stories/… serve them;
//   - settings name networks differently from the analytics paths (`linkedinCompany`, `adwords`, `facebookAds`);
//   - Meta and TikTok campaign ids do not fit a double: they are strings; Metricool's own campaign id is a number;
//   - no rate-limit headers; a 429 carries Retry-After only when the fault says so.
// Truth (GET /__sandbox/truth?report=account_timeline_daily|posts_daily|ad_campaigns_daily&brand=<id>&from&to):
// exact sums per day and network (and campaign), at the current data version.
import * as z from 'zod';
import { isDay, type SandboxToday } from '../base/days';
import { FaultBoard } from '../base/faults';
import { formatScaled } from '../base/scaled';
import {
  startSandbox,
  type RunningSandbox,
  type SandboxPlatform,
  type SandboxReply,
  type SandboxRequest,
  type SandboxRoute,
} from '../base/sandbox-server';
import { sandboxService } from '../base/sandbox-service';
import { sandboxSettings } from '../sandbox-settings';
import { localToEpoch, localAt, offsetMinutes, formatOffset } from '../../metricool/zone-time';
import {
  BRAND_KEYS,
  MC_AD_NETWORKS,
  MC_NETWORKS,
  MetricoolWorld,
  POST_COLLECTIONS,
  POST_SHAPES,
  TIMELINE_METRICS,
  postCollection,
  type BrandSpec,
  type McAdNetwork,
  type McBrand,
  type McNetwork,
  type McPostCollection,
} from './metricool-world';

/** The demo login: not a secret anywhere (the sandbox accepts it until a fault says otherwise). */
export const METRICOOL_DEMO_TOKEN = 'MCSANDBOXDEMOTOKEN0000000000000000000000000000000000000000000001';
export const METRICOOL_DEMO_USER_ID = '9001337';
/** The fixed "today" tests and benches use, and the anchor of the local runner's calendar-following world. */
export const METRICOOL_SANDBOX_TODAY = '2026-11-23';

const ROUTE_NAMES = ['brands', 'timelines', 'posts', 'campaigns', 'campaign_timelines'] as const;
const target = z.enum(['any', ...ROUTE_NAMES]).default('any');
const times = z.number().int().positive().optional();

export const MetricoolFaultSchema = z.discriminatedUnion('kind', [
  /** 429 Too Many Requests; Retry-After (seconds) only when given: Metricool documents none */
  z.object({ kind: z.literal('rate_limit'), target, times, retryAfterSeconds: z.number().int().min(0).optional() }),
  /** a 5xx; 502 and 503 come from the proxy as an HTML page, 500 as Spring's JSON */
  z.object({
    kind: z.literal('server_error'),
    target,
    times,
    status: z.union([z.literal(500), z.literal(502), z.literal(503)]).default(502),
  }),
  /** the connection stays open for hangMs, then is cut without an answer */
  z.object({ kind: z.literal('timeout'), target, times, hangMs: z.number().int().positive().default(30_000) }),
  /** the API token was regenerated or revoked: 401 on every call */
  z.object({ kind: z.literal('bad_token'), times }),
  /** the brand is no longer shared with this user: 403 on its calls (`brand` omitted: every brand) */
  z.object({ kind: z.literal('brand_forbidden'), brand: z.number().int().optional(), times }),
  /** the answer is cut off mid-JSON after `skip` matching answers */
  z.object({ kind: z.literal('malformed_page'), target, times, skip: z.number().int().min(0).default(0) }),
]);
export type MetricoolFault = z.output<typeof MetricoolFaultSchema>;
export type MetricoolFaultInput = z.input<typeof MetricoolFaultSchema>;
type RouteName = (typeof ROUTE_NAMES)[number];

export interface MetricoolSandboxOptions {
  seed?: string;
  today?: SandboxToday;
  anchor?: string;
  brands?: BrandSpec[];
  campaignsPerAccount?: number;
  faults?: MetricoolFaultInput[];
  port?: number;
  /** API tokens accepted for the demo user besides METRICOOL_DEMO_TOKEN (a test's canary secret) */
  extraTokens?: readonly string[];
}

export interface MetricoolSandbox extends RunningSandbox {
  world: MetricoolWorld;
  demoToken: string;
  userId: string;
}

class HttpFailure extends Error {
  constructor(readonly reply: SandboxReply) {
    super('sandbox failure');
  }
}

function springError(req: SandboxRequest, status: number, error: string, message: string): HttpFailure {
  return new HttpFailure({
    status,
    json: { timestamp: new Date(0).toISOString(), status, error, message, path: req.url.pathname },
  });
}

export function metricoolSandboxPlatform(options: MetricoolSandboxOptions = {}) {
  const world = new MetricoolWorld({
    seed: options.seed ?? 'tributary-metricool',
    today: options.today ?? METRICOOL_SANDBOX_TODAY,
    ...(options.anchor ? { anchor: options.anchor } : {}),
    userId: Number(METRICOOL_DEMO_USER_ID),
    ...(options.brands ? { brands: options.brands } : {}),
    ...(options.campaignsPerAccount ? { campaignsPerAccount: options.campaignsPerAccount } : {}),
  });
  const faults = new FaultBoard<MetricoolFault>();
  for (const f of options.faults ?? []) faults.arm(MetricoolFaultSchema.parse(f));

  /** What every call goes through, in the platform's order: the network, the token, the headers, the brand. */
  function guard(req: SandboxRequest, route: RouteName, needsBrand: boolean): McBrand | undefined {
    const hits = (f: { target: string }) => f.target === 'any' || f.target === route;
    const hang = faults.take('timeout', hits);
    if (hang) throw new HttpFailure({ hangMs: hang.hangMs });
    const failure = faults.take('server_error', hits);
    if (failure) {
      if (failure.status === 500) throw springError(req, 500, 'Internal Server Error', 'Unexpected error');
      throw new HttpFailure({
        status: failure.status,
        text: `<html><body><h1>${failure.status} ${failure.status === 502 ? 'Bad Gateway' : 'Service Unavailable'}</h1></body></html>`,
        contentType: 'text/html',
      });
    }
    const limited = faults.take('rate_limit', hits);
    if (limited) {
      throw new HttpFailure({
        status: 429,
        json: {
          timestamp: new Date(0).toISOString(),
          status: 429,
          error: 'Too Many Requests',
          message: 'Too many requests',
          path: req.url.pathname,
        },
        headers: limited.retryAfterSeconds !== undefined ? { 'retry-after': String(limited.retryAfterSeconds) } : {},
      });
    }
    const token = req.headers['x-mc-auth'];
    if (typeof token !== 'string' || token.length === 0)
      throw springError(
        req,
        401,
        'Unauthorized',
        req.headers.authorization ? 'Bearer tokens are not accepted: send X-Mc-Auth' : 'Missing X-Mc-Auth header',
      );
    if ((token !== METRICOOL_DEMO_TOKEN && !options.extraTokens?.includes(token)) || faults.take('bad_token'))
      throw springError(req, 401, 'Unauthorized', 'Invalid token');
    if (req.url.searchParams.get('userId') !== String(world.userId))
      throw springError(req, 401, 'Unauthorized', 'The token does not belong to this userId');
    if (!String(req.headers['content-type'] ?? '').includes('application/json'))
      throw springError(req, 400, 'Bad Request', 'Content-Type application/json is required');
    if (!needsBrand) return undefined;
    const blogId = req.url.searchParams.get('blogId');
    if (!blogId) throw springError(req, 400, 'Bad Request', 'Required parameter blogId is missing');
    const brand = world.brand(blogId);
    if (!brand) throw springError(req, 403, 'Forbidden', `Brand ${blogId} is not accessible`);
    if (faults.take('brand_forbidden', (f) => f.brand === undefined || f.brand === brand.id))
      throw springError(req, 403, 'Forbidden', `Brand ${blogId} is not accessible`);
    return brand;
  }

  function answer(route: RouteName, json: unknown): SandboxReply {
    const cut = faults.peek('malformed_page', (f) => f.target === 'any' || f.target === route);
    if (cut) {
      if (cut.skip > 0) cut.skip -= 1;
      else {
        faults.take('malformed_page', (f) => f === cut);
        const text = JSON.stringify(json);
        return {
          status: 200,
          text: text.slice(0, Math.max(1, Math.floor(text.length / 2))),
          contentType: 'application/json',
        };
      }
    }
    return { status: 200, json };
  }

  const handled =
    (route: RouteName, needsBrand: boolean, fn: (req: SandboxRequest, brand: McBrand) => unknown) =>
    (req: SandboxRequest): SandboxReply => {
      try {
        const brand = guard(req, route, needsBrand);
        return answer(route, fn(req, brand!));
      } catch (err) {
        if (err instanceof HttpFailure) return err.reply;
        throw err;
      }
    };

  const localDay = (req: SandboxRequest, name: 'from' | 'to'): string => {
    const v = req.url.searchParams.get(name) ?? '';
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(v) || !isDay(v.slice(0, 10)))
      throw springError(req, 400, 'Bad Request', `Parameter ${name} must be a date-time (yyyy-MM-ddTHH:mm:ss)`);
    return v.slice(0, 10);
  };

  const routes: SandboxRoute[] = [
    {
      name: 'brands',
      method: 'GET',
      path: /^\/api\/v2\/settings\/brands$/,
      handle: handled('brands', false, () => ({ data: world.brands.map((b) => brandJson(world, b)) })),
    },
    {
      name: 'timelines',
      method: 'GET',
      path: /^\/api\/v2\/analytics\/timelines$/,
      handle: handled('timelines', true, (req, brand) => {
        const q = req.url.searchParams;
        const network = q.get('network') as McNetwork;
        const metric = q.get('metric') ?? '';
        const from = localDay(req, 'from');
        const to = localDay(req, 'to');
        if (q.get('subject') !== 'account')
          throw springError(req, 400, 'Bad Request', 'Only subject=account is served by this sandbox');
        if (!MC_NETWORKS.includes(network)) throw springError(req, 400, 'Bad Request', `Unknown network ${network}`);
        if (!world.hasNetwork(brand, network))
          throw springError(req, 400, 'Bad Request', `Network ${network} is not connected to brand ${brand.id}`);
        if (!TIMELINE_METRICS[network].includes(metric))
          throw springError(req, 400, 'Bad Request', `Unknown metric ${metric} for network ${network}`);
        const timezone = q.get('timezone') ?? brand.timezone;
        const values = [];
        // newest first, as Metricool's timelines come
        for (const day of world.days(from, to).reverse()) {
          const value = world.timelineValue(brand, network, metric, day);
          if (value === null) continue;
          const local = `${day}T00:00:00`;
          values.push({
            dateTime: `${local}${formatOffset(offsetMinutes(timezone, localToEpoch(timezone, local)))}`,
            value,
          });
        }
        return { data: [{ metric, values }] };
      }),
    },
    {
      // posts, and Instagram's and Facebook's reels and stories, each on its own path
      name: 'posts',
      method: 'GET',
      path: /^\/api\/v2\/analytics\/(posts|reels|stories)\/([a-z]+)$/,
      handle: handled('posts', true, (req, brand) => {
        const collection = req.params[0] as McPostCollection;
        const network = req.params[1] as McNetwork;
        const fromRaw = req.url.searchParams.get('from') ?? '';
        const toRaw = req.url.searchParams.get('to') ?? '';
        const from = localDay(req, 'from');
        const to = localDay(req, 'to');
        if (!MC_NETWORKS.includes(network) || !POST_COLLECTIONS[network].includes(collection))
          throw springError(req, 404, 'Not Found', `No ${collection} endpoint for ${network}`);
        if (!world.hasNetwork(brand, network)) return { data: [] };
        const shape = POST_SHAPES[network];
        const data = [];
        for (const day of world.days(from, to)) {
          for (const post of world.postsOn(brand, network, day)) {
            if (postCollection(post.type) !== collection) continue;
            if (post.localDateTime < fromRaw.slice(0, 19) || post.localDateTime > toRaw.slice(0, 19)) continue;
            // TikTok's publication time is UTC; the other networks' the brand's
            const publishedAt =
              network === 'tiktok'
                ? { dateTime: localAt('UTC', localToEpoch(brand.timezone, post.localDateTime)), timezone: 'UTC' }
                : { dateTime: post.localDateTime, timezone: brand.timezone };
            data.push({
              [shape.idField]: post.id,
              type: post.type,
              publishedAt,
              url: `https://${network}.example/${encodeURIComponent(post.id)}`,
              text: post.text,
              ...world.postMetrics(post),
            });
          }
        }
        return { data };
      }),
    },
    {
      name: 'campaign_timelines',
      method: 'GET',
      path: /^\/api\/v2\/analytics\/campaigns\/(\d+)\/timelines$/,
      handle: handled('campaign_timelines', true, (req, brand) => {
        const network = req.url.searchParams.get('network') as McAdNetwork;
        if (!MC_AD_NETWORKS.includes(network))
          throw springError(req, 400, 'Bad Request', 'Parameter network must be facebookads, googleads or tiktokads');
        const campaign = world.campaigns(brand, network).find((c) => String(c.id) === req.params[0]);
        if (!campaign) throw springError(req, 404, 'Not Found', `Campaign ${req.params[0]} not found`);
        const from = localDay(req, 'from');
        const to = localDay(req, 'to');
        const exp = brand.currencyExponent;
        const series: Record<string, { dateTime: string; value: number }[]> = {
          spent: [],
          impressions: [],
          clicks: [],
          conversions: [],
          conversionValue: [],
        };
        for (const day of world.days(from, to)) {
          const m = world.campaignDay(brand, network, campaign.providerCampaignId, day);
          if (!m) continue;
          const dateTime = `${day}T00:00:00${formatOffset(offsetMinutes(brand.timezone, localToEpoch(brand.timezone, `${day}T00:00:00`)))}`;
          series.spent!.push({ dateTime, value: Number(formatScaled(m.costMinor, exp)) });
          series.impressions!.push({ dateTime, value: m.impressions });
          series.clicks!.push({ dateTime, value: m.clicks });
          series.conversions!.push({ dateTime, value: Number(formatScaled(m.conversionsCentis, 2)) });
          series.conversionValue!.push({ dateTime, value: Number(formatScaled(m.conversionValueMinor, exp)) });
        }
        return { data: Object.entries(series).map(([metric, values]) => ({ metric, values })) };
      }),
    },
    {
      name: 'campaigns',
      method: 'GET',
      path: /^\/api\/v2\/analytics\/campaigns\/([a-z]+)$/,
      handle: handled('campaigns', true, (req, brand) => {
        const network = req.params[0] as McAdNetwork;
        if (!MC_AD_NETWORKS.includes(network))
          throw springError(req, 404, 'Not Found', `No campaigns endpoint for ${network}`);
        const from = localDay(req, 'from');
        const to = localDay(req, 'to');
        const exp = brand.currencyExponent;
        const data = [];
        for (const c of world.campaigns(brand, network)) {
          const t = { impressions: 0, clicks: 0, costMinor: 0, conversionsCentis: 0, conversionValueMinor: 0, days: 0 };
          for (const day of world.days(from, to)) {
            const m = world.campaignDay(brand, network, c.providerCampaignId, day);
            if (!m) continue;
            t.days++;
            t.impressions += m.impressions;
            t.clicks += m.clicks;
            t.costMinor += m.costMinor;
            t.conversionsCentis += m.conversionsCentis;
            t.conversionValueMinor += m.conversionValueMinor;
          }
          if (t.days === 0) continue;
          const spent = Number(formatScaled(t.costMinor, exp));
          data.push({
            id: c.id,
            providerCampaignId: c.providerCampaignId,
            name: c.name,
            objective: c.objective,
            status: c.status,
            currency: brand.currency,
            spent,
            impressions: t.impressions,
            clicks: t.clicks,
            conversions: Number(formatScaled(t.conversionsCentis, 2)),
            conversionValue: Number(formatScaled(t.conversionValueMinor, exp)),
            cpm: t.impressions ? Math.round((spent * 1000 * 100) / t.impressions) / 100 : 0,
            cpc: t.clicks ? Math.round((spent * 100) / t.clicks) / 100 : 0,
            ctr: t.impressions ? Math.round((t.clicks * 10_000) / t.impressions) / 100 : 0,
          });
        }
        return { data };
      }),
    },
  ];

  const platform: SandboxPlatform<MetricoolFault> = {
    name: 'metricool',
    faults,
    faultSchema: MetricoolFaultSchema as never,
    routes,
    advance(steps) {
      world.version += steps;
      return world.version;
    },
    truth: (q) => truth(world, q),
  };
  return { platform, world };
}

function brandJson(world: MetricoolWorld, b: McBrand): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: b.id,
    userId: world.userId,
    label: b.label,
    url: b.url,
    title: b.label,
    timezone: b.timezone,
    currency: b.currency,
  };
  for (const n of MC_NETWORKS) json[BRAND_KEYS[n]] = b.networks.find((x) => x.network === n)?.handle ?? null;
  for (const n of MC_AD_NETWORKS) json[BRAND_KEYS[n]] = b.adNetworks.find((x) => x.network === n)?.accountId ?? null;
  return json;
}

type Sums = Record<string, bigint>;

function truth(world: MetricoolWorld, q: URLSearchParams): unknown {
  const from = q.get('from') ?? '';
  const to = q.get('to') ?? '';
  if (!isDay(from) || !isDay(to)) throw new Error('from and to (YYYY-MM-DD) are required');
  const brand = world.brand(q.get('brand'));
  if (!brand) throw new Error('unknown brand');
  const rows = new Map<string, Sums>();
  const add = (key: string, values: Record<string, number>) => {
    const s = rows.get(key) ?? {};
    for (const [k, v] of Object.entries(values)) s[k] = (s[k] ?? 0n) + BigInt(v);
    rows.set(key, s);
  };
  const report = q.get('report');
  if (report === 'account_timeline_daily') {
    for (const n of brand.networks) {
      for (const day of world.days(from, to)) {
        const values: Record<string, number> = {};
        for (const metric of TIMELINE_METRICS[n.network]) {
          const v = world.timelineValue(brand, n.network, metric, day);
          if (v === null) continue;
          const name = metric === 'subscribers' ? 'followers' : metric === 'views' ? 'impressions' : metric;
          values[name] = v;
        }
        if (Object.keys(values).length) add(`${day}|${n.network}`, values);
      }
    }
    return { rows: render(rows, () => ({})) };
  }
  if (report === 'posts_daily') {
    for (const n of brand.networks) {
      for (const day of world.days(from, to)) {
        for (const post of world.postsOn(brand, n.network, day)) {
          const m = world.postMetrics(post);
          add(`${day}|${n.network}`, {
            posts: 1,
            impressions: m.views ?? m.impressions ?? 0,
            engagement: m.engagement!,
          });
        }
      }
    }
    return { rows: render(rows, () => ({})) };
  }
  if (report === 'ad_campaigns_daily') {
    const exp = brand.currencyExponent;
    for (const a of brand.adNetworks) {
      for (const c of world.campaigns(brand, a.network)) {
        for (const day of world.days(from, to)) {
          const m = world.campaignDay(brand, a.network, c.providerCampaignId, day);
          if (m)
            add(`${day}|${a.network}|${c.providerCampaignId}`, {
              impressions: m.impressions,
              clicks: m.clicks,
              costMinor: m.costMinor,
              conversionsCentis: m.conversionsCentis,
              conversionValueMinor: m.conversionValueMinor,
            });
        }
      }
    }
    return {
      rows: Object.fromEntries(
        [...rows]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, s]) => [
            k,
            {
              impressions: String(s.impressions),
              clicks: String(s.clicks),
              cost: formatScaled(s.costMinor!, exp),
              conversions: formatScaled(s.conversionsCentis!, 2),
              revenue: formatScaled(s.conversionValueMinor!, exp),
              currency: brand.currency,
            },
          ]),
      ),
    };
  }
  throw new Error('report is account_timeline_daily, posts_daily or ad_campaigns_daily');
}

function render(rows: Map<string, Sums>, extra: () => Record<string, string>): Record<string, Record<string, string>> {
  return Object.fromEntries(
    [...rows]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, s]) => [
        k,
        { ...Object.fromEntries(Object.entries(s).map(([m, v]) => [m, v.toString()])), ...extra() },
      ]),
  );
}

export async function startMetricoolSandbox(options: MetricoolSandboxOptions = {}): Promise<MetricoolSandbox> {
  const { platform, world } = metricoolSandboxPlatform(options);
  const running = await startSandbox(platform, { port: options.port ?? 0 });
  return { ...running, world, demoToken: METRICOOL_DEMO_TOKEN, userId: METRICOOL_DEMO_USER_ID };
}

/** `npm start`: the sandbox on port 4107, under `sandboxes.metricool` in local.json; its days follow the calendar. */
export const metricoolSandboxService = sandboxService({
  key: 'metricool',
  baseUrlKeys: ['metricool'],
  defaultPort: 4107,
  start: (port) =>
    startMetricoolSandbox({
      port,
      today: () => new Date().toISOString().slice(0, 10),
      anchor: METRICOOL_SANDBOX_TODAY,
      faults: parseStartFaults(sandboxSettings('metricool').faults),
    }),
});

/** Faults armed at start, as a JSON array in TRIBUTARY_SANDBOX_METRICOOL_FAULTS (the control endpoint's shapes). */
function parseStartFaults(raw: string | undefined): MetricoolFaultInput[] {
  if (!raw) return [];
  const parsed = z.array(MetricoolFaultSchema).safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new Error(
      `TRIBUTARY_SANDBOX_METRICOOL_FAULTS is not a list of Metricool sandbox faults: ${parsed.error.message}`,
    );
  return parsed.data;
}
