// The Amazon Ads sandbox: Login with Amazon, the advertising profiles of three regions and Reporting v3, on
// one local origin, from one seed (PLATFORMS.md §6). Each region's API host is a path prefix here
// (/na, /eu, /fe stand for advertising-api.amazon.com, -eu, -fe), each region's LWA token host /lwa/<region>,
// and the report downloads a presigned "S3" path that refuses any Amazon header.
//
// The demo login sees four profiles in three regions and four currencies and time zones. Each ad product
// (Sponsored Products, Brands, Display) is a world of its own whose attributed purchases and sales settle over
// its attribution window (7, 14, 14 days): recent days restate, as Amazon's do. Ids are JSON numbers of 15 and
// 16 digits (the Sponsored Brands ones are past 2^53, so a float parse changes them). A report stays
// PENDING/PROCESSING for `pendingPolls` status reads, then is COMPLETED with a download URL.
//
// Truth (GET /__sandbox/truth):
//   ?profile=<id>&reportType=sp_campaign_daily|sb_campaign_daily|sd_campaign_daily&from=…&to=…[&groupBy=date|campaign|day_campaign]
// returns exact decimal strings of what a report over that range serves at the current data version.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { AdWorld, type WorldAccount, type WorldCampaign } from '../base/ad-world';
import { addDays, daysBetween, isDay, type SandboxToday } from '../base/days';
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
import { AmazonFaultSchema, type AmazonFault, type AmazonFaultInput } from './amazon-faults';
import { LwaTokenAuthority, type AmazonDemoClient } from './amazon-lwa';

export const AMAZON_DEMO_CLIENT: AmazonDemoClient = {
  clientId: 'amzn1.application-oa2-client.sandbox0000000000000000',
  clientSecret: 'sandbox-lwa-secret',
};
/** The fixed "today" tests and benches use. */
export const AMAZON_SANDBOX_DEFAULT_TODAY = '2026-11-23';
/** Amazon keeps report data about 95 days: a report starting earlier is refused. */
export const AMAZON_RETENTION_DAYS = 95;
const MAX_REPORT_DAYS = 31;

type Region = 'na' | 'eu' | 'fe';

interface SandboxProfile {
  profileId: string;
  region: Region;
  countryCode: string;
  currency: string;
  exponent: number;
  timeZone: string;
  name: string;
  marketplace: string;
  type: 'seller' | 'vendor';
  campaigns: number;
}

export const AMAZON_SANDBOX_PROFILES: readonly SandboxProfile[] = [
  {
    profileId: '3572424178543413',
    region: 'na',
    countryCode: 'US',
    currency: 'USD',
    exponent: 2,
    timeZone: 'America/Los_Angeles',
    name: 'Northwind Outdoor',
    marketplace: 'ATVPDKIKX0DER',
    type: 'seller',
    campaigns: 9,
  },
  {
    profileId: '1962487512649821',
    region: 'eu',
    countryCode: 'ES',
    currency: 'EUR',
    exponent: 2,
    timeZone: 'Europe/Madrid',
    name: 'Tienda Norte',
    marketplace: 'A1RKKUPIHCS9HS',
    type: 'seller',
    campaigns: 7,
  },
  {
    profileId: '2849310046127735',
    region: 'eu',
    countryCode: 'UK',
    currency: 'GBP',
    exponent: 2,
    timeZone: 'Europe/London',
    name: 'Harbour & Co',
    marketplace: 'A1F83G8C2ARO7P',
    type: 'vendor',
    campaigns: 5,
  },
  {
    profileId: '4278691537802415',
    region: 'fe',
    countryCode: 'JP',
    currency: 'JPY',
    exponent: 0,
    timeZone: 'Asia/Tokyo',
    name: 'Sakura Select',
    marketplace: 'A1VC38T7YXB528',
    type: 'seller',
    campaigns: 6,
  },
];

