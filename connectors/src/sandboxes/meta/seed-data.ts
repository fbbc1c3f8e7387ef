// The Meta sandbox's world: ad accounts, campaigns, ad sets, ads, Instagram accounts and media, all derived
// from one seed, and the daily numbers each of them delivers. Every value is a pure function of
// (seed, entity, day, data version), so any page can be served again, and the truth recomputed, without storage.
//
// Money is kept in minor units (cents, or yen for JPY) as integers up to the moment it is formatted, so the
// totals the truth endpoint reports are exact, not float sums.

export interface SandboxAd {
  id: string;
  name: string;
  /** share of its ad set's delivery, in basis points */
  weightBp: number;
}
export interface SandboxAdSet {
  id: string;
  name: string;
  weightBp: number;
  ads: SandboxAd[];
}
export interface SandboxCampaign {
  id: string;
  name: string;
  objective: string;
  dailyBudgetMinor: number;
  /** null: running since before any date anyone asks for */
  startDate: string | null;
  stopDate: string | null;
  /** how delivery moves over the week, Monday first, in percent */
  weekdayPct: readonly number[];
  cpmMinor: number;
  ctrBp: number;
  cvrBp: number;
  aovMinor: number;
  adsets: SandboxAdSet[];
}
export interface SandboxAdAccount {
  /** numeric id without the act_ prefix */
  id: string;
  name: string;
  currency: string;
  /** digits after the decimal point in the currency (JPY 0, others 2) */
  currencyDigits: number;
  timezone: string;
  campaigns: SandboxCampaign[];
}
export interface SandboxIgMedia {
  id: string;
  caption: string;
  mediaType: 'IMAGE' | 'VIDEO' | 'CAROUSEL_ALBUM';
  mediaProductType: 'FEED' | 'REELS';
  /** the day it was posted, in the Instagram reporting time zone */
  postedOn: string;
  /** ISO timestamp as the Graph API writes it */
  timestamp: string;
}
export interface SandboxIgUser {
  id: string;
  username: string;
  name: string;
  followersBase: number;
  media: SandboxIgMedia[];
}
export interface SandboxWorld {
  seed: number;
  accounts: SandboxAdAccount[];
  igUsers: SandboxIgUser[];
  /** the demo user who "approves" the OAuth dialog */
  user: { id: string; name: string };
}

/** Instagram reports days as Meta does, in Pacific time. */
export const IG_TIME_ZONE = 'America/Los_Angeles';

// -------------------------------------------------------------------------------------------------
// Deterministic randomness: a 32-bit FNV-1a hash of the inputs feeds mulberry32.

