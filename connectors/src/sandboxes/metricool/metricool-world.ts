// The Metricool sandbox's seeded world: one Metricool user with brands (blogId) in their own time zones and
// currencies, each with some of the eight social networks and up to three ad networks connected. Every number
// is a pure function of (seed, entity, day, data version), so truth is recomputed, never stored.
//
// Late numbers, as Metricool serves them:
//   - account timelines: the last 2 days' reach, views/impressions and engagement are still growing;
//   - posts: lifetime metrics keep growing for 14 days after publication;
//   - ad campaigns: conversions and their value settle over 7 days (AdWorld's settledPart).
// The control endpoint's clock advance (data version) moves every one of them forward.
import { AdWorld, settledPart, type AccountSpec } from '../base/ad-world';
import { addDays, daysBetween, eachDay, todayOf, weekdayIndex, type SandboxToday } from '../base/days';
import { hashSeed, SeededRandom } from '../base/seeded-random';

export const MC_NETWORKS = [
  'instagram',
  'facebook',
  'tiktok',
  'linkedin',
  'youtube',
  'pinterest',
  'threads',
  'bluesky',
] as const;
export type McNetwork = (typeof MC_NETWORKS)[number];
export const MC_AD_NETWORKS = ['facebookads', 'googleads', 'tiktokads'] as const;
export type McAdNetwork = (typeof MC_AD_NETWORKS)[number];

