// The Google platform sandbox: OAuth, Google Ads and GA4 on one local origin, from one seed.
// The demo login sees three Ads customers (EUR/Madrid, USD/New York, JPY/Tokyo) and two GA4 properties.
// Truth (GET /__sandbox/truth):
//   ?api=google_ads&account=<cid>&from=YYYY-MM-DD&to=YYYY-MM-DD[&campaign=<id>][&groupBy=date|campaign]
//   ?api=ga4&property=<id>&from=…&to=…[&campaign=<sessionCampaignId>][&groupBy=date|campaign]
// returns exact decimal strings of what the APIs serve at the current data version.
import { AdWorld } from '../base/ad-world';
import { isDay, type SandboxToday } from '../base/days';
import { FaultBoard } from '../base/faults';
import { formatScaled } from '../base/scaled';
import { startSandbox, type RunningSandbox, type SandboxPlatform } from '../base/sandbox-server';
import { sandboxService } from '../base/sandbox-service';
import { aggregateGa4, ga4Routes, Ga4World } from './ga4-service';
import { costMicros, googleAdsRoutes } from './google-ads-service';
import { GoogleFaultSchema, type GoogleFault, type GoogleFaultInput } from './google-faults';
import { GoogleTokenAuthority, type DemoOAuthClient } from './google-oauth';
import { sandboxSettings } from '../sandbox-settings';

export const GOOGLE_DEMO_CLIENT: DemoOAuthClient = {
  clientId: 'sandbox-client.apps.googleusercontent.com',
  clientSecret: 'sandbox-client-secret',
};
export const GOOGLE_DEMO_DEVELOPER_TOKEN = 'sandbox-developer-token';

export interface GoogleSandboxOptions {
  seed?: string;
  /** the last day with data, in every account; a function follows the calendar (default: SANDBOX_DEFAULT_TODAY) */
  today?: SandboxToday;
  /** the day the worlds' shape is fixed to (campaign starts, paused campaigns' stop); default: the first today */
  anchor?: string;
  /** rows per searchStream batch (Google: up to 10,000) */
  adsBatchSize?: number;
  /**
   * the Google Ads accounts' size (default 2 ad groups per campaign, 2 ads per ad group): benches ask for larger ones
   */
  adGroupsPerCampaign?: number;
  adsPerAdGroup?: number;
  faults?: GoogleFaultInput[];
  port?: number;
}

export interface GoogleSandbox extends RunningSandbox {
  tokens: GoogleTokenAuthority;
  ads: AdWorld;
  ga4: Ga4World;
  /** a refresh token of the demo user with both scopes, as if connected earlier */
  demoRefreshToken: string;
}

class GoogleFaults extends FaultBoard<GoogleFault> {
  constructor(private readonly tokens: GoogleTokenAuthority) {
    super();
  }
  // token faults act at once on what has been issued, rather than waiting in the board
  override arm(fault: GoogleFault): void {
    if (fault.kind === 'expired_token') this.tokens.expireAll();
    else if (fault.kind === 'revoked') this.tokens.revokeAll();
    else super.arm(fault);
  }
}

export function googleWorlds(
  seed: string,
  today: SandboxToday,
  size: Pick<GoogleSandboxOptions, 'adGroupsPerCampaign' | 'adsPerAdGroup' | 'anchor'> = {},
) {
  const ads = new AdWorld({
    seed,
    today,
    ...(size.anchor ? { anchor: size.anchor } : {}),
    settleDays: 3,
    ...(size.adGroupsPerCampaign ? { adGroupsPerCampaign: size.adGroupsPerCampaign } : {}),
    ...(size.adsPerAdGroup ? { adsPerAdGroup: size.adsPerAdGroup } : {}),
    accounts: [
      {
        id: '1234567890',
        name: 'Tienda Norte (ES)',
        currency: 'EUR',
        currencyExponent: 2,
        timeZone: 'Europe/Madrid',
        campaigns: 18,
      },
      {
        id: '2345678901',
        name: 'Northwind Outdoor (US)',
        currency: 'USD',
        currencyExponent: 2,
        timeZone: 'America/New_York',
        campaigns: 14,
      },
      {
        id: '3456789012',
        name: 'Sakura Select (JP)',
        currency: 'JPY',
        currencyExponent: 0,
        timeZone: 'Asia/Tokyo',
        campaigns: 10,
      },
    ],
    ids: {
      campaign: (a, n) => `${a.id.slice(0, 2)}${String(20_000_000 + n * 7919)}`,
      adGroup: (c, n) => `${c}${n + 1}`,
      ad: (g, n) => `${g}0${n + 1}`,
    },
  });
  const ga4 = new Ga4World(
    seed,
    [
      {
        id: '312345678',
        name: 'tiendanorte.es – GA4',
        accountId: '98765001',
        accountName: 'Tienda Norte',
        currency: 'EUR',
        currencyExponent: 2,
        timeZone: 'Europe/Madrid',
      },
      {
        id: '398765432',
        name: 'northwind.com – GA4',
        accountId: '98765002',
        accountName: 'Northwind',
        currency: 'USD',
        currencyExponent: 2,
        timeZone: 'America/Los_Angeles',
      },
    ],
    today,
  );
  return { ads, ga4 };
}

