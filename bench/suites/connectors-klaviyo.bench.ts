// The Klaviyo connector's figures (issue 18), against the Klaviyo sandbox, through klaviyo-api:
//  - normalize throughput (rows/s) vs JSON.parse of the same pages
//  - report calls for a 90-day extraction of campaign_daily and flow_daily of every account, in the windows the
//    planner cuts (connector.windowDays), vs the minimum the API allows for daily numbers: campaigns have only
//    a values report (no series), so one call per day and page; flows have a daily series of at most 60 days,
//    so ceil(90 / 60) calls and their pages.
// The rate budget runs on a virtual clock: at Klaviyo's 2 report calls a minute the extraction would take
// about 50 minutes of waiting, which is the platform's pace, not the connector's work.
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import type { ConnectorContext, RecordMeta } from '../../connectors/src/contract';
import { createKlaviyoConnector } from '../../connectors/src/klaviyo/klaviyo.connector';
import type { KlaviyoCredential } from '../../connectors/src/klaviyo/klaviyo-oauth';
import { runExtract } from '../../connectors/src/runtime/call';
import { KeyValueRateLimiter } from '../../connectors/src/runtime/rate-limiter';
import { VirtualClock } from '../../connectors/src/runtime/test-support';
import { startKlaviyoSandbox } from '../../connectors/src/sandboxes/klaviyo/klaviyo-sandbox';
import type { BenchSuite } from '../harness';
import { quietLogger, requestsFigure, type ExtractedPages } from '../connector-figures';
import { normalizeThroughput } from '../normalize-throughput';

const TODAY = '2026-11-23';
const WINDOW = { start: '2026-08-26', end: TODAY };
const PAGE_SIZE = 100;
const SERIES_MAX_DAYS = 60;

function windows(w: { start: string; end: string }, days: number): { start: string; end: string }[] {
  const out = [];
  const add = (d: string, n: number) =>
    new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
  for (let s = w.start; s <= w.end; s = add(s, days)) {
    const e = add(s, days - 1);
    out.push({ start: s, end: e < w.end ? e : w.end });
  }
  return out;
}

const suite: BenchSuite = {
  name: 'connectors-klaviyo',
  async run({ log }) {
    const clock = new VirtualClock(Date.parse(`${TODAY}T12:00:00Z`));
    const sandbox = await startKlaviyoSandbox({ today: TODAY, pageSize: PAGE_SIZE, now: clock.now });
    try {
      const connector = createKlaviyoConnector();
      const pages: ExtractedPages = [];
      let minimum = 0;
      let ours = 0;
      for (const a of sandbox.world.accounts) {
        const account = { id: a.id, name: a.name, currency: a.currency, timeZone: a.timeZone };
        const ctx: ConnectorContext<KlaviyoCredential> = {
          credential: { apiKey: sandbox.keys[a.id]! },
          baseUrls: { klaviyo_api: sandbox.url },
          rateLimiter: new KeyValueRateLimiter(new MemoryKeyValueStore(clock.now), connector.rateLimits, {
            now: clock.now,
            sleep: clock.sleep,
          }),
          logger: quietLogger,
          now: clock.now,
          sleep: clock.sleep,
        };
        const options = { conversion_metric_id: a.metrics.find((m) => m.name === 'Placed Order')!.id };
        log(`extracting 90 days of campaigns and flows of ${a.name}`);
        const before = sandbox.requests().byRoute;
        const campaignRowsByDay = new Map<string, number>();
        let flowGroupings = 0;
        for (const reportType of ['campaign_daily', 'flow_daily']) {
          for (const window of windows(WINDOW, connector.windowDays)) {
            const meta: RecordMeta = { account, reportType, window };
            for await (const page of runExtract(connector, ctx, { account, reportType, window, options })) {
              pages.push({ page, meta });
              const body = page.body as { day?: string; response: { data: { attributes: { results: unknown[] } } } };
              if (reportType === 'campaign_daily')
                campaignRowsByDay.set(
                  body.day!,
                  (campaignRowsByDay.get(body.day!) ?? 0) + body.response.data.attributes.results.length,
                );
              else if (window.start === WINDOW.start) flowGroupings += body.response.data.attributes.results.length;
            }
          }
        }
        const after = sandbox.requests().byRoute;
        const reports = (r: Record<string, number>) =>
          (r['campaign-values-reports'] ?? 0) + (r['flow-series-reports'] ?? 0);
        ours += reports(after) - reports(before);
        for (const rows of campaignRowsByDay.values()) minimum += Math.max(1, Math.ceil(rows / PAGE_SIZE));
        minimum += Math.ceil(90 / SERIES_MAX_DAYS) * Math.max(1, Math.ceil(flowGroupings / PAGE_SIZE));
      }
      return [
        normalizeThroughput('klaviyo', connector, pages),
        requestsFigure(
          'klaviyo report calls for a 90-day extraction (campaign_daily + flow_daily, 3 accounts)',
          ours,
          minimum,
          `one campaign values report per day and page + ceil(90 / ${SERIES_MAX_DAYS}) flow series reports ` +
            'and pages per account',
        ),
      ];
    } finally {
      await sandbox.stop();
    }
  },
};

export default suite;
