// The Google connectors' figures (issue 5), against the Google sandbox, through the official libraries:
//  - normalize throughput (rows/s) vs JSON.parse of the same raw pages: normalize should cost about as
//    much as reading the bytes, not several times more
//  - requests made for a 90-day extraction of every account vs the minimum the page size allows
//    (Google Ads: one searchStream per window; GA4: ceil(rowCount / limit) runReport calls)
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { Connector, ConnectorContext, RecordMeta } from '../../connectors/src/contract';
import { createGa4Connector, GA4_PAGE_ROWS } from '../../connectors/src/ga4/ga4.connector';
import { googleAdsConnector } from '../../connectors/src/google-ads/google-ads.connector';
import type { GoogleCredential } from '../../connectors/src/google-ads/google-oauth';
import { KeyValueRateLimiter } from '../../connectors/src/runtime/rate-limiter';
import { runExtract } from '../../connectors/src/runtime/call';
import { addDays } from '../../connectors/src/sandboxes/base/days';
import {
  GOOGLE_DEMO_CLIENT,
  GOOGLE_DEMO_DEVELOPER_TOKEN,
  startGoogleSandbox,
  type GoogleSandbox,
} from '../../connectors/src/sandboxes/google/google-sandbox';
import type { BenchFigure, BenchSuite } from '../harness';
import { quietLogger, requestsFigure, type ExtractedPages } from '../connector-figures';
import { normalizeThroughput } from '../normalize-throughput';

const TODAY = '2026-11-23';
const WINDOW = { start: addDays(TODAY, -89), end: TODAY };

function context(sandbox: GoogleSandbox, connector: Connector<GoogleCredential>): ConnectorContext<GoogleCredential> {
  return {
    credential: {
      refreshToken: sandbox.demoRefreshToken,
      clientId: GOOGLE_DEMO_CLIENT.clientId,
      clientSecret: GOOGLE_DEMO_CLIENT.clientSecret,
      developerToken: GOOGLE_DEMO_DEVELOPER_TOKEN,
    },
    baseUrls: {
      google_ads: sandbox.url,
      google_oauth_token: sandbox.url,
      ga4_data: sandbox.url,
      ga4_admin: sandbox.url,
    },
    rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(), connector.rateLimits),
    logger: quietLogger,
  };
}

interface Extracted {
  pages: ExtractedPages;
  requests: number;
  minimum: number;
}

async function extractAll(
  sandbox: GoogleSandbox,
  connector: Connector<GoogleCredential>,
  reportType: string,
  route: string,
  minimumFor: (rows: number) => number,
): Promise<Extracted> {
  const ctx = context(sandbox, connector);
  ctx.credential = await connector.refresh!(ctx);
  const { accounts } = await connector.discover(ctx);
  const before = sandbox.requests().byRoute[route] ?? 0;
  const pages: Extracted['pages'] = [];
  let minimum = 0;
  for (const account of accounts) {
    const meta: RecordMeta = { account, reportType, window: WINDOW };
    let rows = 0;
    for await (const page of runExtract(connector, ctx, { account, reportType, window: WINDOW })) {
      pages.push({ page, meta });
      rows += connector.normalize(page, meta).length;
    }
    minimum += minimumFor(rows);
  }
  return { pages, requests: (sandbox.requests().byRoute[route] ?? 0) - before, minimum };
}

function requests(name: string, extracted: Extracted, how: string): BenchFigure {
  return requestsFigure(`${name} requests for a 90-day extraction`, extracted.requests, extracted.minimum, how);
}

const suite: BenchSuite = {
  name: 'connectors-google',
  async run({ log }) {
    const sandbox = await startGoogleSandbox({ today: TODAY });
    try {
      log('extracting 90 days of ad-level Google Ads rows from the sandbox');
      const ads = await extractAll(sandbox, googleAdsConnector, 'ad_daily', 'google_ads.searchStream', () => 1);
      const ga4Connector = createGa4Connector();
      log('extracting 90 days of GA4 traffic from the sandbox');
      const ga4 = await extractAll(sandbox, ga4Connector, 'traffic_daily', 'ga4.runReport', (rows) =>
        Math.max(1, Math.ceil(rows / GA4_PAGE_ROWS)),
      );
      return [
        normalizeThroughput('google_ads', googleAdsConnector, ads.pages),
        requests('google_ads', ads, 'one searchStream per account and window'),
        normalizeThroughput('ga4', ga4Connector, ga4.pages),
        requests('ga4', ga4, `ceil(rowCount / ${GA4_PAGE_ROWS}) per property`),
      ];
    } finally {
      await sandbox.stop();
    }
  },
};

export default suite;
