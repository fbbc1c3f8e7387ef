// The Metricool connector's figures (issue 19), against the Metricool sandbox over HTTP (plain fetch):
//  - normalize throughput (rows/s) vs JSON.parse of the same raw pages
//  - API calls for a 90-day extraction of every brand and report (discover included) vs the minimum the API
//    allows: one brand list, then per brand one timeline call per connected network and metric (timelines
//    serve one metric a call), one posts call per network (Instagram and Facebook: posts, reels and stories),
//    and per ad network one campaign list plus one
//    timeline call per campaign that delivered. A date window returns everything, so there is nothing to page.
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { ConnectorContext, RecordMeta } from '../../connectors/src/contract';
import {
  createMetricoolConnector,
  POST_COLLECTIONS,
  TIMELINE_METRICS,
  type MetricoolCredential,
} from '../../connectors/src/metricool/metricool.connector';
import { runExtract } from '../../connectors/src/runtime/call';
import { KeyValueRateLimiter } from '../../connectors/src/runtime/rate-limiter';
import { addDays } from '../../connectors/src/sandboxes/base/days';
import {
  METRICOOL_SANDBOX_TODAY,
  startMetricoolSandbox,
} from '../../connectors/src/sandboxes/metricool/metricool-sandbox';
import type { BenchSuite } from '../harness';
import { quietLogger, requestsFigure, type ExtractedPages } from '../connector-figures';
import { normalizeThroughput } from '../normalize-throughput';

const WINDOW = { start: addDays(METRICOOL_SANDBOX_TODAY, -89), end: METRICOOL_SANDBOX_TODAY };
const REPORTS = ['account_timeline_daily', 'posts_daily', 'ad_campaigns_daily'];

const suite: BenchSuite = {
  name: 'connectors-metricool',
  async run({ log }) {
    const sandbox = await startMetricoolSandbox({ today: METRICOOL_SANDBOX_TODAY, campaignsPerAccount: 8 });
    try {
      const connector = createMetricoolConnector();
      const ctx: ConnectorContext<MetricoolCredential> = {
        credential: { api_token: sandbox.demoToken, user_id: sandbox.userId },
        baseUrls: { metricool: sandbox.url },
        // the budget only paces calls; a bench measures calls, not our own politeness
        rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(), [{ limit: 100_000, intervalMs: 1_000 }]),
        logger: quietLogger,
      };
      log('extracting 90 days of every Metricool report for every brand from the sandbox');
      const before = sandbox.requests().total;
      const { accounts } = await connector.discover(ctx);
      const pages: ExtractedPages = [];
      const campaigns = new Set<string>();
      for (const account of accounts) {
        for (const reportType of REPORTS) {
          const meta: RecordMeta = { account, reportType, window: WINDOW };
          for await (const page of runExtract(connector, ctx, { account, reportType, window: WINDOW })) {
            pages.push({ page, meta });
            for (const row of connector.normalize(page, meta))
              if (row.campaignId) campaigns.add(`${account.id}|${row.extraDimensions?.network}|${row.campaignId}`);
          }
        }
      }
      const requests = sandbox.requests().total - before;
      let minimum = 1;
      for (const b of sandbox.world.brands) {
        for (const n of b.networks) minimum += TIMELINE_METRICS[n.network].length + POST_COLLECTIONS[n.network].length;
        minimum += b.adNetworks.length;
      }
      minimum += campaigns.size;
      return [
        normalizeThroughput('metricool', connector, pages),
        requestsFigure(
          'metricool requests for a 90-day extraction',
          requests,
          minimum,
          '1 brand list + per brand: network × metric timelines, posts (reels, stories) per network, ' +
            'campaign lists + campaigns',
        ),
      ];
    } finally {
      await sandbox.stop();
    }
  },
};

export default suite;