export function googleSandboxPlatform(options: GoogleSandboxOptions = {}) {
  const seed = options.seed ?? 'tributary-google';
  const { ads, ga4 } = googleWorlds(seed, options.today ?? SANDBOX_DEFAULT_TODAY, options);
  const tokens = new GoogleTokenAuthority(GOOGLE_DEMO_CLIENT);
  const faults = new GoogleFaults(tokens);
  for (const f of options.faults ?? []) faults.arm(GoogleFaultSchema.parse(f));

  const platform: SandboxPlatform<GoogleFault> = {
    name: 'google',
    faults,
    faultSchema: GoogleFaultSchema as never,
    routes: [
      ...tokens.routes(),
      ...googleAdsRoutes({ world: ads, tokens, faults, batchSize: options.adsBatchSize ?? 10_000 }),
      ...ga4Routes({ world: ga4, tokens, faults }),
    ],
    advance(steps) {
      ads.version += steps;
      ga4.version += steps;
      return ads.version;
    },
    truth(q) {
      const from = q.get('from') ?? '';
      const to = q.get('to') ?? '';
      if (!isDay(from) || !isDay(to)) throw new Error('from and to (YYYY-MM-DD) are required');
      const campaign = q.get('campaign');
      const groupBy = q.get('groupBy');
      if (groupBy && groupBy !== 'date' && groupBy !== 'campaign') throw new Error('groupBy is date or campaign');
      if (q.get('api') === 'google_ads') {
        const account = ads.account(q.get('account') ?? '');
        if (!account) throw new Error('unknown account');
        const groups = new Map<
          string,
          { rows: number; impressions: bigint; clicks: bigint; costMinor: bigint; conv: bigint; value: bigint }
        >();
        const campaignDays = new Set<string>();
        for (const d of ads.deliveries(account.id, from, to)) {
          if (campaign && d.campaign.id !== campaign) continue;
          const key = groupBy === 'date' ? d.day : groupBy === 'campaign' ? d.campaign.id : 'total';
          const g = groups.get(key) ?? { rows: 0, impressions: 0n, clicks: 0n, costMinor: 0n, conv: 0n, value: 0n };
          const cd = `${d.day}|${d.campaign.id}`;
          if (!campaignDays.has(cd)) {
            campaignDays.add(cd);
            g.rows++;
          }
          g.impressions += BigInt(d.m.impressions);
          g.clicks += BigInt(d.m.clicks);
          g.costMinor += BigInt(d.m.costMinor);
          g.conv += BigInt(d.m.conversionsCentis);
          g.value += BigInt(d.m.conversionValueMinor);
          groups.set(key, g);
        }
        const render = (g: NonNullable<ReturnType<typeof groups.get>>) => ({
          campaignDays: g.rows,
          impressions: g.impressions.toString(),
          clicks: g.clicks.toString(),
          costMicros: costMicros(account, g.costMinor).toString(),
          cost: formatScaled(g.costMinor, account.currencyExponent),
          conversions: formatScaled(g.conv, 2),
          conversionsValue: formatScaled(g.value, account.currencyExponent),
          currency: account.currency,
        });
        if (!groupBy)
          return render(
            groups.get('total') ?? { rows: 0, impressions: 0n, clicks: 0n, costMinor: 0n, conv: 0n, value: 0n },
          );
        return { groups: Object.fromEntries([...groups].map(([k, g]) => [k, render(g)])) };
      }
      if (q.get('api') === 'ga4') {
        const property = ga4.property(q.get('property') ?? '');
        if (!property) throw new Error('unknown property');
        const groups = new Map<
          string,
          { sessions: number; totalUsers: number; newUsers: number; keyEvents: number; revenue: bigint }
        >();
        for (const g of aggregateGa4(ga4, property, from, to, ['date', 'sessionCampaignId'])) {
          if (campaign && g.channel.campaignId !== campaign) continue;
          const key = groupBy === 'date' ? g.day : groupBy === 'campaign' ? g.channel.campaignId : 'total';
          const acc = groups.get(key) ?? { sessions: 0, totalUsers: 0, newUsers: 0, keyEvents: 0, revenue: 0n };
          acc.sessions += g.t.sessions;
          acc.totalUsers += g.t.totalUsers;
          acc.newUsers += g.t.newUsers;
          acc.keyEvents += g.t.keyEvents;
          acc.revenue += BigInt(g.t.purchaseRevenueMinor);
          groups.set(key, acc);
        }
        const render = (g: NonNullable<ReturnType<typeof groups.get>>) => ({
          sessions: String(g.sessions),
          totalUsers: String(g.totalUsers),
          newUsers: String(g.newUsers),
          keyEvents: String(g.keyEvents),
          purchaseRevenue: formatScaled(g.revenue, property.currencyExponent),
          currency: property.currency,
        });
        if (!groupBy)
          return render(groups.get('total') ?? { sessions: 0, totalUsers: 0, newUsers: 0, keyEvents: 0, revenue: 0n });
        return { groups: Object.fromEntries([...groups].map(([k, g]) => [k, render(g)])) };
      }
      throw new Error('api is google_ads or ga4');
    },
  };
  return { platform, tokens, ads, ga4 };
}

