// The Shopify sandbox's shops and orders, generated from a seed: every order is a pure function of (seed,
// shop, UTC day, index), so any page can be served again and the truth recomputed without storing anything.
// Money is kept in integer minor units (bigint sums); refunds land days after their order, so a day's numbers
// change after the fact (the restatements the connector's lookback re-reads).
import { SeededRandom } from '../base/seeded-random';
import { addDays, eachDay } from '../base/days';

export interface SandboxShop {
  /** the permanent myshopify domain */
  domain: string;
  gid: string;
  name: string;
  currency: string;
  /** decimal places of the currency */
  exponent: number;
  timeZone: string;
  /** tax rate in 1/100000 (8875 = 8.875 %) */
  taxRate: number;
  ordersPerDay: [number, number];
  campaigns: readonly string[];
  /** a static custom-app token (shpat_…) with read_orders and read_all_orders */
  staticToken: string;
}

export interface SandboxLine {
  id: string;
  unitMinor: number;
  quantity: number;
  currentQuantity: number;
}

export interface SandboxOrder {
  id: string;
  number: number;
  name: string;
  createdAtMs: number;
  createdAt: string;
  channel: { name: string; sourceName: string };
  utm: { source: string | null; medium: string | null; campaign: string | null } | null;
  /** true when the order has a journey summary but its last visit carried no UTM parameters */
  journey: 'none' | 'no_utm' | 'utm';
  lines: SandboxLine[];
  grossMinor: bigint;
  discountMinor: bigint;
  subtotalMinor: bigint;
  shippingMinor: bigint;
  taxMinor: bigint;
  /** a refund of one unit of one line, applied at refundAtMs (null: never refunded) */
  refund: { atMs: number; lineIndex: number; valueMinor: bigint } | null;
}

/** What an order looks like at a moment: refunds applied once their time has come. */
export interface OrderState {
  order: SandboxOrder;
  refunded: boolean;
  currentSubtotalMinor: bigint;
  currentTaxMinor: bigint;
  currentTotalMinor: bigint;
  currentQuantity: number;
  lineQuantities: number[];
}

const DAY_MS = 86_400_000;
const CHANNELS = [
  { name: 'Online Store', sourceName: 'web', weight: 70 },
  { name: 'Point of Sale', sourceName: 'pos', weight: 15 },
  { name: 'Shop', sourceName: 'shop', weight: 10 },
  { name: 'Facebook & Instagram', sourceName: '2329312', weight: 5 },
] as const;

export const SANDBOX_SHOPS: readonly SandboxShop[] = [
  {
    domain: 'northwind-outfitters.myshopify.com',
    gid: 'gid://shopify/Shop/60221001',
    name: 'Northwind Outfitters',
    currency: 'USD',
    exponent: 2,
    timeZone: 'America/New_York',
    taxRate: 8875,
    ordersPerDay: [20, 45],
    campaigns: ['brand_search', 'bfcm_2026', 'retargeting_q4'],
    staticToken: 'shpat_sandbox_northwind_0001',
  },
  {
    domain: 'tienda-norte.myshopify.com',
    gid: 'gid://shopify/Shop/60221002',
    name: 'Tienda Norte',
    currency: 'EUR',
    exponent: 2,
    timeZone: 'Europe/Madrid',
    taxRate: 21000,
    ordersPerDay: [8, 30],
    campaigns: ['rebajas_invierno', 'marca'],
    staticToken: 'shpat_sandbox_tienda_0002',
  },
  {
    domain: 'sakura-select.myshopify.com',
    gid: 'gid://shopify/Shop/60221003',
    name: 'Sakura Select',
    currency: 'JPY',
    exponent: 0,
    timeZone: 'Asia/Tokyo',
    taxRate: 10000,
    ordersPerDay: [6, 20],
    campaigns: ['winter_sale'],
    staticToken: 'shpat_sandbox_sakura_0003',
  },
  {
    domain: 'mumbai-threads.myshopify.com',
    gid: 'gid://shopify/Shop/60221004',
    name: 'Mumbai Threads',
    currency: 'INR',
    exponent: 2,
    timeZone: 'Asia/Kolkata',
    taxRate: 18000,
    ordersPerDay: [4, 16],
    campaigns: ['diwali_2026', 'lookalike'],
    staticToken: 'shpat_sandbox_mumbai_0004',
  },
];

const dayFormatters = new Map<string, Intl.DateTimeFormat>();
/** The calendar day of an instant in a time zone, YYYY-MM-DD (the sandbox's own computation, via Intl). */
export function dayInZone(ms: number, timeZone: string): string {
  let f = dayFormatters.get(timeZone);
  if (!f)
    dayFormatters.set(
      timeZone,
      (f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })),
    );
  return f.format(ms);
}