export function hash32(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const s = String(part);
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x7c;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A uniform number in [0, 1) for the given inputs. */
export function unit(...parts: (string | number)[]): number {
  let t = (hash32(...parts) + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const between = (lo: number, hi: number, ...parts: (string | number)[]) =>
  lo + Math.floor(unit(...parts) * (hi - lo + 1));

// -------------------------------------------------------------------------------------------------
// Days

export function addDays(day: string, n: number): string {
  const t = Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10)) + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
/** 0 = Monday … 6 = Sunday */
export function weekday(day: string): number {
  return (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
}
export function dayIn(timeZone: string, epochMs: number): string {
  // en-CA formats as YYYY-MM-DD
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    epochMs,
  );
}
/** Epoch ms of midnight starting `day` in `timeZone`. */
export function midnightIn(timeZone: string, day: string): number {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  // the zone's offset at (about) that instant; applied twice to settle across a DST change
  let guess = utcMidnight;
  for (let i = 0; i < 2; i++) guess = utcMidnight - offsetMs(timeZone, guess);
  return guess;
}
function offsetMs(timeZone: string, epochMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(epochMs);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

// -------------------------------------------------------------------------------------------------
// The world

const ACCOUNT_SPECS = [
  { name: 'Northwind Outdoor US', currency: 'USD', digits: 2, timezone: 'America/New_York', campaigns: 9 },
  { name: 'Tienda Sol ES', currency: 'EUR', digits: 2, timezone: 'Europe/Madrid', campaigns: 7 },
  { name: 'Harbour & Co UK', currency: 'GBP', digits: 2, timezone: 'Europe/London', campaigns: 6 },
  { name: 'Sakura Select JP', currency: 'JPY', digits: 0, timezone: 'Asia/Tokyo', campaigns: 5 },
] as const;

const OBJECTIVES = ['OUTCOME_SALES', 'OUTCOME_TRAFFIC', 'OUTCOME_AWARENESS', 'OUTCOME_LEADS'] as const;
const CAMPAIGN_THEMES = [
  'Prospecting',
  'Retargeting',
  'Brand',
  'Catalog Sales',
  'Black Friday',
  'Lookalike 1%',
  'Advantage+ Shopping',
  'Video Views',
  'Lead Gen',
  'Spring Launch',
];
// Retail peaks at the weekend, B2B-like traffic dips; both patterns appear in every account.
const WEEKDAY_PATTERNS = [
  [95, 100, 100, 105, 115, 135, 125],
  [115, 120, 115, 110, 100, 65, 60],
  [100, 100, 100, 100, 100, 100, 100],
] as const;

export function buildWorld(seed = 1): SandboxWorld {
  let nextId = 0;
  const id = (prefix: string) => `${prefix}${String(seed).padStart(3, '0')}${String(++nextId).padStart(8, '0')}`;
  const accounts = ACCOUNT_SPECS.map((spec, a): SandboxAdAccount => {
    // JPY budgets are in yen: two orders of magnitude more minor units per unit of spend
    const scale = spec.digits === 0 ? 1 : 100;
    const yenFactor = spec.digits === 0 ? 150 : 1;
    const campaigns = Array.from({ length: spec.campaigns }, (_, c): SandboxCampaign => {
      const k = `${seed}:${a}:${c}`;
      const ended = unit(k, 'ended') < 0.15;
      const late = !ended && unit(k, 'late') < 0.15;
      const adsets = Array.from({ length: between(2, 3, k, 'adsets') }, (_, s): SandboxAdSet => {
        const ads = Array.from({ length: between(2, 3, k, s, 'ads') }, (_, d): SandboxAd => ({
          id: id('1202'),
          name: `${CAMPAIGN_THEMES[(a + c) % CAMPAIGN_THEMES.length]} · Set ${s + 1} · Creative ${String.fromCharCode(65 + d)}`,
          weightBp: between(2_000, 8_000, k, s, d, 'adw'),
        }));
        return {
          id: id('1201'),
          name: `${CAMPAIGN_THEMES[(a + c) % CAMPAIGN_THEMES.length]} · Set ${s + 1}`,
          weightBp: between(3_000, 7_000, k, s, 'sw'),
          ads,
        };
      });
      return {
        id: id('1200'),
        name: `${CAMPAIGN_THEMES[(a + c) % CAMPAIGN_THEMES.length]}${c >= CAMPAIGN_THEMES.length ? ` ${c}` : ''} ${spec.currency}`,
        objective: OBJECTIVES[(a + c) % OBJECTIVES.length]!,
        dailyBudgetMinor: between(40, 400, k, 'budget') * scale * yenFactor,
        startDate: late ? addDays('2026-06-01', between(0, 120, k, 'start')) : null,
        stopDate: ended ? addDays('2026-07-01', between(0, 90, k, 'stop')) : null,
        weekdayPct: WEEKDAY_PATTERNS[(a + c) % WEEKDAY_PATTERNS.length]!,
        cpmMinor: between(4, 14, k, 'cpm') * scale * yenFactor,
        ctrBp: between(60, 260, k, 'ctr'),
        cvrBp: between(80, 450, k, 'cvr'),
        aovMinor: between(25, 140, k, 'aov') * scale * yenFactor,
        adsets,
      };
    });
    return {
      id: String(1_000_000_000 + seed * 1_000 + a + 1),
      name: spec.name,
      currency: spec.currency,
      currencyDigits: spec.digits,
      timezone: spec.timezone,
      campaigns,
    };
  });

  const igUsers = ['northwind.outdoor', 'tiendasol'].map((username, u): SandboxIgUser => {
    const media = Array.from({ length: 40 }, (_, m): SandboxIgMedia => {
      const postedOn = addDays('2026-12-31', -m * 5 - between(0, 4, seed, u, m, 'post'));
      const product = unit(seed, u, m, 'reel') < 0.4 ? 'REELS' : 'FEED';
      const hour = between(8, 21, seed, u, m, 'hour');
      return {
        id: `1803${seed}${u}${String(m).padStart(10, '0')}`,
        caption: `${username} post ${m + 1}`,
        mediaType: product === 'REELS' ? 'VIDEO' : unit(seed, u, m, 'album') < 0.3 ? 'CAROUSEL_ALBUM' : 'IMAGE',
        mediaProductType: product,
        postedOn,
        timestamp: new Date(midnightIn(IG_TIME_ZONE, postedOn) + hour * 3_600_000)
          .toISOString()
          .replace('.000Z', '+0000'),
      };
    });
    return {
      id: `178414${seed}${String(u + 1).padStart(10, '0')}`,
      username,
      name: username.replace('.', ' '),
      followersBase: 12_000 + u * 30_000,
      media,
    };
  });

  return { seed, accounts, igUsers, user: { id: `10${seed}0000000001`, name: 'Demo Marketer' } };
}

// -------------------------------------------------------------------------------------------------
// Daily delivery

/** One ad's delivery on one day, with conversions as fully matured (before any reporting lag). */
export interface AdDay {
  spendMinor: number;
  impressions: number;
  reach: number;
  clicks: number;
  linkClicks: number;
  landingPageViews: number;
  addToCart: number;
  purchases: number;
  purchaseValueMinor: number;
  videoViews: number;
}

export function isCampaignLive(c: SandboxCampaign, day: string): boolean {
  return (c.startDate === null || day >= c.startDate) && (c.stopDate === null || day <= c.stopDate);
}

/** null when the ad delivered nothing that day: Meta leaves such rows out of insights. */
export function adDay(c: SandboxCampaign, s: SandboxAdSet, ad: SandboxAd, day: string): AdDay | null {
  if (!isCampaignLive(c, day)) return null;
  const noise = unit(ad.id, day, 'noise');
  if (noise < 0.04) return null;
  // a slow seasonal wave so months differ
  const season = 100 + Math.round(15 * Math.sin(daysBetween('2026-01-01', day) / 29));
  const spendMinor = Math.round(
    (c.dailyBudgetMinor * s.weightBp * ad.weightBp * c.weekdayPct[weekday(day)]! * season * (0.7 + 0.5 * noise)) /
      (10_000 * 10_000 * 100 * 100) /
      2,
  );
  if (spendMinor <= 0) return null;
  const impressions = Math.max(
    1,
    Math.round((spendMinor * 1000) / (c.cpmMinor * (0.85 + 0.3 * unit(ad.id, day, 'cpm')))),
  );
  const reach = Math.max(1, Math.round(impressions / (1.05 + 0.6 * unit(ad.id, day, 'freq'))));
  const clicks = Math.round((impressions * c.ctrBp * (0.8 + 0.4 * unit(ad.id, day, 'ctr'))) / 10_000);
  const linkClicks = Math.round(clicks * (0.7 + 0.2 * unit(ad.id, day, 'lc')));
  const landingPageViews = Math.round(linkClicks * (0.75 + 0.2 * unit(ad.id, day, 'lpv')));
  const addToCart = Math.round(landingPageViews * (0.08 + 0.1 * unit(ad.id, day, 'atc')));
  const purchases =
    c.objective === 'OUTCOME_AWARENESS'
      ? 0
      : Math.round((clicks * c.cvrBp * (0.6 + 0.8 * unit(ad.id, day, 'cvr'))) / 10_000);
  const purchaseValueMinor = Math.round(purchases * c.aovMinor * (0.8 + 0.4 * unit(ad.id, day, 'aov')));
  const videoViews = Math.round(impressions * 0.2 * unit(ad.id, day, 'vv'));
  return {
    spendMinor,
    impressions,
    reach,
    clicks,
    linkClicks,
    landingPageViews,
    addToCart,
    purchases,
    purchaseValueMinor,
    videoViews,
  };
}

/**
 * How much of a day's conversions are reported yet. Conversions keep arriving for about three days after
 * the click, and every new extraction (a new data version) sees a little more of them: 1 once settled.
 */
export function maturity(lagDays: number, version: number): number {
  if (lagDays >= 3) return 1;
  return Math.min(1, 0.55 + 0.12 * Math.max(0, lagDays) + 0.1 * version);
}

/** The ad's day as reported at `version`, `lagDays` after the day. */
export function reportedAdDay(full: AdDay, lagDays: number, version: number): AdDay {
  const m = maturity(lagDays, version);
  if (m >= 1 || full.purchases === 0) return full;
  const purchases = Math.floor(full.purchases * m);
  const purchaseValueMinor =
    full.purchases === 0 ? 0 : Math.floor((full.purchaseValueMinor * purchases) / full.purchases);
  return { ...full, purchases, purchaseValueMinor };
}

// -------------------------------------------------------------------------------------------------
// Instagram

export interface IgDay {
  reach: number;
  views: number;
  accountsEngaged: number;
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  replies: number;
  profileLinksTaps: number;
  follows: number;
  followerCount: number;
  totalInteractions: number;
}

export function igDay(user: SandboxIgUser, day: string): IgDay {
  const k = (m: string) => unit(user.id, day, m);
  const wd = [100, 95, 95, 100, 110, 125, 120][weekday(day)]!;
  const reach = Math.round(((user.followersBase / 10) * wd * (0.7 + 0.6 * k('reach'))) / 100);
  const views = Math.round(reach * (1.6 + 1.2 * k('views')));
  const likes = Math.round(reach * (0.03 + 0.04 * k('likes')));
  const comments = Math.round(likes * (0.04 + 0.06 * k('comments')));
  const shares = Math.round(likes * (0.05 + 0.1 * k('shares')));
  const saves = Math.round(likes * (0.06 + 0.1 * k('saves')));
  const replies = Math.round(comments * 0.3 * k('replies'));
  const follows = Math.round(reach * 0.004 * (0.5 + k('follows')));
  return {
    reach,
    views,
    accountsEngaged: Math.round(reach * (0.04 + 0.05 * k('engaged'))),
    likes,
    comments,
    shares,
    saves,
    replies,
    profileLinksTaps: Math.round(reach * 0.006 * k('taps')),
    follows,
    followerCount: user.followersBase + Math.round(daysBetween('2025-01-01', day) * (user.followersBase / 2_000)),
    totalInteractions: likes + comments + shares + saves + replies,
  };
}

export interface IgMediaLifetime {
  reach: number;
  views: number;
  likes: number;
  comments: number;
  shares: number;
  saved: number;
  totalInteractions: number;
  follows: number;
  profileVisits: number;
}

/** Lifetime numbers grow for about two weeks after posting, then settle. */
export function igMediaLifetime(user: SandboxIgUser, media: SandboxIgMedia, today: string): IgMediaLifetime | null {
  const age = daysBetween(media.postedOn, today);
  if (age < 0) return null;
  const grown = Math.min(1, (age + 1) / 14);
  const k = (m: string) => unit(media.id, m);
  const boost = media.mediaProductType === 'REELS' ? 2.2 : 1;
  const reach = Math.round((user.followersBase / 4) * boost * (0.5 + k('reach')) * grown);
  const likes = Math.round(reach * (0.04 + 0.05 * k('likes')));
  const comments = Math.round(likes * (0.05 + 0.05 * k('comments')));
  const shares = Math.round(likes * (0.04 + 0.08 * k('shares')));
  const saved = Math.round(likes * (0.05 + 0.1 * k('saved')));
  return {
    reach,
    views: Math.round(reach * (1.3 + k('views'))),
    likes,
    comments,
    shares,
    saved,
    totalInteractions: likes + comments + shares + saved,
    follows: Math.round(reach * 0.002 * k('follows')),
    profileVisits: Math.round(reach * 0.01 * k('pv')),
  };
}
