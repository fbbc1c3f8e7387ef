// The Meta connectors' figures (issue 5), against the Meta Graph sandbox, through facebook-nodejs-business-sdk:
//  - normalize throughput (rows/s) vs JSON.parse of the same raw pages
//  - Graph calls for a 90-day extraction of every account vs the minimum the API allows:
//      Meta Ads (ad level, async report run): 1 POST + 1 status read + ceil(rows / page size) pages per account.
//        The sandbox completes a run by its first status read here: how many more reads a real run needs
//        depends on Meta's queue, not on the connector.
//      Instagram account insights: ceil(days / 30) time-series calls + one totals call per day per account
//        (total_value metrics have no daily breakdown).
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { Connector, ConnectorContext, RecordMeta } from '../../connectors/src/contract';
import { createInstagramConnector } from '../../connectors/src/instagram/instagram.connector';
import { createMetaAdsConnector } from '../../connectors/src/meta-ads/meta-ads.connector';
import type { MetaCredential } from '../../connectors/src/meta-ads/meta-oauth';
import { KeyValueRateLimiter } from '../../connectors/src/runtime/rate-limiter';
import { runExtract } from '../../connectors/src/runtime/call';
import { startMetaSandbox, type MetaSandbox } from '../../connectors/src/sandboxes/meta/meta-sandbox';
import type { BenchFigure, BenchSuite } from '../harness';
import { quietLogger, requestsFigure, type ExtractedPages } from '../connector-figures';
import { normalizeThroughput } from '../normalize-throughput';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const ADS_WINDOW = { start: '2026-08-27', end: '2026-11-24' };
const IG_WINDOW = { start: '2026-08-26', end: '2026-11-23' };
const PAGE_SIZE = 500;

interface Extracted {
  pages: ExtractedPages;
  requests: number;
  minimum: number;
}

function context(sandbox: MetaSandbox, connector: Connector<MetaCredential>): ConnectorContext<MetaCredential> {
  return {
    credential: { accessToken: sandbox.demoToken },
    baseUrls: { meta_graph: sandbox.baseUrl, meta_oauth: sandbox.baseUrl },
    // the sandbox's clock is frozen; the budget here only has to be the connector's own
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(), connector.rateLimits),
    logger: quietLogger,
  };
}

async function extractAll(
  sandbox: MetaSandbox,
  connector: Connector<MetaCredential>,
  reportType: string,
  window: { start: string; end: string },
  routes: string[],
  minimumFor: (rows: number) => number,
): Promise<Extracted> {
  const ctx = context(sandbox, connector);
  const { accounts } = await connector.discover(ctx);
  sandbox.resetRequests();
  const pages: Extracted['pages'] = [];
  let minimum = 0;
  for (const account of accounts) {
    const meta: RecordMeta = { account, reportType, window };
    let rows = 0;
    for await (const page of runExtract(connector, ctx, { account, reportType, window })) {
      pages.push({ page, meta });
      rows += connector.normalize(page, meta).length;
    }
    minimum += minimumFor(rows);
  }
  const byRoute = sandbox.requests().byRoute;
  return { pages, requests: routes.reduce((n, r) => n + (byRoute[r] ?? 0), 0), minimum };
}

function requests(name: string, extracted: Extracted, how: string): BenchFigure {
  return requestsFigure(`${name} requests for a 90-day extraction`, extracted.requests, extracted.minimum, how);
}

const suite: BenchSuite = {
  name: 'connectors-meta',
  async run({ log }) {
    const sandbox = await startMetaSandbox({ now: () => NOW, asyncPollsToComplete: 1, callsPerWindow: 100_000 });
    try {
      const metaAds = createMetaAdsConnector({ pageSize: PAGE_SIZE });
      log('extracting 90 days of ad-level Meta Ads insights from the sandbox');
      const ads = await extractAll(
        sandbox,
        metaAds,
        'ad_daily',
        ADS_WINDOW,
        ['insights', 'insights_async_create', 'report_run_status', 'report_run_insights'],
        (rows) => 2 + Math.max(1, Math.ceil(rows / PAGE_SIZE)),
      );
      const instagram = createInstagramConnector();
      log('extracting 90 days of Instagram account insights from the sandbox');
      const ig = await extractAll(
        sandbox,
        instagram,
        'account_daily',
        IG_WINDOW,
        ['ig_insights'],
        () => Math.ceil(90 / 30) + 90,
      );
      return [
        normalizeThroughput('meta_ads', metaAds, ads.pages),
        requests('meta_ads', ads, `1 report run + 1 status read + ceil(rows / ${PAGE_SIZE}) pages per account`),
        normalizeThroughput('instagram', instagram, ig.pages),
        requests('instagram', ig, 'ceil(days / 30) + days per account'),
      ];
    } finally {
      await sandbox.stop();
    }
  },
};

export default suite;