interface ProductSpec {
  reportType: string;
  adProduct: string;
  reportTypeId: string;
  settleDays: number;
  purchases: string;
  sales: string;
  units: string;
  idPrefix: string;
}

/** The three campaign reports, as Reporting v3 names their columns. */
const PRODUCTS: readonly ProductSpec[] = [
  {
    reportType: 'sp_campaign_daily',
    adProduct: 'SPONSORED_PRODUCTS',
    reportTypeId: 'spCampaigns',
    settleDays: 7,
    purchases: 'purchases7d',
    sales: 'sales7d',
    units: 'unitsSoldClicks7d',
    idPrefix: '1',
  },
  // 16-digit ids past 2^53: a client that parses them as floats gets other campaigns
  {
    reportType: 'sb_campaign_daily',
    adProduct: 'SPONSORED_BRANDS',
    reportTypeId: 'sbCampaigns',
    settleDays: 14,
    purchases: 'purchases',
    sales: 'sales',
    units: 'unitsSold',
    idPrefix: '98',
  },
  {
    reportType: 'sd_campaign_daily',
    adProduct: 'SPONSORED_DISPLAY',
    reportTypeId: 'sdCampaigns',
    settleDays: 14,
    purchases: 'purchases',
    sales: 'sales',
    units: 'unitsSold',
    idPrefix: '2',
  },
];
const COMMON_COLUMNS = new Set([
  'date',
  'campaignId',
  'campaignName',
  'campaignStatus',
  'campaignBudgetAmount',
  'campaignBudgetCurrencyCode',
  'impressions',
  'clicks',
  'cost',
]);

export interface AmazonSandboxOptions {
  seed?: string;
  today?: SandboxToday;
  anchor?: string;
  /** status reads a report answers PENDING/PROCESSING before it is COMPLETED */
  pendingPolls?: number;
  faults?: AmazonFaultInput[];
  port?: number;
  /** the bench's larger accounts: campaigns per profile and product */
  campaignsPerProfile?: number;
}

export interface AmazonSandbox extends RunningSandbox {
  tokens: LwaTokenAuthority;
  /** a refresh token of the demo user, as if connected earlier */
  demoRefreshToken: string;
  profiles: readonly SandboxProfile[];
  worlds: Record<string, AdWorld>;
}

interface Report {
  id: string;
  profile: SandboxProfile;
  product: ProductSpec;
  start: string;
  end: string;
  columns: string[];
  key: string;
  pollsLeft: number;
  status: 'PENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
  failureReason: string | null;
  createdAt: string;
  signature: string;
  /** the data version at generation: what the file holds */
  version: number;
}

class AmazonFaults extends FaultBoard<AmazonFault> {
  constructor(private readonly tokens: LwaTokenAuthority) {
    super();
  }
  // token faults act at once on what has been issued
  override arm(fault: AmazonFault): void {
    if (fault.kind === 'expired_token') this.tokens.expireAll();
    else if (fault.kind === 'revoked') this.tokens.revokeAll();
    else super.arm(fault);
  }
}

/** A campaign's numbers on one day as a report row, in integers of minor units and counts. */
interface CampaignDay {
  day: string;
  campaign: WorldCampaign;
  impressions: number;
  clicks: number;
  costMinor: number;
  purchases: number;
  salesMinor: number;
  units: number;
}

function campaignDays(world: AdWorld, account: WorldAccount, start: string, end: string): CampaignDay[] {
  const out = new Map<string, CampaignDay>();
  for (const d of world.deliveries(account.id, start, end)) {
    const key = `${d.day}|${d.campaign.id}`;
    let row = out.get(key);
    if (!row)
      out.set(
        key,
        (row = {
          day: d.day,
          campaign: d.campaign,
          impressions: 0,
          clicks: 0,
          costMinor: 0,
          purchases: 0,
          salesMinor: 0,
          units: 0,
        }),
      );
    row.impressions += d.m.impressions;
    row.clicks += d.m.clicks;
    row.costMinor += d.m.costMinor;
    // Amazon counts whole purchases; the world's hundredths of a conversion settle into them
    const purchases = Math.floor(d.m.conversionsCentis / 100);
    row.purchases += purchases;
    row.salesMinor += d.m.conversionValueMinor;
    row.units += purchases + Math.floor(purchases / 4);
  }
  return [...out.values()];
}

