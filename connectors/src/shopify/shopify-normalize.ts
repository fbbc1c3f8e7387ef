// Pure: a Shopify page (GraphQL order pages, or the JSONL records of a bulk result file) into fact rows, one
// per shop day and sales channel (orders_daily) or last-visit UTM source/medium/campaign (orders_by_utm_daily).
//
// The connector cuts pages on day boundaries (a day never spans two pages), so each page's sums are whole; a
// page whose cursor is d|DAY holds the start of DAY too, which the next page reads again whole.
// Days are the shop's (meta.account.timeZone); money stays in the shop's currency as exact decimals: amounts
// are summed as integers of 10^-6 (bigint), never as floats. Shopify's sales report definitions, per order:
//   gross_sales = subtotalPriceSet + totalDiscountsSet      (line items at their original prices)
//   discounts   = -totalDiscountsSet
//   returns     = -(subtotalPriceSet - currentSubtotalPriceSet)   (items refunded or edited away since)
//   net_sales   = currentSubtotalPriceSet  (= gross + discounts + returns)
//   shipping    = currentShippingPriceSet, taxes = currentTotalTaxSet, total_sales = currentTotalPriceSet
// The "current" fields follow refunds and edits, so an old day's numbers change: the lookback re-reads them.
// total_sales is the fact table's revenue; everything else goes to extraMetrics (named in the catalog).
import type { FactRow } from '@tributary/shared/domain/fact-row';
import { FatalConnectorError, type RawPage, type RecordMeta } from '../contract';

export const ORDER_METRICS = [
  'orders',
  'units',
  'gross_sales',
  'discounts',
  'returns',
  'net_sales',
  'shipping',
  'taxes',
  'total_sales',
] as const;

interface Money {
  shopMoney?: { amount?: string; currencyCode?: string };
}
export interface OrderNode {
  id: string;
  createdAt: string;
  sourceName?: string | null;
  channelInformation?: { channelDefinition?: { channelName?: string | null } | null } | null;
  customerJourneySummary?: {
    lastVisit?: {
      utmParameters?: { source?: string | null; medium?: string | null; campaign?: string | null } | null;
    } | null;
  } | null;
  currentSubtotalLineItemsQuantity?: number;
  subtotalPriceSet?: Money;
  currentSubtotalPriceSet?: Money;
  totalDiscountsSet?: Money;
  currentShippingPriceSet?: Money;
  currentTotalTaxSet?: Money;
  currentTotalPriceSet?: Money;
  __parentId?: string;
}

const SCALE = 6;
const NONE = '(none)';

/** "120.5" → 120500000n (10^-6 units); throws on anything that is not a plain decimal */
export function scaled(amount: string | undefined): bigint {
  if (amount === undefined) return 0n;
  const dot = amount.indexOf('.');
  const int = dot < 0 ? amount : amount.slice(0, dot);
  const frac = dot < 0 ? '' : amount.slice(dot + 1);
  if (frac.length > SCALE || !/^-?\d+$/.test(int) || (frac !== '' && !/^\d+$/.test(frac)))
    throw new Error(`not a decimal amount: ${amount}`);
  // "-0.5" reads as -0500000: BigInt keeps the sign of a leading zero's string
  return BigInt(int + frac.padEnd(SCALE, '0'));
}

