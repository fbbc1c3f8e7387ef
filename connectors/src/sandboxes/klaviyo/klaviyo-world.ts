// The Klaviyo sandbox's world: accounts in their own currencies and time zones (each private key sees exactly
// one), their metrics, campaigns sent on most days by email or SMS, and flows that send every day. What a
// campaign message or a flow message did is a pure function of (seed, message, send day, data version), so
// the truth endpoint recomputes exactly what the reports served.
//
// Klaviyo reports by send date: a campaign's opens, clicks and conversions belong to the day it was sent, and
// keep arriving after it. Engagement settles over 3 days and conversions over the 5-day attribution window:
// a young day serves part of its final numbers, and each advance of the data version ("a later call")
// serves more of them, so re-reading recent days restates them.
import { addDays, daysBetween, todayOf, type SandboxToday } from '../base/days';
import { hashSeed, SeededRandom } from '../base/seeded-random';

export type SendChannel = 'email' | 'sms';
export const ALL_SCOPES = ['accounts:read', 'metrics:read', 'campaigns:read', 'flows:read'] as const;

export interface KlaviyoMetric {
  id: string;
  name: string;
  integration: string;
  /** events of this metric carry a value ($value): conversion_value is 0 for the others */
  valued: boolean;
  /** conversions per unique click, in basis points; `factor` scales the count (items vs orders) */
  factorPct: number;
}

export interface KlaviyoMessage {
  id: string;
  name: string;
  channel: SendChannel;
}

export interface KlaviyoCampaign {
  id: string;
  name: string;
  sendDay: string;
  message: KlaviyoMessage;
}

export interface KlaviyoFlow {
  id: string;
  name: string;
  messages: (KlaviyoMessage & { dailyBase: number })[];
}

export interface KlaviyoAccount {
  id: string;
  name: string;
  currency: string;
  /** digits of the currency's minor unit: 2 for USD and EUR, 0 for JPY */
  exponent: number;
  timeZone: string;
  industry: string;
  /** typical email campaign audience */
  audience: number;
  /** average order value, minor units */
  aovMinor: number;
  metrics: KlaviyoMetric[];
  flows: KlaviyoFlow[];
}

/** One message's numbers on one send day, integers (conversion value in minor units). */
export interface MessageStats {
  recipients: number;
  delivered: number;
  bounced: number;
  opens: number;
  opens_unique: number;
  clicks: number;
  clicks_unique: number;
  unsubscribes: number;
  conversions: number;
  conversion_uniques: number;
  conversionValueMinor: number;
}

export const STAT_NAMES = [
  'recipients',
  'delivered',
  'bounced',
  'opens',
  'opens_unique',
  'clicks',
  'clicks_unique',
  'unsubscribes',
  'conversions',
  'conversion_uniques',
] as const;

const ENGAGEMENT_SETTLE_DAYS = 3;
const CONVERSION_SETTLE_DAYS = 5;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID-shaped id (26 Crockford base32 characters), stable for its labels, as Klaviyo's campaign ids look. */
export function ulidOf(...labels: (string | number)[]): string {
  const r = new SeededRandom(...labels);
  let id = '01J';
  while (id.length < 26) id += CROCKFORD[Math.floor(r.next() * 32)];
  return id;
}

/** Klaviyo's six-character metric and account ids. */
function shortId(...labels: (string | number)[]): string {
  const r = new SeededRandom(...labels);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  while (id.length < 6) id += chars[Math.floor(r.next() * chars.length)];
  return id;
}

const THEMES = [
  'Weekend sale',
  'New arrivals',
  'Back in stock',
  'Members early access',
  'Gift guide',
  'Last chance',
  'Style edit',
  'Free shipping week',
];
const FLOWS: { name: string; messages: { name: string; channel: SendChannel; share: number }[] }[] = [
  {
    name: 'Welcome Series',
    messages: [
      { name: 'Welcome 1: hello', channel: 'email', share: 30 },
      { name: 'Welcome 2: bestsellers', channel: 'email', share: 22 },
      { name: 'Welcome SMS', channel: 'sms', share: 9 },
    ],
  },
  {
    name: 'Abandoned Cart',
    messages: [
      { name: 'Cart reminder', channel: 'email', share: 18 },
      { name: 'Cart SMS nudge', channel: 'sms', share: 7 },
    ],
  },
  { name: 'Browse Abandonment', messages: [{ name: 'Still looking?', channel: 'email', share: 14 }] },
  {
    name: 'Post-Purchase',
    messages: [
      { name: 'Thank you', channel: 'email', share: 11 },
      { name: 'Review request', channel: 'email', share: 6 },
    ],
  },
];