export function amazonWorlds(
  seed: string,
  today: SandboxToday,
  o: { anchor?: string; campaignsPerProfile?: number } = {},
): Record<string, AdWorld> {
  return Object.fromEntries(
    PRODUCTS.map((p) => [
      p.reportType,
      new AdWorld({
        seed: `${seed}-${p.reportType}`,
        today,
        ...(o.anchor ? { anchor: o.anchor } : {}),
        settleDays: p.settleDays,
        adGroupsPerCampaign: 1,
        adsPerAdGroup: 1,
        accounts: AMAZON_SANDBOX_PROFILES.map((pr) => ({
          id: pr.profileId,
          name: pr.name,
          currency: pr.currency,
          currencyExponent: pr.exponent,
          timeZone: pr.timeZone,
          campaigns: o.campaignsPerProfile ?? pr.campaigns,
        })),
        ids: {
          // 15 digits (16 for Sponsored Brands), unique per profile and product
          campaign: (a, n) => `${p.idPrefix}${a.id.slice(-6)}${String(n * 7919 + 100_000).padStart(8, '0')}`,
          adGroup: (c, n) => `${c}${n}`,
          ad: (g, n) => `${g}${n}`,
        },
      }),
    ]),
  );
}

/** JSON with the named id fields written as bare numbers, as Amazon writes them (never through a JS number). */
function jsonWithNumericIds(value: unknown): string {
  return JSON.stringify(value).replace(/"(profileId|campaignId)":"(\d+)"/g, '"$1":$2');
}

