// A generic advertising world for sandboxes: accounts in their own currencies and time zones, campaigns
// with budgets and weekday patterns, ad groups and ads, and the numbers each ad delivers per day. Any ad
// platform's sandbox can serve it in its own wire format (Google Ads here; Amazon Ads, Metricool later).
//
// Late conversions: a day's conversions settle over `settleDays`. What is served for a day depends on its
// age relative to the sandbox's `today` and on the data version, which the control endpoint advances
// (each advance is one more "later call": recent days' conversions grow, settled days never change).
// Everything is a pure function of (seed, entity, day, version), so truth is recomputed, not stored.
import { addDays, daysBetween, eachDay, todayOf, weekdayIndex, type SandboxToday } from './days';
import { SeededRandom } from './seeded-random';

export interface WorldAccount {
  id: string;
  name: string;
  currency: string;
  /** digits of the currency's minor unit: 2 for EUR, 0 for JPY */
  currencyExponent: number;
  timeZone: string;
  campaigns: WorldCampaign[];
}
export interface WorldCampaign {
  id: string;
  name: string;
  status: 'ENABLED' | 'PAUSED';
  channel: string;
  dailyBudgetMinor: number;
  /** first day with delivery, or null for "long before anything asked for" */
  startDate: string | null;
  /** Monday first, percent of a normal day */
  weekdayPct: readonly number[];
  cpmMinor: number;
  ctrBp: number;
  cvrBp: number;
  aovMinor: number;
  adGroups: WorldAdGroup[];
}
export interface WorldAdGroup {
  id: string;
  name: string;
  ads: WorldAd[];
}
export interface WorldAd {
  id: string;
  name: string;
  /** share of the campaign's delivery, basis points; shares of one campaign sum to 10,000 */
  shareBp: number;
}

/** One ad's delivery on one day, in integers of minor units. */
export interface AdDay {
  impressions: number;
  clicks: number;
  costMinor: number;
  /** conversions in hundredths (platforms report fractional, attributed conversions) */
  conversionsCentis: number;
  conversionValueMinor: number;
}

export interface AccountSpec {
  id: string;
  name: string;
  currency: string;
  currencyExponent: number;
  timeZone: string;
  campaigns: number;
}

export interface AdWorldOptions {
  seed: string;
  accounts: readonly AccountSpec[];
  /**
   * The sandbox's "today" in every account: days after it have no data. A function follows the calendar
   * (the local runner's sandbox: new days keep arriving while it runs).
   */
  today: SandboxToday;
  /**
   * The day the world's shape is fixed to: when campaigns started, when paused ones stopped. Default: the
   * first "today". Fixed while "today" moves on, past days keep their numbers across restarts and days.
   */
  anchor?: string;
  settleDays?: number;
  adGroupsPerCampaign?: number;
  adsPerAdGroup?: number;
  /** id generator, so each platform gets ids of its own shape */
  ids?: {
    campaign(account: AccountSpec, n: number): string;
    adGroup(campaignId: string, n: number): string;
    ad(adGroupId: string, n: number): string;
  };
}

const CHANNELS = ['SEARCH', 'DISPLAY', 'SHOPPING', 'VIDEO', 'PERFORMANCE_MAX'] as const;
const THEMES = [
  'Brand',
  'Generic',
  'Competitors',
  'Remarketing',
  'Prospecting',
  'Seasonal',
  'Clearance',
  'New Arrivals',
  'Bestsellers',
  'Local',
] as const;

const defaultIds = {
  campaign: (a: AccountSpec, n: number) => `${a.id.slice(-4)}${String(1000 + n)}`,
  adGroup: (c: string, n: number) => `${c}${String(10 + n)}`,
  ad: (g: string, n: number) => `${g}${String(100 + n)}`,
};

export class AdWorld {
  readonly accounts: WorldAccount[];
  readonly anchor: string;
  readonly settleDays: number;
  /** data version: advanced by the control endpoint; recent conversions grow with it */
  version = 0;

  constructor(private readonly options: AdWorldOptions) {
    this.anchor = options.anchor ?? this.today;
    this.settleDays = options.settleDays ?? 3;
    const ids = options.ids ?? defaultIds;
    this.accounts = options.accounts.map((spec) => {
      const unit = 10 ** spec.currencyExponent;
      // JPY-like currencies have ~100x smaller units' value: scale prices so accounts look alike in EUR
      const priceScale = spec.currencyExponent === 0 ? 1.5 : 0.01 * unit;
      const campaigns: WorldCampaign[] = Array.from({ length: spec.campaigns }, (_, n) => {
        const cr = new SeededRandom(options.seed, 'campaign', spec.id, n);
        const id = ids.campaign(spec, n);
        const weekend = cr.int(45, 130);
        const adGroupCount = options.adGroupsPerCampaign ?? 2;
        const adsPerGroup = options.adsPerAdGroup ?? 2;
        const totalAds = adGroupCount * adsPerGroup;
        const shares = splitBasisPoints(totalAds, cr);
        let s = 0;
        const adGroups: WorldAdGroup[] = Array.from({ length: adGroupCount }, (_, g) => {
          const gid = ids.adGroup(id, g);
          return {
            id: gid,
            name: `${THEMES[(n + g) % THEMES.length]} ${g + 1}`,
            ads: Array.from({ length: adsPerGroup }, (_, a) => ({
              id: ids.ad(gid, a),
              name: `Ad ${g + 1}.${a + 1}`,
              shareBp: shares[s++]!,
            })),
          };
        });
        return {
          id,
          name: `${THEMES[n % THEMES.length]} ${cr.pick(['ES', 'US', 'DE', 'FR', 'JP', 'UK'])} #${n + 1}`,
          status: cr.next() < 0.85 ? 'ENABLED' : 'PAUSED',
          channel: cr.pick(CHANNELS),
          dailyBudgetMinor: Math.round(cr.int(20, 400) * 100 * priceScale),
          startDate: cr.next() < 0.25 ? addDays(this.anchor, -cr.int(5, 80)) : null,
          weekdayPct: [100, 104, 102, 98, 92, weekend, Math.max(40, weekend - 10)],
          cpmMinor: Math.round(cr.int(150, 1200) * priceScale),
          ctrBp: cr.int(40, 900),
          cvrBp: cr.int(80, 700),
          aovMinor: Math.round(cr.int(25, 220) * 100 * priceScale),
          adGroups,
        };
      });
      return {
        id: spec.id,
        name: spec.name,
        currency: spec.currency,
        currencyExponent: spec.currencyExponent,
        timeZone: spec.timeZone,
        campaigns,
      };
    });
  }