export interface AccountSeed {
  key: string;
  name: string;
  currency: string;
  exponent: number;
  timeZone: string;
  industry: string;
  audience: number;
  aovMinor: number;
}

export const DEFAULT_ACCOUNTS: readonly AccountSeed[] = [
  {
    key: 'northwind',
    name: 'Northwind Outdoor (US)',
    currency: 'USD',
    exponent: 2,
    timeZone: 'America/New_York',
    industry: 'Apparel & Accessories',
    audience: 24_000,
    aovMinor: 8_450,
  },
  {
    key: 'bergblick',
    name: 'Bergblick GmbH (DE)',
    currency: 'EUR',
    exponent: 2,
    timeZone: 'Europe/Berlin',
    industry: 'Home & Garden',
    audience: 9_000,
    aovMinor: 6_790,
  },
  {
    key: 'sakura',
    name: 'Sakura Select (JP)',
    currency: 'JPY',
    exponent: 0,
    timeZone: 'Asia/Tokyo',
    industry: 'Beauty',
    audience: 6_000,
    aovMinor: 7_800,
  },
];

export class KlaviyoWorld {
  readonly accounts: KlaviyoAccount[];
  /** each advance is one more "later call": recent days' numbers settle further */
  version = 0;

  constructor(
    readonly seed: string,
    private readonly today: SandboxToday,
    seeds: readonly AccountSeed[] = DEFAULT_ACCOUNTS,
  ) {
    this.accounts = seeds.map((a) => {
      const id = shortId(seed, 'account', a.key);
      const metrics: KlaviyoMetric[] = [
        { name: 'Placed Order', integration: 'Shopify', valued: true, factorPct: 100 },
        { name: 'Ordered Product', integration: 'Shopify', valued: true, factorPct: 170 },
        { name: 'Started Checkout', integration: 'Shopify', valued: true, factorPct: 260 },
        { name: 'Opened Email', integration: 'Klaviyo', valued: false, factorPct: 900 },
        { name: 'Clicked Email', integration: 'Klaviyo', valued: false, factorPct: 400 },
        { name: 'Active on Site', integration: 'API', valued: false, factorPct: 700 },
      ].map((m) => ({ ...m, id: shortId(seed, 'metric', a.key, m.name) }));
      const flows: KlaviyoFlow[] = FLOWS.map((f) => ({
        id: shortId(seed, 'flow', a.key, f.name),
        name: f.name,
        messages: f.messages.map((m) => ({
          id: shortId(seed, 'flow-message', a.key, f.name, m.name),
          name: m.name,
          channel: m.channel,
          dailyBase: Math.max(3, Math.round((a.audience * m.share) / 2_000)),
        })),
      }));
      return {
        id,
        name: a.name,
        currency: a.currency,
        exponent: a.exponent,
        timeZone: a.timeZone,
        industry: a.industry,
        audience: a.audience,
        aovMinor: a.aovMinor,
        metrics,
        flows,
      };
    });
  }

  todayFor(): string {
    return todayOf(this.today);
  }

  account(id: string): KlaviyoAccount | undefined {
    return this.accounts.find((a) => a.id === id);
  }

  /** The campaign messages an account sent on a day (none after today): most days an email, some days an SMS. */
  campaignsOn(account: KlaviyoAccount, day: string): KlaviyoCampaign[] {
    if (day > this.todayFor()) return [];
    const r = new SeededRandom(this.seed, 'campaigns', account.id, day);
    const out: KlaviyoCampaign[] = [];
    const sends: SendChannel[] = [];
    if (r.next() < 0.6) sends.push('email');
    if (r.next() < 0.25) sends.push('sms');
    if (r.next() < 0.15) sends.push('email');
    sends.forEach((channel, n) => {
      const id = ulidOf(this.seed, 'campaign', account.id, day, n);
      const name = `${r.pick(THEMES)} ${day.slice(5)}${channel === 'sms' ? ' (SMS)' : ''}`;
      out.push({
        id,
        name,
        sendDay: day,
        message: { id: ulidOf(this.seed, 'campaign-message', account.id, day, n), name, channel },
      });
    });
    return out;
  }

