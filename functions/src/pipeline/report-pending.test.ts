// Covers waiting for a platform job that takes long (an Amazon Ads report) in the state machine, not in a
// Lambda: the ASL file executed by aws-local-stepfunctions, the real planner/worker/finalizer, the Amazon
// sandbox with reports that stay PENDING for several polls, s3rver and the embedded PostgreSQL. The worker
// hands back report_pending with the report's cursor, the Wait state waits, and the next extract polls the
// same report: 90 days of three report types end equal to the sandbox's truth per day and campaign.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
import { LocalEnvelopeSecretStore } from '@tributary/shared/adapters/local-envelope-secret-store';
import { LocalStepFunctionsRunner } from '@tributary/shared/adapters/local-step-functions-runner';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import { S3BlobStore } from '@tributary/shared/adapters/s3-blob-store';
import { s3Client } from '@tributary/shared/config/adapters';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startS3rver, type S3rverHandle } from '@tributary/shared/local/s3rver';
import { InMemoryProgressPublisher } from '@tributary/shared/ports/progress-events';
import { seedDataSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { attachPipeline } from './pipeline';
import type { PipelineDeps } from './pipeline-deps';
import { REPORT_WAIT, reportWaitSeconds } from './pipeline-types';
import { startExtractionRun } from './start-run';

const TODAY = '2026-11-23';
const PROFILE = AMAZON_SANDBOX_PROFILES[1]!; // EUR, Europe/Madrid, EU host
const PENDING_POLLS = 3;
const REPORT_TYPES = ['sp_campaign_daily', 'sb_campaign_daily', 'sd_campaign_daily'];
const RAW_BUCKET = 'tributary-raw';
const HEAVY_MS = 240_000;

let sandbox: AmazonSandbox;
let control: SandboxControl;
let t: TestDatabase;
let admin: pg.Client;
let s3: S3rverHandle;
let dir: string;
let runner: LocalStepFunctionsRunner;
let deps: PipelineDeps;
const logger = new MemoryLogger();
// one poll per extract, a few ms apart: every wait beyond it is the state machine's
const amazon = createAmazonAdsConnector({ inProcessPolls: 1, pollDelayMs: () => 5 });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-report-pending-'));
  sandbox = await startAmazonSandbox({ today: TODAY, pendingPolls: PENDING_POLLS });
  control = new SandboxControl(sandbox.url);
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  s3 = await startS3rver({ port: await freePort(), directory: path.join(dir, 's3'), buckets: [RAW_BUCKET] });
  // Wait and Retry intervals shortened: the states and their order are what is tested
  runner = new LocalStepFunctionsRunner(EXTRACTION_DEFINITION, { retryIntervalMs: 5, waitMs: 5 });
  deps = {
    db: t.db,
    blobs: new S3BlobStore(
      s3Client({
        kind: 's3',
        region: 'us-east-1',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        archiveBucket: 'a',
        rawBucket: RAW_BUCKET,
      }),
    ),
    rawBucket: RAW_BUCKET,
    secrets: new LocalEnvelopeSecretStore({
      keyFile: path.join(dir, 'master.key'),
      storeDir: path.join(dir, 'secrets'),
    }),
    kv: new MemoryKeyValueStore(),
    clock: { now: () => new Date(`${TODAY}T12:00:00Z`) },
    progress: new InMemoryProgressPublisher(),
    workflow: runner,
    logger,
    findConnector: (p) => (p === 'amazon_ads' ? (amazon as Connector<unknown>) : getConnector(p)),
    connectorBaseUrls: amazonSandboxBaseUrls(sandbox.url),
    oauthClients: { amazon_ads: AMAZON_DEMO_CLIENT },
    retry: { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 },
    maxInProcessRateLimitWaitMs: 0,
    initialHistoryDays: 30,
    accountInfoMaxAgeHours: 24,
  };
  attachPipeline(deps);
}, HEAVY_MS);

afterAll(async () => {
  await admin?.end();
  await t?.drop();
  await sandbox?.stop();
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function amazonSource(startDate: string) {
  const source = await seedDataSource(t.adminUrl, { platform: 'amazon_ads' });
  const ref = await deps.secrets.create(
    `amazon-${source.credentialId}`,
    { refreshToken: sandbox.demoRefreshToken },
    { organizationId: source.organizationId, projectId: source.projectId, platform: 'amazon_ads' },
  );
  await admin.query(`UPDATE credentials SET secret_ref = $2, key_id = $3 WHERE id = $1`, [
    source.credentialId,
    ref.ref,
    ref.keyId,
  ]);
  await admin.query(`UPDATE data_sources SET extraction_config = $2 WHERE id = $1`, [
    source.dataSourceId,
    JSON.stringify({ account_id: PROFILE.profileId, report_types: REPORT_TYPES, start_date: startDate }),
  ]);
  return source;
}

async function run(source: { dataSourceId: string; organizationId: string }) {
  const started = await startExtractionRun(deps, {
    dataSourceId: source.dataSourceId,
    organizationId: source.organizationId,
    trigger: 'manual',
  });
  const outcome = await runner.settled(started.executionId);
  const job = (
    await admin.query(`SELECT *, window_start::text AS window_start FROM extraction_jobs WHERE id = $1`, [
      started.jobId,
    ])
  ).rows[0];
  return { ...started, outcome, job };
}

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