  get today(): string {
    return todayOf(this.options.today);
  }

  account(id: string): WorldAccount | undefined {
    return this.accounts.find((a) => a.id === id);
  }

  /** What an ad delivered on a day, as served at the current data version; null when it did not run. */
  adDay(account: WorldAccount, campaign: WorldCampaign, ad: WorldAd, day: string): AdDay | null {
    return this.adDayOf(account, campaign, ad, this.dayFacts(day));
  }

  /** What every ad's numbers on `day` share: computed once a day, not once an ad (the calendar math is costly). */
  private dayFacts(day: string): DayFacts {
    const age = daysBetween(day, this.today);
    return {
      day,
      weekday: weekdayIndex(day),
      pausedStopped: day > addDays(this.anchor, -14),
      settledPart: (v) => settledAtAge(v, age, this.version, this.settleDays),
    };
  }

  private adDayOf(account: WorldAccount, campaign: WorldCampaign, ad: WorldAd, f: DayFacts): AdDay | null {
    const day = f.day;
    if (day > this.today) return null;
    if (campaign.startDate && day < campaign.startDate) return null;
    // paused campaigns stopped delivering two weeks before the anchor
    if (campaign.status === 'PAUSED' && f.pausedStopped) return null;
    const r = new SeededRandom(this.options.seed, 'day', account.id, ad.id, day);
    const spendMinor = Math.floor(
      ((campaign.dailyBudgetMinor * campaign.weekdayPct[f.weekday]!) / 100) * r.jitter(0.25) * (ad.shareBp / 10_000),
    );
    const costMinor = Math.min(spendMinor, Math.floor(((campaign.dailyBudgetMinor * ad.shareBp) / 10_000) * 1.2));
    if (costMinor <= 0) return null;
    const impressions = Math.max(1, Math.floor((costMinor * 1000) / campaign.cpmMinor));
    const clicks = Math.floor((impressions * campaign.ctrBp * r.jitter(0.3)) / 10_000);
    const finalCentis = Math.floor((clicks * campaign.cvrBp * r.jitter(0.4)) / 100);
    const conversionsCentis = f.settledPart(finalCentis);
    const valuePerCentis = (campaign.aovMinor * r.jitter(0.3)) / 100;
    return {
      impressions,
      clicks,
      costMinor,
      conversionsCentis,
      conversionValueMinor: Math.floor(conversionsCentis * valuePerCentis),
    };
  }

  /** The part of a day's conversions that has arrived, at its age and the current data version. */
  settled(finalValue: number, day: string): number {
    return settledPart(finalValue, day, this.today, this.version, this.settleDays);
  }

  /** Every (account, campaign, ad group, ad, day) with delivery in the range, in date then id order. */
  *deliveries(
    accountId: string,
    start: string,
    end: string,
  ): Generator<{
    account: WorldAccount;
    campaign: WorldCampaign;
    adGroup: WorldAdGroup;
    ad: WorldAd;
    day: string;
    m: AdDay;
  }> {
    const account = this.account(accountId);
    if (!account) return;
    for (const day of eachDay(start, end)) {
      const facts = this.dayFacts(day);
      for (const campaign of account.campaigns) {
        for (const adGroup of campaign.adGroups) {
          for (const ad of adGroup.ads) {
            const m = this.adDayOf(account, campaign, ad, facts);
            if (m) yield { account, campaign, adGroup, ad, day, m };
          }
        }
      }
    }
  }
}

interface DayFacts {
  day: string;
  weekday: number;
  /** past the day paused campaigns stopped on */
  pausedStopped: boolean;
  settledPart(finalValue: number): number;
}

/** n shares summing to exactly 10,000 basis points. */
function splitBasisPoints(n: number, r: SeededRandom): number[] {
  const weights = Array.from({ length: n }, () => r.int(1, 10));
  const total = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => Math.floor((w * 10_000) / total));
  shares[0]! += 10_000 - shares.reduce((a, b) => a + b, 0);
  return shares;
}

/**
 * Late-arriving numbers: the part of a day's final value reported when the day is `age` days old and the
 * sandbox has been asked `version` more times. Monotonic in both, final once age + version >= settleDays.
 */
export function settledPart(
  finalValue: number,
  day: string,
  today: string,
  version: number,
  settleDays: number,
): number {
  return settledAtAge(finalValue, daysBetween(day, today), version, settleDays);
}

function settledAtAge(finalValue: number, age: number, version: number, settleDays: number): number {
  const progress = age + version;
  if (progress >= settleDays) return finalValue;
  return Math.floor((finalValue * (Math.max(0, progress) + 1)) / (settleDays + 1));
}