/** Shopify's Decimal as it serializes money: no trailing zeros beyond one decimal ("120.5", "10.0", "1500.0"). */
export function shopifyDecimal(minor: bigint, exponent: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const int = exponent > 0 ? digits.slice(0, digits.length - exponent) : digits;
  const frac = exponent > 0 ? digits.slice(digits.length - exponent).replace(/0+$/, '') : '';
  return `${negative ? '-' : ''}${int}.${frac || '0'}`;
}

export class ShopifyWorld {
  private readonly cache = new Map<string, SandboxOrder[]>();
  readonly shops: readonly SandboxShop[];

  constructor(
    readonly seed: string,
    shops: readonly SandboxShop[] = SANDBOX_SHOPS,
    private readonly firstDay = '2024-01-01',
  ) {
    this.shops = shops;
  }

  shop(domain: string): SandboxShop | undefined {
    return this.shops.find((s) => s.domain === domain.toLowerCase());
  }

  /** Orders created in [fromMs, toMs), oldest first (then by id), that exist at `nowMs`. */
  orders(shop: SandboxShop, fromMs: number, toMs: number, nowMs: number): SandboxOrder[] {
    const end = Math.min(toMs, nowMs + 1);
    if (end <= fromMs) return [];
    const out: SandboxOrder[] = [];
    const firstUtc = new Date(Math.max(fromMs, Date.parse(`${this.firstDay}T00:00:00Z`))).toISOString().slice(0, 10);
    const lastUtc = new Date(end - 1).toISOString().slice(0, 10);
    if (firstUtc > lastUtc) return [];
    for (const day of eachDay(firstUtc, lastUtc)) {
      for (const o of this.ordersOfUtcDay(shop, day)) if (o.createdAtMs >= fromMs && o.createdAtMs < end) out.push(o);
    }
    return out;
  }

  state(order: SandboxOrder, shop: SandboxShop, nowMs: number): OrderState {
    const refunded = order.refund !== null && order.refund.atMs <= nowMs;
    const lineQuantities = order.lines.map((l, i) => l.quantity - (refunded && order.refund!.lineIndex === i ? 1 : 0));
    const currentSubtotalMinor = order.subtotalMinor - (refunded ? order.refund!.valueMinor : 0n);
    const currentTaxMinor = taxOf(currentSubtotalMinor, shop.taxRate);
    return {
      order,
      refunded,
      currentSubtotalMinor,
      currentTaxMinor,
      currentTotalMinor: currentSubtotalMinor + order.shippingMinor + currentTaxMinor,
      currentQuantity: lineQuantities.reduce((n, q) => n + q, 0),
      lineQuantities,
    };
  }