/** The brand object's key for each network: the settings endpoint does not use the analytics paths' names. */
export const BRAND_KEYS: Record<McNetwork | McAdNetwork, string> = {
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

/** Account timeline metrics Metricool serves per network (`subject=account&metric=…`), one metric a call. */
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

/** Each network's post metrics (lifetime), and the field that carries the post's id. */
export const POST_SHAPES: Record<McNetwork, { idField: string; types: readonly string[]; metrics: readonly string[] }> =
  {
    instagram: {
      idField: 'postId',
      types: ['FEED_IMAGE', 'CAROUSEL_ALBUM', 'REEL', 'STORY'],
      metrics: ['views', 'reach', 'likes', 'comments', 'shares', 'saved'],
    },
    facebook: {
      idField: 'postId',
      types: ['photo', 'link', 'video', 'reel', 'story'],
      metrics: ['impressions', 'reach', 'reactions', 'comments', 'shares', 'clicks'],
    },
    tiktok: { idField: 'videoId', types: ['VIDEO'], metrics: ['views', 'reach', 'likes', 'comments', 'shares'] },
    linkedin: {
      idField: 'postId',
      types: ['post', 'article'],
      metrics: ['impressions', 'likes', 'comments', 'shares', 'clicks'],
    },
    youtube: {
      idField: 'videoId',
      types: ['video', 'short'],
      metrics: ['views', 'likes', 'dislikes', 'comments', 'shares'],
    },
    pinterest: { idField: 'pinId', types: ['pin'], metrics: ['impressions', 'saves', 'clicks', 'outboundClicks'] },
    threads: {
      idField: 'postId',
      types: ['TEXT_POST', 'IMAGE'],
      metrics: ['views', 'likes', 'replies', 'reposts', 'quotes'],
    },
    bluesky: { idField: 'uri', types: ['post'], metrics: ['likes', 'replies', 'reposts', 'quotes'] },
  };
/** Metricool serves Instagram's and Facebook's reels and stories on endpoints of their own, not among the posts. */
export type McPostCollection = 'posts' | 'reels' | 'stories';
export const POST_COLLECTIONS: Record<McNetwork, readonly McPostCollection[]> = {
  instagram: ['posts', 'reels', 'stories'],
  facebook: ['posts', 'reels', 'stories'],
  tiktok: ['posts'],
  linkedin: ['posts'],
  youtube: ['posts'],
  pinterest: ['posts'],
  threads: ['posts'],
  bluesky: ['posts'],
};
export function postCollection(type: string): McPostCollection {
  return /^reels?$/i.test(type) ? 'reels' : /^stor(y|ies)$/i.test(type) ? 'stories' : 'posts';
}
/** metrics that are not interactions: everything else counts toward a post's engagement */
const NOT_ENGAGEMENT = new Set(['views', 'impressions', 'reach', 'outboundClicks']);

export interface McBrand {
  id: number;
  label: string;
  url: string;
  timezone: string;
  /** the brand's ad accounts' currency; null for a brand without ads */
  currency: string | null;
  currencyExponent: number;
  networks: {
    network: McNetwork;
    handle: string;
    /** first day with data; null: long before */ since: string | null;
  }[];
  adNetworks: { network: McAdNetwork; accountId: string }[];
}

export interface BrandSpec {
  id: number;
  label: string;
  timezone: string;
  currency: string | null;
  currencyExponent?: number;
  networks: McNetwork[];
  /** networks connected recently: no data before this many days ago */
  recentlyConnected?: Partial<Record<McNetwork, number>>;
  adNetworks: McAdNetwork[];
}

export const DEFAULT_BRANDS: BrandSpec[] = [
  {
    id: 4_210_001,
    label: 'Tienda Norte',
    timezone: 'Europe/Madrid',
    currency: 'EUR',
    networks: ['instagram', 'facebook', 'tiktok', 'linkedin', 'youtube'],
    adNetworks: ['facebookads', 'googleads'],
  },
  {
    id: 4_210_002,
    label: 'Northwind Outdoor',
    timezone: 'America/New_York',
    currency: 'USD',
    networks: ['instagram', 'facebook', 'pinterest', 'threads', 'bluesky'],
    recentlyConnected: { bluesky: 40 },
    adNetworks: ['facebookads', 'tiktokads'],
  },
  {
    id: 4_210_003,
    label: 'Sakura Select',
    timezone: 'Asia/Tokyo',
    currency: 'JPY',
    currencyExponent: 0,
    networks: ['instagram', 'tiktok', 'youtube', 'threads'],
    adNetworks: ['googleads', 'tiktokads'],
  },
  {
    id: 4_210_004,
    label: 'Harbour Studio',
    timezone: 'Australia/Sydney',
    currency: null,
    networks: ['linkedin', 'bluesky', 'instagram'],
    adNetworks: [],
  },
];

/** One post as the world knows it; its metrics depend on the day asked (they grow). */
export interface McPost {
  brand: McBrand;
  network: McNetwork;
  id: string;
  type: string;
  /** publication, local time in the brand's time zone, YYYY-MM-DDTHH:mm:ss */
  localDateTime: string;
  day: string;
  text: string;
}

export interface McCampaign {
  /** Metricool's own id (the timelines path takes it) */
  id: number;
  providerCampaignId: string;
  name: string;
  objective: string;
  status: 'ACTIVE' | 'PAUSED';
}

export interface CampaignDay {
  impressions: number;
  clicks: number;
  costMinor: number;
  conversionsCentis: number;
  conversionValueMinor: number;
}

const POST_SETTLE_DAYS = 14;
const TIMELINE_SETTLE_DAYS = 2;
export const ADS_SETTLE_DAYS = 7;

export class MetricoolWorld {
  readonly userId: number;
  readonly brands: McBrand[];
  readonly anchor: string;
  /** data version: the control endpoint's clock advance; recent numbers grow with it */
  private versionValue = 0;
  private readonly ads: Record<McAdNetwork, AdWorld>;

  constructor(
    private readonly options: {
      seed: string;
      today: SandboxToday;
      anchor?: string;
      userId?: number;
      brands?: BrandSpec[];
      campaignsPerAccount?: number;
    },
  ) {
    this.userId = options.userId ?? 9_001_337;
    this.anchor = options.anchor ?? this.today;
    const specs = options.brands ?? DEFAULT_BRANDS;
    this.brands = specs.map((s) => ({
      id: s.id,
      label: s.label,
      url: `https://${s.label.toLowerCase().replace(/[^a-z]+/g, '')}.example`,
      timezone: s.timezone,
      currency: s.currency,
      currencyExponent: s.currencyExponent ?? 2,
      networks: s.networks.map((network) => ({
        network,
        handle: `${s.label.toLowerCase().replace(/[^a-z]+/g, '')}_${network}`,
        since:
          s.recentlyConnected?.[network] !== undefined ? addDays(this.anchor, -s.recentlyConnected[network]!) : null,
      })),
      adNetworks: s.adNetworks.map((network) => ({ network, accountId: adAccountId(network, s.id) })),
    }));
    const adWorld = (network: McAdNetwork) =>
      new AdWorld({
        seed: `${options.seed}-${network}`,
        today: options.today,
        anchor: this.anchor,
        settleDays: ADS_SETTLE_DAYS,
        adGroupsPerCampaign: 1,
        adsPerAdGroup: 1,
        accounts: this.brands
          .filter((b) => b.adNetworks.some((a) => a.network === network))
          .map((b): AccountSpec => ({
            id: String(b.id),
            name: b.label,
            currency: b.currency ?? 'USD',
            currencyExponent: b.currencyExponent,
            timeZone: b.timezone,
            campaigns: options.campaignsPerAccount ?? 4,
          })),
        ids: {
          campaign: (a, n) => providerCampaignId(network, a.id, n),
          adGroup: (c) => `${c}-g`,
          ad: (g) => `${g}-a`,
        },
      });
    this.ads = {
      facebookads: adWorld('facebookads'),
      googleads: adWorld('googleads'),
      tiktokads: adWorld('tiktokads'),
    };
  }

  get today(): string {
    return todayOf(this.options.today);
  }
  get version(): number {
    return this.versionValue;
  }
  set version(v: number) {
    this.versionValue = v;
    for (const w of Object.values(this.ads)) w.version = v;
  }

  brand(id: string | number | null): McBrand | undefined {
    return this.brands.find((b) => String(b.id) === String(id));
  }

  hasNetwork(brand: McBrand, network: McNetwork): boolean {
    return brand.networks.some((n) => n.network === network);
  }

  // ---- account timelines -------------------------------------------------------------------------

  /** A network's account metric on a day, as served now; null when the day has no data. */
  timelineValue(brand: McBrand, network: McNetwork, metric: string, day: string): number | null {
    const n = brand.networks.find((x) => x.network === network);
    if (!n || day > this.today || (n.since && day < n.since)) return null;
    const base = new SeededRandom(this.options.seed, 'account', brand.id, network);
    const followers0 = base.int(800, 90_000);
    const growthPerDay = base.int(2, 60);
    const reachRate = base.int(8, 40) / 100;
    const viewsFactor = base.int(120, 260) / 100;
    const engagementBp = base.int(150, 900);
    const r = new SeededRandom(this.options.seed, 'account-day', brand.id, network, day);
    const dayIndex = daysBetween('2025-01-01', day);
    const followers = followers0 + growthPerDay * dayIndex + r.int(-growthPerDay, growthPerDay);
    if (metric === 'followers' || metric === 'subscribers') return followers;
    const weekday = [100, 104, 101, 97, 93, 80, 76][weekdayIndex(day)]!;
    const reachFinal = Math.floor(((followers * reachRate * weekday) / 100) * r.jitter(0.3));
    const settle = (v: number) => settledPart(v, day, this.today, this.versionValue, TIMELINE_SETTLE_DAYS);
    if (metric === 'reach') return settle(reachFinal);
    if (metric === 'views' || metric === 'impressions')
      return settle(Math.floor(reachFinal * viewsFactor * r.jitter(0.1)));
    if (metric === 'engagement') return settle(Math.floor((reachFinal * engagementBp * r.jitter(0.3)) / 10_000));
    return null;
  }

  // ---- posts -------------------------------------------------------------------------------------

  /** Posts published on `day` (brand time), in publication order. */
  postsOn(brand: McBrand, network: McNetwork, day: string): McPost[] {
    const n = brand.networks.find((x) => x.network === network);
    if (!n || day > this.today || (n.since && day < n.since)) return [];
    const r = new SeededRandom(this.options.seed, 'posts', brand.id, network, day);
    const count = r.next() < 0.35 ? 0 : r.int(1, network === 'threads' || network === 'bluesky' ? 3 : 2);
    const shape = POST_SHAPES[network];
    const hours = Array.from({ length: count }, () => r.int(0, 23 * 60 + 59)).sort((a, b) => a - b);
    return hours.map((minute, i) => {
      const hh = String(Math.floor(minute / 60)).padStart(2, '0');
      const mm = String(minute % 60).padStart(2, '0');
      return {
        brand,
        network,
        id: postId(network, n.handle, day, i),
        type: shape.types[(hashSeed(day, i) >>> 3) % shape.types.length]!,
        localDateTime: `${day}T${hh}:${mm}:${String((i * 7) % 60).padStart(2, '0')}`,
        day,
        text: `${brand.label} on ${network}: post ${i + 1} of ${day}`,
      };
    });
  }

  /** A post's lifetime metrics as served now: they grow for two weeks after publication. */
  postMetrics(post: McPost): Record<string, number> {
    const r = new SeededRandom(this.options.seed, 'post-metrics', post.id);
    const shape = POST_SHAPES[post.network];
    const reach = r.int(200, 40_000);
    const out: Record<string, number> = {};
    let engagement = 0;
    for (const m of shape.metrics) {
      const final =
        m === 'views' || m === 'impressions'
          ? Math.floor(reach * r.jitter(0.3) * 1.6)
          : m === 'reach'
            ? reach
            : m === 'likes' || m === 'reactions'
              ? Math.floor((reach * r.int(10, 80)) / 1000)
              : Math.floor((reach * r.int(1, 15)) / 1000);
      const served = settledPart(final, post.day, this.today, this.versionValue, POST_SETTLE_DAYS);
      out[m] = served;
      if (!NOT_ENGAGEMENT.has(m)) engagement += served;
    }
    out.engagement = engagement;
    return out;
  }

  // ---- ad campaigns ------------------------------------------------------------------------------

  adAccount(brand: McBrand, network: McAdNetwork) {
    if (!brand.adNetworks.some((a) => a.network === network)) return undefined;
    return this.ads[network].account(String(brand.id));
  }

  campaigns(brand: McBrand, network: McAdNetwork): McCampaign[] {
    const account = this.adAccount(brand, network);
    if (!account) return [];
    return account.campaigns.map((c, n) => ({
      id: hashSeed('mc-campaign', network, c.id) % 2_000_000_000,
      providerCampaignId: c.id,
      name: c.name,
      objective:
        network === 'googleads' ? c.channel : ['OUTCOME_SALES', 'OUTCOME_TRAFFIC', 'OUTCOME_AWARENESS'][n % 3]!,
      status: c.status === 'ENABLED' ? 'ACTIVE' : 'PAUSED',
    }));
  }

  /** A campaign's delivery on one day (the sum of its ads), as served now; null when it did not run. */
  campaignDay(brand: McBrand, network: McAdNetwork, providerCampaignId: string, day: string): CampaignDay | null {
    const account = this.adAccount(brand, network);
    const campaign = account?.campaigns.find((c) => c.id === providerCampaignId);
    if (!account || !campaign) return null;
    let total: CampaignDay | null = null;
    for (const g of campaign.adGroups) {
      for (const ad of g.ads) {
        const m = this.ads[network].adDay(account, campaign, ad, day);
        if (!m) continue;
        total ??= { impressions: 0, clicks: 0, costMinor: 0, conversionsCentis: 0, conversionValueMinor: 0 };
        total.impressions += m.impressions;
        total.clicks += m.clicks;
        total.costMinor += m.costMinor;
        total.conversionsCentis += m.conversionsCentis;
        total.conversionValueMinor += m.conversionValueMinor;
      }
    }
    return total;
  }

  days(from: string, to: string): string[] {
    return eachDay(from, to < this.today ? to : this.today);
  }
}

function adAccountId(network: McAdNetwork, brandId: number): string {
  const h = hashSeed('ad-account', network, brandId);
  if (network === 'facebookads') return `act_${1_000_000_000_000 + (h % 1_000_000_000)}`;
  if (network === 'googleads')
    return `${String(h % 1000).padStart(3, '0')}-${String((h >>> 10) % 1000).padStart(3, '0')}-${String(h % 10_000).padStart(4, '0')}`;
  return `7${String(h).padStart(18, '0')}`;
}

/** Provider ids as the ad platforms make them: Meta's and TikTok's do not fit a double, so they travel as strings. */
function providerCampaignId(network: McAdNetwork, accountId: string, n: number): string {
  const h = String(hashSeed('campaign', network, accountId, n)).padStart(10, '0');
  if (network === 'facebookads') return `2385${h}${String(n).padStart(4, '0')}`;
  if (network === 'googleads') return `2${h}`;
  return `17${h}${String(n).padStart(7, '0')}`;
}

function postId(network: McNetwork, handle: string, day: string, i: number): string {
  const h = String(hashSeed('post', handle, day, i)).padStart(10, '0');
  switch (network) {
    case 'instagram':
      return `1790${h}${i}1234`;
    case 'facebook':
      return `1029384756_${h}${i}`;
    case 'tiktok':
      return `73${h}${i}0000000`;
    case 'youtube':
      return `yt${h.slice(0, 9)}${i}`;
    case 'linkedin':
      return `urn:li:share:7${h}${i}`;
    case 'pinterest':
      return `9${h}${i}`;
    case 'threads':
      return `1800${h}${i}`;
    case 'bluesky':
      return `at://${handle}.bsky.social/app.bsky.feed.post/3k${Number(h).toString(36)}${i}`;
  }
}