  /** A campaign message's numbers for its send day, as served at the current version. */
  campaignStats(account: KlaviyoAccount, campaign: KlaviyoCampaign, metric: KlaviyoMetric): MessageStats {
    const r = new SeededRandom(this.seed, 'campaign-stats', campaign.message.id);
    const base = campaign.message.channel === 'sms' ? Math.round(account.audience / 4) : account.audience;
    const recipients = r.int(Math.round(base * 0.6), Math.round(base * 1.4));
    return this.stats(r, recipients, campaign.message.channel, campaign.sendDay, account, metric, campaign.message.id);
  }

  /** A flow message's numbers for one send day, as served at the current version (zero after today). */
  flowStats(
    account: KlaviyoAccount,
    message: KlaviyoFlow['messages'][number],
    day: string,
    metric: KlaviyoMetric,
  ): MessageStats {
    if (day > this.todayFor())
      return this.stats(new SeededRandom('none'), 0, message.channel, day, account, metric, message.id);
    const r = new SeededRandom(this.seed, 'flow-stats', message.id, day);
    // some quiet days send nothing at all
    const recipients =
      r.next() < 0.08 ? 0 : r.int(Math.round(message.dailyBase * 0.5), Math.round(message.dailyBase * 1.5));
    return this.stats(r, recipients, message.channel, day, account, metric, `${message.id}|${day}`);
  }

  private stats(
    r: SeededRandom,
    recipients: number,
    channel: SendChannel,
    day: string,
    account: KlaviyoAccount,
    metric: KlaviyoMetric,
    label: string,
  ): MessageStats {
    const bounced = Math.floor((recipients * r.int(5, 30)) / 1_000);
    const delivered = recipients - bounced;
    const email = channel === 'email';
    const opensUnique = email ? Math.floor((delivered * r.int(320, 520)) / 1_000) : 0;
    const opens = email ? Math.floor((opensUnique * r.int(120, 160)) / 100) : 0;
    const clicksUnique = Math.floor((delivered * (email ? r.int(15, 45) : r.int(50, 110))) / 1_000);
    const clicks = Math.floor((clicksUnique * r.int(110, 140)) / 100);
    const unsubscribes = Math.floor((delivered * r.int(1, 4)) / 1_000);
    // the conversion metric decides what counts: its own rate and its own values
    const m = new SeededRandom(this.seed, 'conversions', label, metric.id);
    const uniques = Math.floor((clicksUnique * m.int(40, 130)) / 1_000);
    const conversions = Math.floor((uniques * metric.factorPct) / 100) + (metric.factorPct > 100 ? m.int(0, 2) : 0);
    let valueMinor = 0;
    if (metric.valued)
      for (let i = 0; i < Math.min(conversions, 400); i++)
        valueMinor += Math.round(account.aovMinor * (0.5 + m.next()));
    if (metric.valued && conversions > 400) valueMinor = Math.round((valueMinor * conversions) / 400);

    const age = Math.max(0, daysBetween(day, this.todayFor()));
    const settle = (n: number, days: number) => {
      const done = Math.min(days + 1, age + 1 + this.version);
      return Math.floor((n * done) / (days + 1));
    };
    const e = (n: number) => settle(n, ENGAGEMENT_SETTLE_DAYS);
    const c = (n: number) => settle(n, CONVERSION_SETTLE_DAYS);
    return {
      recipients,
      delivered,
      bounced,
      opens: e(opens),
      opens_unique: e(opensUnique),
      clicks: e(clicks),
      clicks_unique: e(clicksUnique),
      unsubscribes: e(unsubscribes),
      conversions: c(conversions),
      conversion_uniques: c(uniques),
      conversionValueMinor: c(valueMinor),
    };
  }
}

/** Every day from start to end, both included, never after today. */
export function servedDays(world: KlaviyoWorld, start: string, end: string): string[] {
  const out: string[] = [];
  const last = end < world.todayFor() ? end : world.todayFor();
  for (let d = start; d <= last; d = addDays(d, 1)) out.push(d);
  return out;
}

/** A stable hex id for report responses. */
export function reportId(...labels: (string | number)[]): string {
  return [hashSeed(...labels, 1), hashSeed(...labels, 2), hashSeed(...labels, 3), hashSeed(...labels, 4)]
    .map((n) => n.toString(16).padStart(8, '0'))
    .join('');
}
