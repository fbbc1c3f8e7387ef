// The Shopify connector's figures (issue 18), against the Shopify sandbox, through @shopify/admin-api-client:
//  - normalize throughput (rows/s) vs JSON.parse of the same pages (bulk JSONL records grouped by day)
//  - requests for a 90-day extraction of every shop vs the minimum the API allows: a bulk operation is one
//    bulkOperationRunQuery, one bulkOperation(id) read that sees it COMPLETED (the sandbox completes it by its
//    first read here: how many more a real one needs depends on Shopify's queue, not on the connector) and
//    one download of the JSONL file, per shop and report
//  - requests for a 30-day lookback read with paged queries vs ceil(orders / 250), the fewest pages there are
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { ConnectorContext, RecordMeta } from '../../connectors/src/contract';
import { KeyValueRateLimiter } from '../../connectors/src/runtime/rate-limiter';
import { runExtract } from '../../connectors/src/runtime/call';
import { startShopifySandbox, type ShopifySandbox } from '../../connectors/src/sandboxes/shopify/shopify-sandbox';
import { createShopifyConnector } from '../../connectors/src/shopify/shopify.connector';
import type { ShopifyCredential } from '../../connectors/src/shopify/shopify-oauth';
import type { BenchFigure, BenchSuite } from '../harness';
import { quietLogger, requestsFigure, type ExtractedPages } from '../connector-figures';
import { normalizeThroughput } from '../normalize-throughput';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const WINDOW_90 = { start: '2026-08-27', end: '2026-11-24' };
const WINDOW_30 = { start: '2026-10-26', end: '2026-11-24' };
const connector = createShopifyConnector({ bulkPollIntervalMs: 1 });

interface Extracted {
  pages: ExtractedPages;
  requests: number;
  minimum: number;
}

function context(
  sandbox: ShopifySandbox,
  shop: { domain: string; staticToken: string },
): ConnectorContext<ShopifyCredential> {
  return {
    credential: { shop: shop.domain, accessToken: shop.staticToken },
    baseUrls: { shopify_admin: sandbox.url },
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(), connector.rateLimits),
    rateBucket: `shopify:${shop.domain}`,
    logger: quietLogger,
  };
}

async function extractAll(
  sandbox: ShopifySandbox,
  reportType: string,
  window: { start: string; end: string },
  minimumFor: (orders: number) => number,
): Promise<Extracted> {
  const pages: Extracted['pages'] = [];
  let minimum = 0;
  sandbox.resetOperations();
  for (const shop of sandbox.world.shops) {
    const ctx = context(sandbox, shop);
    const account = { id: shop.domain, name: shop.name, currency: shop.currency, timeZone: shop.timeZone };
    const meta: RecordMeta = { account, reportType, window };
    let orders = 0;
    for await (const page of runExtract(connector, ctx, { account, reportType, window })) {
      pages.push({ page, meta });
      for (const row of connector.normalize(page, meta))
        orders += Number((row.extraMetrics as { orders: number }).orders);
    }
    minimum += minimumFor(orders);
  }
  const ops = sandbox.operations();
  return { pages, requests: Object.entries(ops).reduce((n, [, v]) => n + v, 0), minimum };
}

function requests(name: string, extracted: Extracted, how: string): BenchFigure {
  return requestsFigure(`${name} requests`, extracted.requests, extracted.minimum, how);
}

const suite: BenchSuite = {
  name: 'connectors-shopify',
  async run({ log }) {
    const sandbox = await startShopifySandbox({ now: () => NOW, bulkPollsToComplete: 1 });
    try {
      log('extracting 90 days of orders of every sandbox shop through bulk operations');
      const bulk = await extractAll(sandbox, 'orders_daily', WINDOW_90, () => 3);
      log('reading a 30-day lookback of every sandbox shop with paged queries');
      const paged = await extractAll(sandbox, 'orders_by_utm_daily', WINDOW_30, (orders) =>
        Math.max(1, Math.ceil(orders / 250)),
      );
      return [
        normalizeThroughput('shopify (bulk JSONL, 90 days)', connector, bulk.pages),
        requests(
          'shopify 90-day extraction (bulk)',
          bulk,
          '1 bulkOperationRunQuery + 1 status read + 1 download per shop',
        ),
        normalizeThroughput('shopify (paged GraphQL, 30 days)', connector, paged.pages),
        requests('shopify 30-day lookback (paged)', paged, 'ceil(orders / 250) pages per shop'),
      ];
    } finally {
      await sandbox.stop();
    }
  },
};

export default suite;