/** 120500000n → "120.5": the shortest exact decimal */
export function unscaled(v: bigint): string {
  const negative = v < 0n;
  const digits = (negative ? -v : v).toString().padStart(SCALE + 1, '0');
  const frac = digits.slice(-SCALE).replace(/0+$/, '');
  return `${negative ? '-' : ''}${digits.slice(0, -SCALE)}${frac ? `.${frac}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------
// days in the shop's time zone: the offset is looked up once per UTC hour (Intl is slow per call)

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
const hourOffsets = new Map<string, Map<string, number>>();

function offsetMinutesAt(utcMs: number, timeZone: string): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(utcMs)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/** The shop-local calendar day of an instant Shopify sent ("2026-01-02T10:00:00Z"). */
export function localDay(iso: string, timeZone: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${iso}`);
  let byHour = hourOffsets.get(timeZone);
  if (!byHour) hourOffsets.set(timeZone, (byHour = new Map()));
  const hourStart = ms - (((ms % 3_600_000) + 3_600_000) % 3_600_000);
  const key = String(hourStart);
  let offset = byHour.get(key);
  if (offset === undefined) {
    offset = offsetMinutesAt(hourStart, timeZone);
    // zones change offset on whole UTC hours or half hours: the half hour is checked too
    if (offsetMinutesAt(hourStart + 1_800_000, timeZone) !== offset) offset = offsetMinutesAt(ms, timeZone);
    else byHour.set(key, offset);
  }
  return new Date(ms + offset * 60_000).toISOString().slice(0, 10);
}

/** The UTC instant a shop-local day starts at. */
export function localMidnightUtc(day: string, timeZone: string): number {
  const guess = Date.parse(`${day}T00:00:00Z`);
  let t = guess - offsetMinutesAt(guess, timeZone) * 60_000;
  t = guess - offsetMinutesAt(t, timeZone) * 60_000;
  return t;
}

// ---------------------------------------------------------------------------------------------------

interface Acc {
  date: string;
  dims: string[];
  orders: number;
  units: number;
  gross: bigint;
  discounts: bigint;
  returns: bigint;
  net: bigint;
  shipping: bigint;
  taxes: bigint;
  total: bigint;
  currency: string | undefined;
}

/** The orders of a page (GraphQL responses or bulk JSONL records) and the bulk children's quantities. */
function ordersOf(body: unknown): { orders: OrderNode[]; childUnits: Map<string, number> | null } {
  if (!Array.isArray(body))
    throw new FatalConnectorError('a Shopify page is not a list of responses or records', 'shopify');
  const orders: OrderNode[] = [];
  let childUnits: Map<string, number> | null = null;
  for (const item of body as Record<string, unknown>[]) {
    if (item === null || typeof item !== 'object')
      throw new FatalConnectorError('a Shopify page holds something that is not an object', 'shopify');
    if ('data' in item || 'extensions' in item) {
      const conn = (item.data as { orders?: { nodes?: OrderNode[]; edges?: { node: OrderNode }[] } } | undefined)
        ?.orders;
      if (!conn) throw new FatalConnectorError('a Shopify orders page has no data.orders', 'shopify');
      if (conn.nodes) for (const n of conn.nodes) orders.push(n);
      else for (const e of conn.edges ?? []) orders.push(e.node);
    } else if (typeof item.__parentId === 'string') {
      childUnits ??= new Map();
      childUnits.set(
        item.__parentId,
        (childUnits.get(item.__parentId) ?? 0) + Number((item as { currentQuantity?: number }).currentQuantity ?? 0),
      );
    } else {
      orders.push(item as unknown as OrderNode);
    }
  }
  return { orders, childUnits };
}

export function normalizeShopifyPage(page: RawPage, meta: RecordMeta): FactRow[] {
  const byUtm = meta.reportType === 'orders_by_utm_daily';
  const { orders, childUnits } = ordersOf(page.body);
  const groups = new Map<string, Acc>();
  const tz = meta.account.timeZone;
  // a paged page cut inside a day stops before it (cursor d|day): the next page reads that day from its start
  const before = typeof page.cursor === 'string' && page.cursor.startsWith('d|') ? page.cursor.slice(2) : null;
  for (const o of orders) {
    if (typeof o.id !== 'string' || typeof o.createdAt !== 'string')
      throw new FatalConnectorError('a Shopify order has no id or createdAt', 'shopify');
    const date = localDay(o.createdAt, tz);
    // the query's UTC range is the window's local days; anything else is not this window's
    if (date < meta.window.start || date > meta.window.end || (before !== null && date >= before)) continue;
    let dims: string[];
    if (byUtm) {
      const utm = o.customerJourneySummary?.lastVisit?.utmParameters;
      dims = [utm?.source || NONE, utm?.medium || NONE, utm?.campaign || NONE];
    } else {
      dims = [o.channelInformation?.channelDefinition?.channelName || o.sourceName || 'Unknown'];
    }
    const key = `${date}\u0000${dims.join('\u0000')}`;
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
          currency: undefined,
        }),
      );
    try {
      const subtotal = scaled(o.subtotalPriceSet?.shopMoney?.amount);
      const current = scaled(o.currentSubtotalPriceSet?.shopMoney?.amount);
      const discount = scaled(o.totalDiscountsSet?.shopMoney?.amount);
      g.orders++;
      g.units += o.currentSubtotalLineItemsQuantity ?? childUnits?.get(o.id) ?? 0;
      g.gross += subtotal + discount;
      g.discounts -= discount;
      g.returns -= subtotal - current;
      g.net += current;
      g.shipping += scaled(o.currentShippingPriceSet?.shopMoney?.amount);
      g.taxes += scaled(o.currentTotalTaxSet?.shopMoney?.amount);
      g.total += scaled(o.currentTotalPriceSet?.shopMoney?.amount);
    } catch (err) {
      throw new FatalConnectorError(`Shopify order ${o.id}: ${(err as Error).message}`, 'shopify');
    }
    g.currency ??= o.subtotalPriceSet?.shopMoney?.currencyCode ?? o.currentTotalPriceSet?.shopMoney?.currencyCode;
  }
  const rows: FactRow[] = [];
  for (const g of groups.values()) {
    const total = unscaled(g.total);
    rows.push({
      dataType: meta.reportType,
      date: g.date,
      accountId: meta.account.id,
      accountName: meta.account.name,
      ...(byUtm
        ? {
            campaignId: g.dims[2]!,
            campaignName: g.dims[2]!,
            extraDimensions: { utm_source: g.dims[0]!, utm_medium: g.dims[1]! },
          }
        : { extraDimensions: { sales_channel: g.dims[0]! } }),
      revenue: total,
      currency: g.currency ?? meta.account.currency,
      extraMetrics: {
        orders: g.orders,
        units: g.units,
        gross_sales: unscaled(g.gross),
        discounts: unscaled(g.discounts),
        returns: unscaled(g.returns),
        net_sales: unscaled(g.net),
        shipping: unscaled(g.shipping),
        taxes: unscaled(g.taxes),
        total_sales: total,
      },
    });
  }
  return rows;
}
