// normalize alone: exact decimal sums (no float), days in the shop's time zone (half-hour offsets and DST
// included), bulk children matched to their parent by __parentId, and a cut page leaving its last day out.
import { describe, expect, it } from 'vitest';
import type { AccountInfo, RawPage } from '../contract';
import { localDay, localMidnightUtc, normalizeShopifyPage, scaled, unscaled } from './shopify-normalize';

const account: AccountInfo = { id: 'a.myshopify.com', name: 'A', currency: 'USD', timeZone: 'America/New_York' };
const money = (amount: string) => ({ shopMoney: { amount, currencyCode: 'USD' } });
const order = (id: number, createdAt: string, extra: Record<string, unknown> = {}) => ({
  id: `gid://shopify/Order/${id}`,
  createdAt,
  channelInformation: { channelDefinition: { channelName: 'Online Store' } },
  subtotalPriceSet: money('0.1'),
  currentSubtotalPriceSet: money('0.1'),
  totalDiscountsSet: money('0.0'),
  currentShippingPriceSet: money('0.0'),
  currentTotalTaxSet: money('0.0'),
  currentTotalPriceSet: money('0.1'),
  ...extra,
});
const page = (body: unknown, cursor: string | null = 'done'): RawPage => ({ body, cursor, index: 0 });

describe('Shopify normalize', () => {
  it('sums money exactly where floats would not (0.1 + 0.2), with refunds as negative returns', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    const rows = normalizeShopifyPage(
      page([
        {
          data: {
            orders: {
              nodes: [
                order(1, '2026-11-10T15:00:00Z', {
                  subtotalPriceSet: money('0.2'),
                  currentSubtotalPriceSet: money('0.1'),
                  currentTotalPriceSet: money('0.2'),
                  totalDiscountsSet: money('0.05'),
                  currentSubtotalLineItemsQuantity: 1,
                }),
                order(2, '2026-11-10T16:00:00Z', {
                  currentTotalPriceSet: money('0.1'),
                  currentSubtotalLineItemsQuantity: 2,
                }),
              ],
            },
          },
        },
      ]),
      { account, reportType: 'orders_daily', window: { start: '2026-11-10', end: '2026-11-10' } },
    );
    expect(rows).toEqual([
      expect.objectContaining({
        date: '2026-11-10',
        revenue: '0.3',
        currency: 'USD',
        extraDimensions: { sales_channel: 'Online Store' },
        extraMetrics: {
          orders: 2,
          units: 3,
          gross_sales: '0.35',
          discounts: '-0.05',
          returns: '-0.1',
          net_sales: '0.2',
          shipping: '0',
          taxes: '0',
          total_sales: '0.3',
        },
      }),
    ]);
  });

  it('puts an order on the shop-local day, across DST and half-hour offsets', () => {
    expect(localDay('2026-11-10T04:59:59Z', 'America/New_York')).toBe('2026-11-09');
    expect(localDay('2026-11-10T05:00:00Z', 'America/New_York')).toBe('2026-11-10');
    expect(localDay('2026-03-08T04:30:00Z', 'America/New_York')).toBe('2026-03-07');
    expect(localDay('2026-11-10T18:29:59Z', 'Asia/Kolkata')).toBe('2026-11-10');
    expect(localDay('2026-11-10T18:30:00Z', 'Asia/Kolkata')).toBe('2026-11-11');
    expect(new Date(localMidnightUtc('2026-11-11', 'Asia/Kolkata')).toISOString()).toBe('2026-11-10T18:30:00.000Z');
    expect(new Date(localMidnightUtc('2026-03-30', 'Europe/Madrid')).toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });

  it('counts bulk children (__parentId) as the units of their order, wherever they are in the page, by UTM', () => {
    const utm = {
      customerJourneySummary: { lastVisit: { utmParameters: { source: 'google', medium: 'cpc', campaign: 'bfcm' } } },
    };
    const rows = normalizeShopifyPage(
      page([
        { id: 'gid://shopify/LineItem/9', currentQuantity: 4, __parentId: 'gid://shopify/Order/1' },
        order(1, '2026-11-10T15:00:00Z', utm),
        order(2, '2026-11-10T15:30:00Z'),
        { id: 'gid://shopify/LineItem/10', currentQuantity: 1, __parentId: 'gid://shopify/Order/1' },
      ]),
      { account, reportType: 'orders_by_utm_daily', window: { start: '2026-11-10', end: '2026-11-10' } },
    );
    expect(rows.map((r) => [r.campaignId, r.extraDimensions, (r.extraMetrics as { units: number }).units])).toEqual([
      ['bfcm', { utm_source: 'google', utm_medium: 'cpc' }, 5],
      ['(none)', { utm_source: '(none)', utm_medium: '(none)' }, 0],
    ]);
  });

  it('leaves out the day a cut page stops in, and days outside the window', () => {
    const body = [
      {
        data: {
          orders: {
            nodes: [
              order(1, '2026-11-10T15:00:00Z'),
              order(2, '2026-11-11T15:00:00Z'),
              order(3, '2026-11-12T15:00:00Z'),
            ],
          },
        },
      },
    ];
    const meta = { account, reportType: 'orders_daily', window: { start: '2026-11-10', end: '2026-11-12' } };
    expect(normalizeShopifyPage(page(body, 'd|2026-11-11'), meta).map((r) => r.date)).toEqual(['2026-11-10']);
    expect(
      normalizeShopifyPage(page(body), { ...meta, window: { start: '2026-11-11', end: '2026-11-11' } }).map(
        (r) => r.date,
      ),
    ).toEqual(['2026-11-11']);
  });

  it('reads decimals exactly and refuses what is not one', () => {
    expect(unscaled(scaled('-0.5') + scaled('12345678901234.125'))).toBe('12345678901233.625');
    expect(() =>
      normalizeShopifyPage(
        page([
          { data: { orders: { nodes: [order(1, '2026-11-10T15:00:00Z', { currentTotalPriceSet: money('1e3') })] } } },
        ]),
        { account, reportType: 'orders_daily', window: { start: '2026-11-10', end: '2026-11-10' } },
      ),
    ).toThrow(/not a decimal/);
  });
});