  private ordersOfUtcDay(shop: SandboxShop, day: string): SandboxOrder[] {
    const key = `${shop.domain}|${day}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const r = new SeededRandom(this.seed, shop.domain, day);
    const dayIndex = Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${this.firstDay}T00:00:00Z`)) / DAY_MS);
    const weekend = [0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay());
    const count = Math.round(r.int(shop.ordersPerDay[0], shop.ordersPerDay[1]) * (weekend ? 1.25 : 1));
    const seconds = Array.from({ length: count }, () => r.int(0, 86_399)).sort((a, b) => a - b);
    const scale = shop.exponent === 0 ? 1 : shop.currency === 'INR' ? 30 : 1;
    const orders = seconds.map((sec, i): SandboxOrder => {
      const number = dayIndex * 1000 + i + 1;
      const createdAtMs = Date.parse(`${day}T00:00:00Z`) + sec * 1000;
      const channel = pickWeighted(r, CHANNELS);
      const lines: SandboxLine[] = Array.from({ length: r.int(1, 3) }, (_, li) => {
        const quantity = r.int(1, 3);
        return {
          id: `gid://shopify/LineItem/${shopNumber(shop)}${String(number).padStart(7, '0')}${li + 1}`,
          unitMinor: r.int(1_500, 12_000) * scale,
          quantity,
          currentQuantity: quantity,
        };
      });
      const grossMinor = lines.reduce((n, l) => n + BigInt(l.unitMinor * l.quantity), 0n);
      const discountMinor = r.next() < 0.25 ? (grossMinor * 15n) / 100n : 0n;
      const subtotalMinor = grossMinor - discountMinor;
      const freeFrom = BigInt(7_500 * scale);
      const shippingMinor =
        channel.sourceName === 'pos' || subtotalMinor >= freeFrom
          ? 0n
          : BigInt((shop.exponent === 0 ? 500 : 499) * scale);
      const taxMinor = taxOf(subtotalMinor, shop.taxRate);
      let refund: SandboxOrder['refund'] = null;
      if (r.next() < 0.14) {
        const lineIndex = r.int(0, lines.length - 1);
        const line = lines[lineIndex]!;
        // one unit back, at its share of the order's discount
        const valueMinor = (BigInt(line.unitMinor) * subtotalMinor) / grossMinor;
        refund = { atMs: createdAtMs + r.int(1, 21) * DAY_MS + r.int(0, 86_399) * 1000, lineIndex, valueMinor };
      }
      let journey: SandboxOrder['journey'] = 'none';
      let utm: SandboxOrder['utm'] = null;
      if (channel.sourceName !== 'pos') {
        const p = r.next();
        if (p < 0.65) {
          journey = 'utm';
          const kind = r.int(0, 3);
          utm =
            kind === 0
              ? { source: 'google', medium: 'cpc', campaign: r.pick(shop.campaigns) }
              : kind === 1
                ? { source: 'facebook', medium: 'paid_social', campaign: r.pick(shop.campaigns) }
                : kind === 2
                  ? { source: 'newsletter', medium: 'email', campaign: r.pick(shop.campaigns) }
                  : { source: 'instagram', medium: 'social', campaign: null };
        } else if (p < 0.85) journey = 'no_utm';
      }
      return {
        id: `gid://shopify/Order/${shopNumber(shop)}${String(number).padStart(7, '0')}`,
        number,
        name: `#${1000 + number}`,
        createdAtMs,
        createdAt: new Date(createdAtMs).toISOString().replace('.000Z', 'Z'),
        channel: { name: channel.name, sourceName: channel.sourceName },
        utm,
        journey,
        lines,
        grossMinor,
        discountMinor,
        subtotalMinor,
        shippingMinor,
        taxMinor,
        refund,
      };
    });
    this.cache.set(key, orders);
    return orders;
  }

  /** Exact per-day aggregates of one report at `nowMs`, days in the shop's time zone. */
  truth(
    shop: SandboxShop,
    report: 'orders_daily' | 'orders_by_utm_daily',
    from: string,
    to: string,
    nowMs: number,
  ): TruthRow[] {
    const fromMs = Date.parse(`${addDays(from, -1)}T00:00:00Z`);
    const toMs = Date.parse(`${addDays(to, 2)}T00:00:00Z`);
    const groups = new Map<string, TruthAcc>();
    for (const order of this.orders(shop, fromMs, toMs, nowMs)) {
      const date = dayInZone(order.createdAtMs, shop.timeZone);
      if (date < from || date > to) continue;
      const s = this.state(order, shop, nowMs);
      const dims: Record<string, string> =
        report === 'orders_daily'
          ? { sales_channel: order.channel.name }
          : {
              utm_source: order.utm?.source ?? '(none)',
              utm_medium: order.utm?.medium ?? '(none)',
              utm_campaign: order.utm?.campaign ?? '(none)',
            };
      const key = `${date}|${Object.values(dims).join('|')}`;
      let g = groups.get(key);
      if (!g)
        groups.set(
          key,
          (g = {
            date,
            dims,
            orders: 0,
            units: 0,
            gross: 0n,
            discounts: 0n,
            returns: 0n,
            net: 0n,
            shipping: 0n,
            taxes: 0n,
            total: 0n,
          }),
        );
      g.orders++;
      g.units += s.currentQuantity;
      g.gross += order.grossMinor;
      g.discounts -= order.discountMinor;
      g.returns -= order.subtotalMinor - s.currentSubtotalMinor;
      g.net += s.currentSubtotalMinor;
      g.shipping += order.shippingMinor;
      g.taxes += s.currentTaxMinor;
      g.total += s.currentTotalMinor;
    }
    const fmt = (v: bigint) => canonical(shopifyDecimal(v, shop.exponent));
    return [...groups.values()]
      .sort((a, b) =>
        a.date === b.date
          ? Object.values(a.dims).join('|') < Object.values(b.dims).join('|')
            ? -1
            : 1
          : a.date < b.date
            ? -1
            : 1,
      )
      .map((g) => ({
        date: g.date,
        ...g.dims,
        orders: String(g.orders),
        units: String(g.units),
        gross_sales: fmt(g.gross),
        discounts: fmt(g.discounts),
        returns: fmt(g.returns),
        net_sales: fmt(g.net),
        shipping: fmt(g.shipping),
        taxes: fmt(g.taxes),
        total_sales: fmt(g.total),
        currency: shop.currency,
      }));
  }
}

export type TruthRow = Record<string, string> & { date: string };
interface TruthAcc {
  date: string;
  dims: Record<string, string>;
  orders: number;
  units: number;
  gross: bigint;
  discounts: bigint;
  returns: bigint;
  net: bigint;
  shipping: bigint;
  taxes: bigint;
  total: bigint;
}

function canonical(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** tax on a subtotal, rounded half up to the minor unit */
function taxOf(subtotalMinor: bigint, rate: number): bigint {
  return (subtotalMinor * BigInt(rate) + 50_000n) / 100_000n;
}

function shopNumber(shop: SandboxShop): string {
  return shop.gid.slice(-2);
}

function pickWeighted<T extends { weight: number }>(r: SeededRandom, items: readonly T[]): T {
  const total = items.reduce((n, i) => n + i.weight, 0);
  let x = r.next() * total;
  for (const item of items) {
    x -= item.weight;
    if (x < 0) return item;
  }
  return items[items.length - 1]!;
}
