// The Amazon Ads connector's figures (issue 19), against the Amazon sandbox, through plain fetch:
//  - normalize throughput (rows/s) vs JSON.parse of the same report bodies
//  - Amazon calls for a 90-day extraction of the three campaign reports of every profile vs the minimum the API
//    allows. Reporting v3 is asynchronous and one report spans at most 31 days, so the minimum per 31-day
//    window, report type and profile is: 1 create + the status reads until the report is done + 1 download.
//    The sandbox keeps every report PENDING/PROCESSING for PENDING_POLLS reads (a real report's time depends on
//    Amazon's queue, not on the client), so PENDING_POLLS + 1 reads are necessary; any read beyond them, a
//    second report for the same window or a second download is ours. Here the reports outlast the connector's
//    in-process polls, so each window is also handed to the state machine's wait once (free of requests).
import type { Connector, ConnectorContext, ExtractRequest, RecordMeta } from '../../connectors/src/contract';
import { ReportNotReadyError } from '../../connectors/src/contract';
import { amazonAdsConnector } from '../../connectors/src/amazon-ads/amazon-ads.connector';
import type { AmazonCredential } from '../../connectors/src/amazon-ads/amazon-oauth';
import { KeyValueRateLimiter } from '../../connectors/src/runtime/rate-limiter';
import { runExtract } from '../../connectors/src/runtime/call';
import { addDays } from '../../connectors/src/sandboxes/base/days';
import {
  AMAZON_DEMO_CLIENT,
  amazonSandboxBaseUrls,
  startAmazonSandbox,
} from '../../connectors/src/sandboxes/amazon/amazon-sandbox';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { BenchSuite } from '../harness';
import { quietLogger, requestsFigure, type ExtractedPages } from '../connector-figures';
import { normalizeThroughput } from '../normalize-throughput';

const TODAY = '2026-11-23';
const PENDING_POLLS = 4;
const REPORT_TYPES = ['sp_campaign_daily', 'sb_campaign_daily', 'sd_campaign_daily'];
const ROUTES = ['reports.create', 'reports.get', 'reports.download'];

function windows(start: string, end: string) {
  const out: { start: string; end: string }[] = [];
  for (let s = start; s <= end; s = addDays(s, 31))
    out.push({ start: s, end: addDays(s, 30) < end ? addDays(s, 30) : end });
  return out;
}

const suite: BenchSuite = {
  name: 'connectors-amazon-ads',
  async run({ log }) {
    // larger accounts than the tests' (40 campaigns per profile and product): report bodies of a realistic size
    const sandbox = await startAmazonSandbox({ today: TODAY, pendingPolls: PENDING_POLLS, campaignsPerProfile: 40 });
    try {
      const connector = amazonAdsConnector as Connector<AmazonCredential>;
      const ctx: ConnectorContext<AmazonCredential> = {
        credential: { refreshToken: sandbox.demoRefreshToken },
        baseUrls: amazonSandboxBaseUrls(sandbox.url),
        oauthClient: AMAZON_DEMO_CLIENT,
        rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(), connector.rateLimits),
        logger: quietLogger,
        // the in-process poll delays are waits, not work: skipped here, the calls are what is counted
        sleep: async () => undefined,
      };
      ctx.credential = await connector.refresh!(ctx);
      const { accounts } = await connector.discover(ctx);
      const before = sandbox.requests().byRoute;
      log(`extracting 90 days of three campaign reports for ${accounts.length} profiles from the sandbox`);
      const pages: ExtractedPages = [];
      let minimum = 0;
      let handedToStateMachine = 0;
      for (const account of accounts) {
        for (const reportType of REPORT_TYPES) {
          for (const window of windows(addDays(TODAY, -89), TODAY)) {
            const request: ExtractRequest = { account, reportType, window };
            let resumeCursor: string | null = null;
            for (;;) {
              try {
                for await (const page of runExtract(connector, ctx, { ...request, resumeCursor }))
                  pages.push({ page, meta: request });
                break;
              } catch (err) {
                if (!(err instanceof ReportNotReadyError)) throw err;
                handedToStateMachine++;
                resumeCursor = err.resumeCursor;
              }
            }
            minimum += 1 + (PENDING_POLLS + 1) + 1;
          }
        }
      }
      const after = sandbox.requests().byRoute;
      const requests = ROUTES.reduce((n, r) => n + (after[r] ?? 0) - (before[r] ?? 0), 0);
      log(`${pages.length} reports; ${handedToStateMachine} handed to the state machine's wait once`);
      return [
        normalizeThroughput('amazon_ads', connector, pages),
        requestsFigure(
          'amazon_ads requests for a 90-day extraction',
          requests,
          minimum,
          `per 31-day window, report type and profile, 1 create + ${PENDING_POLLS + 1} status reads ` +
            `(the sandbox's ${PENDING_POLLS} pending ones and the one that finds it done) + 1 download`,
        ),
      ];
    } finally {
      await sandbox.stop();
    }
  },
};

export default suite;