export async function startGoogleSandbox(options: GoogleSandboxOptions = {}): Promise<GoogleSandbox> {
  const { platform, tokens, ads, ga4 } = googleSandboxPlatform(options);
  const running = await startSandbox(platform, { port: options.port ?? 0 });
  return { ...running, tokens, ads, ga4, demoRefreshToken: tokens.issueRefreshToken() };
}

/** `npm start`: the sandbox on port 4101, under `sandboxes.google` in local.json. */
/** The fixed "today" tests and benches use, and the shape anchor of the local runner's calendar-following world. */
export const SANDBOX_DEFAULT_TODAY = '2026-11-23';

export const googleSandboxService = sandboxService({
  key: 'google',
  baseUrlKeys: ['google_ads', 'google_oauth_authorize', 'google_oauth_token', 'ga4_data', 'ga4_admin'],
  defaultPort: 4101,
  // the laptop trial's platform keeps time with the calendar (new days arrive, the last ones settle), on a
  // world whose past does not change between restarts
  start: (port) =>
    startGoogleSandbox({
      port,
      today: () => new Date().toISOString().slice(0, 10),
      anchor: SANDBOX_DEFAULT_TODAY,
      faults: parseStartFaults(sandboxSettings('google').faults),
    }),
  env: {
    TRIBUTARY_GOOGLE_CLIENT_ID: GOOGLE_DEMO_CLIENT.clientId,
    TRIBUTARY_GOOGLE_CLIENT_SECRET: GOOGLE_DEMO_CLIENT.clientSecret,
    TRIBUTARY_GOOGLE_ADS_DEVELOPER_TOKEN: GOOGLE_DEMO_DEVELOPER_TOKEN,
  },
});

/** Faults armed at start, as a JSON array in TRIBUTARY_SANDBOX_GOOGLE_FAULTS (same shapes as the control endpoint). */
function parseStartFaults(raw: string | undefined): GoogleFaultInput[] {
  if (!raw) return [];
  const parsed = JSON.parse(raw) as unknown;
  if (!Array.isArray(parsed)) throw new Error('TRIBUTARY_SANDBOX_GOOGLE_FAULTS must be a JSON array of faults');
  return parsed.map((f) => GoogleFaultSchema.parse(f));
}
