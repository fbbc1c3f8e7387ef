// Covers waiting for a platform job that takes long (an Amazon Ads report) in the state machine, not in a
// Lambda: the ASL file executed by aws-local-stepfunctions, the real planner/worker/finalizer, the Amazon
// sandbox with reports that stay PENDING for several polls, s3rver and the embedded PostgreSQL. The worker
// hands back report_pending with the report's cursor, the Wait state waits, and the next extract polls the
// same report: 90 days of three report types end equal to the sandbox's truth per day and campaign.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmazonAdsConnector } from '@tributary/connectors/amazon-ads/amazon-ads.connector';
import type { Connector } from '@tributary/connectors/contract';
import { getConnector } from '@tributary/connectors/registry';
import { MemoryLogger, canonicalDecimal } from '@tributary/connectors/runtime/test-support';
import { addDays } from '@tributary/connectors/sandboxes/base/days';
import { SandboxControl } from '@tributary/connectors/sandboxes/base/sandbox-server';
import {
  AMAZON_DEMO_CLIENT,
  AMAZON_SANDBOX_PROFILES,
  amazonSandboxBaseUrls,
  startAmazonSandbox,
  type AmazonSandbox,
} from '@tributary/connectors/sandboxes/amazon/amazon-sandbox';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { REPORT_WAIT, reportWaitSeconds } from './pipeline-types';
import { startPipelineWorld, type PipelineWorld } from './pipeline-world.test-support';

const TODAY = '2026-11-23';
const PROFILE = AMAZON_SANDBOX_PROFILES[1]!; // EUR, Europe/Madrid, EU host
const PENDING_POLLS = 3;
const REPORT_TYPES = ['sp_campaign_daily', 'sb_campaign_daily', 'sd_campaign_daily'];
const HEAVY_MS = 240_000;

let sandbox: AmazonSandbox;
let control: SandboxControl;
let world: PipelineWorld;
let admin: pg.Client;
const logger = new MemoryLogger();
// one poll per extract, a few ms apart: every wait beyond it is the state machine's
const amazon = createAmazonAdsConnector({ inProcessPolls: 1, pollDelayMs: () => 5 });

beforeAll(async () => {
  sandbox = await startAmazonSandbox({ today: TODAY, pendingPolls: PENDING_POLLS });
  control = new SandboxControl(sandbox.url);
  world = await startPipelineWorld({
    name: 'report-pending',
    today: TODAY,
    deps: {
      logger,
      findConnector: (p) => (p === 'amazon_ads' ? (amazon as Connector<unknown>) : getConnector(p)),
      connectorBaseUrls: amazonSandboxBaseUrls(sandbox.url),
      oauthClients: { amazon_ads: AMAZON_DEMO_CLIENT },
    },
  });
  admin = world.admin;
}, HEAVY_MS);

afterAll(async () => {
  await world?.stop();
  await sandbox?.stop();
});

const amazonSource = (startDate: string) =>
  world.connectSource({
    platform: 'amazon_ads',
    secretPrefix: 'amazon',
    secret: { refreshToken: sandbox.demoRefreshToken },
    extractionConfig: { account_id: PROFILE.profileId, report_types: REPORT_TYPES, start_date: startDate },
  });

const run = (source: { dataSourceId: string; organizationId: string }) => world.run(source);

/** Every (report type, day, campaign) in the fact table equals the sandbox's truth, exactly, once. */
async function expectEqualsTruth(dataSourceId: string, from: string, to: string) {
  for (const reportType of REPORT_TYPES) {
    const truth = (
      await control.truth<{
        groups: Record<string, { impressions: string; clicks: string; cost: string; purchases: string; sales: string }>;
      }>({ profile: PROFILE.profileId, reportType, from, to, groupBy: 'day_campaign' })
    ).groups;
    const rows = (
      await admin.query(
        `SELECT data_date::text || '|' || campaign_id AS key, impressions::text, clicks::text, cost::text, conversions::text AS purchases, revenue::text AS sales, currency
       FROM extracted_data WHERE data_source_id = $1 AND data_type = $2`,
        [dataSourceId, reportType],
      )
    ).rows;
    expect(rows.length, reportType).toBe(Object.keys(truth).length);
    const got = Object.fromEntries(
      rows.map((r) => [
        r.key,
        {
          impressions: canonicalDecimal(r.impressions),
          clicks: canonicalDecimal(r.clicks),
          cost: canonicalDecimal(r.cost),
          purchases: canonicalDecimal(r.purchases),
          sales: canonicalDecimal(r.sales),
          currency: r.currency,
        },
      ]),
    );
    expect(got).toEqual(
      Object.fromEntries(
        Object.entries(truth).map(([k, v]) => [
          k,
          {
            impressions: v.impressions,
            clicks: v.clicks,
            cost: v.cost,
            purchases: v.purchases,
            sales: v.sales,
            currency: 'EUR',
          },
        ]),
      ),
    );
  }
}