export function amazonSandboxPlatform(options: AmazonSandboxOptions = {}) {
  const seed = options.seed ?? 'tributary-amazon';
  const worlds = amazonWorlds(seed, options.today ?? AMAZON_SANDBOX_DEFAULT_TODAY, {
    ...(options.anchor ? { anchor: options.anchor } : {}),
    ...(options.campaignsPerProfile ? { campaignsPerProfile: options.campaignsPerProfile } : {}),
  });
  const anyWorld = worlds.sp_campaign_daily!;
  const pendingPolls = options.pendingPolls ?? 2;
  const tokens = new LwaTokenAuthority(AMAZON_DEMO_CLIENT);
  const faults = new AmazonFaults(tokens);
  for (const f of options.faults ?? []) faults.arm(AmazonFaultSchema.parse(f));
  const reports = new Map<string, Report>();
  const signingKey = randomBytes(16);
  let origin = '';

  const targets = (t: string) => (f: { target: string }) => f.target === 'any' || f.target === t;
  const v3Error = (status: number, detail: string, headers?: Record<string, string>): SandboxReply => ({
    status,
    json: { code: String(status), detail },
    ...(headers ? { headers } : {}),
  });

  /** faults that hit any request of a kind: rate limit, server error, timeout */
  const injected = (target: string, v2: boolean): SandboxReply | null => {
    const rate = faults.take('rate_limit', targets(target));
    if (rate) {
      const headers: Record<string, string> =
        rate.retryAfterSeconds === null ? {} : { 'retry-after': String(rate.retryAfterSeconds) };
      return v2
        ? { status: 429, json: { code: 'TOO_MANY_REQUESTS', details: 'Too Many Requests' }, headers }
        : v3Error(429, 'Too Many Requests', headers);
    }
    const server = faults.take('server_error', targets(target));
    if (server)
      return v2
        ? { status: server.status, json: { code: 'SERVER_IS_BUSY', details: 'Internal server error' } }
        : v3Error(server.status, 'Internal Server Error');
    const timeout = faults.take('timeout', targets(target));
    if (timeout) return { hangMs: timeout.hangMs };
    return null;
  };

  /** auth, client id and faults; then the scope, when the route needs one. Returns the profile or an answer. */
  const gate = (
    req: SandboxRequest,
    region: Region,
    target: string,
    needsScope: boolean,
    v2 = false,
  ): SandboxReply | SandboxProfile | null => {
    const err = (status: number, code: string, detail: string) =>
      v2 ? { status, json: { code, details: detail } } : v3Error(status, detail);
    const auth = tokens.check(req.headers.authorization);
    if (auth === 'missing') return err(401, 'UNAUTHORIZED', 'Not authenticated: the Authorization header is missing');
    if (auth !== 'ok')
      return err(
        401,
        'UNAUTHORIZED',
        auth === 'expired' ? 'The access token has expired' : 'The access token is invalid or revoked',
      );
    if (req.headers['amazon-advertising-api-clientid'] !== AMAZON_DEMO_CLIENT.clientId)
      return err(
        400,
        'INVALID_ARGUMENT',
        'Amazon-Advertising-API-ClientId is missing or does not match the access token',
      );
    const hit = injected(target, v2);
    if (hit) return hit;
    if (!needsScope) return null;
    const scope = req.headers['amazon-advertising-api-scope'];
    const profile = AMAZON_SANDBOX_PROFILES.find((p) => p.profileId === scope && p.region === region);
    if (!profile)
      return err(
        403,
        'UNAUTHORIZED',
        `Not authorized to access scope ${typeof scope === 'string' ? scope : '(none)'} in this region`,
      );
    if (faults.peek('permission_denied', (f) => f.profileId === undefined || f.profileId === profile.profileId)) {
      return err(
        403,
        'UNAUTHORIZED',
        `Not authorized to access scope ${profile.profileId}: the advertiser removed this login's access`,
      );
    }
    return profile;
  };
  const isReply = (x: unknown): x is SandboxReply =>
    x !== null && typeof x === 'object' && !('profileId' in (x as object));

  const reportJson = (r: Report) => ({
    reportId: r.id,
    name: `report ${r.id}`,
    status: r.status,
    startDate: r.start,
    endDate: r.end,
    configuration: {
      adProduct: r.product.adProduct,
      reportTypeId: r.product.reportTypeId,
      groupBy: ['campaign'],
      columns: r.columns,
      timeUnit: 'DAILY',
      format: 'GZIP_JSON',
    },
    createdAt: r.createdAt,
    updatedAt: new Date().toISOString(),
    generatedAt: r.status === 'COMPLETED' ? new Date().toISOString() : null,
    url:
      r.status === 'COMPLETED'
        ? `${origin}/s3/offline-report-storage/${r.id}.json.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=${r.signature}`
        : null,
    urlExpiresAt: r.status === 'COMPLETED' ? new Date(Date.now() + 3600_000).toISOString() : null,
    fileSize: null,
    failureReason: r.failureReason,
  });

  const rowsOf = (r: Report): Record<string, unknown>[] => {
    const world = worlds[r.product.reportType]!;
    const account = world.account(r.profile.profileId)!;
    const saved = world.version;
    world.version = r.version;
    try {
      return campaignDays(world, account, r.start, r.end).map((c) => {
        const full: Record<string, unknown> = {
          date: c.day,
          campaignId: c.campaign.id,
          campaignName: c.campaign.name,
          campaignStatus: c.campaign.status,
          campaignBudgetAmount: Number(formatScaled(c.campaign.dailyBudgetMinor, r.profile.exponent)),
          campaignBudgetCurrencyCode: r.profile.currency,
          impressions: c.impressions,
          clicks: c.clicks,
          cost: Number(formatScaled(c.costMinor, r.profile.exponent)),
          [r.product.purchases]: c.purchases,
          [r.product.sales]: Number(formatScaled(c.salesMinor, r.profile.exponent)),
          [r.product.units]: c.units,
        };
        return Object.fromEntries(r.columns.map((col) => [col, full[col] ?? null]));
      });
    } finally {
      world.version = saved;
    }
  };

  const routes: SandboxRoute[] = [
    ...tokens.routes((req) => injected('token', true)),
    {
      name: 'profiles',
      method: 'GET',
      path: /^\/(na|eu|fe)\/v2\/profiles$/,
      handle: (req) => {
        const region = req.params[0] as Region;
        const g = gate(req, region, 'profiles', false, true);
        if (g) return g as SandboxReply;
        const list = AMAZON_SANDBOX_PROFILES.filter((p) => p.region === region).map((p) => ({
          profileId: p.profileId,
          countryCode: p.countryCode,
          currencyCode: p.currency,
          dailyBudget: 999_999_999,
          timezone: p.timeZone,
          accountInfo: {
            marketplaceStringId: p.marketplace,
            id: `A${p.profileId.slice(0, 12)}X`,
            type: p.type,
            name: p.name,
            validPaymentMethod: true,
          },
        }));
        return { status: 200, text: jsonWithNumericIds(list), contentType: 'application/json' };
      },
    },
    {
      name: 'reports.create',
      method: 'POST',
      path: /^\/(na|eu|fe)\/reporting\/reports$/,
      handle: (req) => {
        const g = gate(req, req.params[0] as Region, 'create', true);
        if (isReply(g)) return g;
        const profile = g as SandboxProfile;
        if (!String(req.headers['content-type'] ?? '').startsWith('application/vnd.createasyncreportrequest.v3+json')) {
          return v3Error(415, 'Content-Type must be application/vnd.createasyncreportrequest.v3+json');
        }
        const body = req.body as
          | {
              startDate?: unknown;
              endDate?: unknown;
              configuration?: {
                adProduct?: unknown;
                reportTypeId?: unknown;
                groupBy?: unknown;
                columns?: unknown;
                timeUnit?: unknown;
                format?: unknown;
              };
            }
          | undefined;
        const c = body?.configuration;
        const product = PRODUCTS.find((p) => p.adProduct === c?.adProduct && p.reportTypeId === c?.reportTypeId);
        if (!product)
          return v3Error(400, `Invalid adProduct/reportTypeId: ${String(c?.adProduct)}/${String(c?.reportTypeId)}`);
        if (!Array.isArray(c?.groupBy) || c.groupBy.join() !== 'campaign')
          return v3Error(
            400,
            `configuration groupBy ${JSON.stringify(c?.groupBy)} is not supported by this sandbox (campaign only)`,
          );
        if (c.timeUnit !== 'DAILY' || c.format !== 'GZIP_JSON')
          return v3Error(400, 'configuration timeUnit must be DAILY or SUMMARY and format GZIP_JSON');
        const columns = Array.isArray(c.columns) ? c.columns.map(String) : [];
        const known = new Set([...COMMON_COLUMNS, product.purchases, product.sales, product.units]);
        const unknown = columns.filter((col) => !known.has(col));
        if (unknown.length)
          return v3Error(
            400,
            `configuration columns [${unknown.join(', ')}] are invalid for reportTypeId ${product.reportTypeId}`,
          );
        if (!columns.includes('date')) return v3Error(400, 'timeUnit DAILY requires the date column');
        const start = String(body?.startDate ?? '');
        const end = String(body?.endDate ?? '');
        if (!isDay(start) || !isDay(end) || end < start)
          return v3Error(400, `Invalid startDate/endDate: ${start}/${end}`);
        if (daysBetween(start, end) + 1 > MAX_REPORT_DAYS)
          return v3Error(400, `The date range ${start} to ${end} exceeds the maximum of ${MAX_REPORT_DAYS} days`);
        const today = anyWorld.today;
        if (start < addDays(today, -AMAZON_RETENTION_DAYS))
          return v3Error(
            400,
            `startDate ${start} is out of the data retention period: reports can start at most ${AMAZON_RETENTION_DAYS} days ago`,
          );
        // a profile east of UTC may already be a day ahead of the sandbox's today
        if (end > addDays(today, 1)) return v3Error(400, `endDate ${end} is in the future`);
        const key = JSON.stringify([profile.profileId, product.reportTypeId, start, end, columns]);
        const running = [...reports.values()].find(
          (r) => r.key === key && (r.status === 'PENDING' || r.status === 'PROCESSING'),
        );
        if (running) return v3Error(425, `The Request is a duplicate of : ${running.id}`);
        const id = randomUUID();
        const slow = faults.take('slow_report');
        const r: Report = {
          id,
          profile,
          product,
          start,
          end,
          columns,
          key,
          pollsLeft: pendingPolls + (slow?.extraPolls ?? 0),
          status: 'PENDING',
          failureReason: null,
          createdAt: new Date().toISOString(),
          signature: createHmac('sha256', signingKey).update(id).digest('hex'),
          version: worlds[product.reportType]!.version,
        };
        reports.set(id, r);
        return { status: 200, json: reportJson(r) };
      },
    },
    {
      name: 'reports.get',
      method: 'GET',
      path: /^\/(na|eu|fe)\/reporting\/reports\/([^/]+)$/,
      handle: (req) => {
        const g = gate(req, req.params[0] as Region, 'poll', true);
        if (isReply(g)) return g;
        const r = reports.get(req.params[1]!);
        if (!r || r.profile.profileId !== (g as SandboxProfile).profileId)
          return v3Error(404, `Report ${req.params[1]} not found`);
        if (r.status === 'PENDING' || r.status === 'PROCESSING') {
          if (r.pollsLeft > 0) {
            r.pollsLeft--;
            r.status = 'PROCESSING';
          } else if (faults.take('report_failed')) {
            r.status = 'FAILED';
            r.failureReason = 'Report generation failed due to an internal error. Please retry.';
          } else {
            r.status = 'COMPLETED';
            // generated now: the numbers as they stand at this moment
            r.version = worlds[r.product.reportType]!.version;
          }
        }
        return { status: 200, json: reportJson(r) };
      },
    },
    {
      name: 'reports.download',
      method: 'GET',
      path: /^\/s3\/offline-report-storage\/([^/]+)\.json\.gz$/,
      handle: (req) => {
        const s3Error = (status: number, code: string, message: string): SandboxReply => ({
          status,
          text: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
          contentType: 'application/xml',
        });
        // S3 refuses a second auth mechanism beside the presigned query (PLATFORMS.md §6 "Download")
        if (
          req.headers.authorization ||
          Object.keys(req.headers).some((h) => h.startsWith('amazon-advertising-api-'))
        ) {
          return s3Error(
            400,
            'InvalidArgument',
            'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
          );
        }
        const r = reports.get(req.params[0]!);
        if (!r || r.status !== 'COMPLETED' || req.url.searchParams.get('X-Amz-Signature') !== r.signature)
          return s3Error(
            403,
            'SignatureDoesNotMatch',
            'The request signature we calculated does not match the signature you provided.',
          );
        const hit = injected('download', false);
        if (hit)
          return 'hangMs' in hit
            ? hit
            : s3Error(
                (hit as { status: number }).status === 429 ? 503 : (hit as { status: number }).status,
                'SlowDown',
                'Please reduce your request rate.',
              );
        const text = jsonWithNumericIds(rowsOf(r));
        const malformed = faults.take('malformed_report');
        let file = gzipSync(malformed?.mode === 'json' ? text.slice(0, Math.floor(text.length / 2)) : text);
        if (malformed?.mode === 'gzip') file = file.subarray(0, Math.floor(file.length / 2));
        return {
          write: (res) =>
            void res
              .writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(file.length) })
              .end(file),
        };
      },
    },
  ];

  const platform: SandboxPlatform<AmazonFault> = {
    name: 'amazon',
    faults,
    faultSchema: AmazonFaultSchema as never,
    routes,
    advance(steps) {
      for (const w of Object.values(worlds)) w.version += steps;
      return anyWorld.version;
    },
    truth(q) {
      const from = q.get('from') ?? '';
      const to = q.get('to') ?? '';
      if (!isDay(from) || !isDay(to)) throw new Error('from and to (YYYY-MM-DD) are required');
      const product = PRODUCTS.find((p) => p.reportType === q.get('reportType'));
      if (!product) throw new Error(`reportType is one of ${PRODUCTS.map((p) => p.reportType).join(', ')}`);
      const profile = AMAZON_SANDBOX_PROFILES.find((p) => p.profileId === q.get('profile'));
      if (!profile) throw new Error('unknown profile');
      const groupBy = q.get('groupBy');
      if (groupBy && !['date', 'campaign', 'day_campaign'].includes(groupBy))
        throw new Error('groupBy is date, campaign or day_campaign');
      const world = worlds[product.reportType]!;
      const groups = new Map<
        string,
        { rows: number; impressions: bigint; clicks: bigint; cost: bigint; purchases: bigint; sales: bigint }
      >();
      for (const c of campaignDays(world, world.account(profile.profileId)!, from, to)) {
        const key =
          groupBy === 'date'
            ? c.day
            : groupBy === 'campaign'
              ? c.campaign.id
              : groupBy === 'day_campaign'
                ? `${c.day}|${c.campaign.id}`
                : 'total';
        const g = groups.get(key) ?? { rows: 0, impressions: 0n, clicks: 0n, cost: 0n, purchases: 0n, sales: 0n };
        g.rows++;
        g.impressions += BigInt(c.impressions);
        g.clicks += BigInt(c.clicks);
        g.cost += BigInt(c.costMinor);
        g.purchases += BigInt(c.purchases);
        g.sales += BigInt(c.salesMinor);
        groups.set(key, g);
      }
      const render = (g: {
        rows: number;
        impressions: bigint;
        clicks: bigint;
        cost: bigint;
        purchases: bigint;
        sales: bigint;
      }) => ({
        rows: g.rows,
        impressions: g.impressions.toString(),
        clicks: g.clicks.toString(),
        cost: formatScaled(g.cost, profile.exponent),
        purchases: g.purchases.toString(),
        sales: formatScaled(g.sales, profile.exponent),
        currency: profile.currency,
      });
      if (!groupBy)
        return render(
          groups.get('total') ?? { rows: 0, impressions: 0n, clicks: 0n, cost: 0n, purchases: 0n, sales: 0n },
        );
      return { groups: Object.fromEntries([...groups].map(([k, g]) => [k, render(g)])) };
    },
  };
  return { platform, tokens, worlds, setOrigin: (url: string) => void (origin = url) };
}

export async function startAmazonSandbox(options: AmazonSandboxOptions = {}): Promise<AmazonSandbox> {
  const { platform, tokens, worlds, setOrigin } = amazonSandboxPlatform(options);
  const running = await startSandbox(platform, { port: options.port ?? 0 });
  setOrigin(running.url);
  return {
    ...running,
    tokens,
    worlds,
    profiles: AMAZON_SANDBOX_PROFILES,
    demoRefreshToken: tokens.issueRefreshToken(),
  };
}

/** The connector's base URLs for a running sandbox: each region's API and token host is a path prefix. */
export function amazonSandboxBaseUrls(url: string): Record<string, string> {
  return {
    amazon_ads_na: `${url}/na`,
    amazon_ads_eu: `${url}/eu`,
    amazon_ads_fe: `${url}/fe`,
    amazon_lwa_na: `${url}/lwa/na`,
    amazon_lwa_eu: `${url}/lwa/eu`,
    amazon_lwa_fe: `${url}/lwa/fe`,
    amazon_lwa_authorize: url,
  };
}