describe('a report that takes long waits in the state machine', () => {
  it(
    'when every report stays pending for several polls, each item waits in the Wait state, resumes the same report, and 90 days equal the truth; a restatement run re-extracts the attribution windows',
    async () => {
      const start = addDays(TODAY, -89);
      const source = await amazonSource(start);
      await control.resetRequests();
      const first = await run(source);
      expect(first.outcome.status, JSON.stringify(first.outcome)).toBe('SUCCEEDED');
      expect(first.job.status).toBe('succeeded');
      const items = (
        await admin.query(`SELECT item_key, status, resume_cursor FROM extraction_work_items WHERE job_id = $1`, [
          first.jobId,
        ])
      ).rows;
      expect(items).toHaveLength(9); // three 31-day windows of three report types
      expect(items.every((i) => i.status === 'succeeded' && i.resume_cursor === null)).toBe(true);
      // one report per item, never a second: each resumption polled the report its cursor named
      const byRoute = (await control.requests()).byRoute;
      expect(byRoute['reports.create']).toBe(9);
      expect(byRoute['reports.get']).toBe(9 * (PENDING_POLLS + 1));
      expect(byRoute['reports.download']).toBe(9);
      // every pending poll went through the state machine: report_pending, Wait, extract again
      expect(
        logger.lines.filter(
          (l) =>
            l.message === 'platform job still running; the state machine waits' &&
            String(l.fields?.jobId) === first.jobId,
        ),
      ).toHaveLength(9 * PENDING_POLLS);
      await expectEqualsTruth(source.dataSourceId, start, TODAY);

      // later calls restate the last days' attributed sales; the next run re-extracts each type's window
      await control.advance(2);
      const second = await run(source);
      expect(second.job.status).toBe('succeeded');
      expect(second.job.window_start).toBe(addDays(TODAY, -14)); // SB/SD: 14-day attribution plus the day itself
      expect(Number(second.job.rows_updated)).toBeGreaterThan(0);
      await expectEqualsTruth(source.dataSourceId, start, TODAY);
    },
    HEAVY_MS,
  );

  it('when the waits are added up, the bound lets a report take hours (Amazon: up to about three) before the item fails; the ASL holds the same bound', () => {
    let total = 0;
    const waits: number[] = [];
    for (let n = 0; n < REPORT_WAIT.maxWaits; n++) waits.push(reportWaitSeconds(n, 30_000));
    for (const w of waits) total += w;
    expect(waits.slice(0, 6)).toEqual([30, 60, 120, 240, 480, 900]);
    expect(total).toBeGreaterThan(4 * 3600);
    // a longer hint from the connector is honoured
    expect(reportWaitSeconds(0, 120_000)).toBe(120);
    type Choice = { Next: string; And?: { Variable: string; StringEquals?: string; NumericLessThanEquals?: number }[] };
    const asl = JSON.parse(EXTRACTION_DEFINITION) as {
      States: { ExtractWorkItems: { ItemProcessor: { States: Record<string, { Choices?: Choice[] }> } } };
    };
    const choice = asl.States.ExtractWorkItems.ItemProcessor.States.RateLimited!.Choices!.find(
      (c) => c.Next === 'WaitForReport',
    )!;
    expect(choice.And!.find((c) => c.Variable === '$.result.reportWaits')!.NumericLessThanEquals).toBe(
      REPORT_WAIT.maxWaits,
    );
  });
});
