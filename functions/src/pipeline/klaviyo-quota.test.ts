// Covers a Klaviyo run on the local state machine when Klaviyo's daily report quota is spent mid-run: the
// window is handed back (RateLimitedError, quotaExhausted), the run says so on the job while it waits, and
// it continues afterwards instead of failing, ending with the sandbox's exact totals.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConnector } from '@tributary/connectors/registry';
import { SandboxControl } from '@tributary/connectors/sandboxes/base/sandbox-server';
import { startKlaviyoSandbox, type KlaviyoSandbox } from '@tributary/connectors/sandboxes/klaviyo/klaviyo-sandbox';
import { MemoryLogger } from '@tributary/connectors/runtime/test-support';
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
import { startExtractionRun } from './start-run';

const TODAY = '2026-11-23';
const RAW_BUCKET = 'tributary-raw';
let sb: KlaviyoSandbox;
let t: TestDatabase;
let admin: pg.Client;
let s3: S3rverHandle;
let dir: string;
let runner: LocalStepFunctionsRunner;
let deps: PipelineDeps;
const logger = new MemoryLogger();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-klaviyo-pipeline-'));
  // Klaviyo's own limits are off here: the test is about the daily cap's signal, not pacing
  sb = await startKlaviyoSandbox({ today: TODAY, limits: false });
  t = await createTestDatabase();
  admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  s3 = await startS3rver({ port: await freePort(), directory: path.join(dir, 's3'), buckets: [RAW_BUCKET] });
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
    findConnector: getConnector,
    connectorBaseUrls: { klaviyo_api: sb.url },
    retry: { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 },
    maxInProcessRateLimitWaitMs: 0,
    initialHistoryDays: 30,
    accountInfoMaxAgeHours: 24,
  };
  attachPipeline(deps);
}, 240_000);

afterAll(async () => {
  await admin?.end();
  await t?.drop();
  await sb?.stop();
  await s3?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Klaviyo run when the daily quota is spent', () => {
  it('when Klaviyo answers 429 with the daily cap mid-run, the job says so while the window waits, then continues and ends exact', async () => {
    // Prepare: a source of the EUR account, one 2-day window of campaigns; its first report call hits the cap
    const account = sb.world.accounts[1]!;
    const source = await seedDataSource(t.adminUrl, { platform: 'klaviyo' });
    const ref = await deps.secrets.create(
      `klaviyo-${source.credentialId}`,
      { apiKey: sb.keys[account.id]! },
      { organizationId: source.organizationId, projectId: source.projectId, platform: 'klaviyo' },
    );
    await admin.query(`UPDATE credentials SET secret_ref = $2, key_id = $3 WHERE id = $1`, [
      source.credentialId,
      ref.ref,
      ref.keyId,
    ]);
    const metric = account.metrics.find((m) => m.name === 'Placed Order')!;
    await admin.query(`UPDATE data_sources SET extraction_config = $2 WHERE id = $1`, [
      source.dataSourceId,
      JSON.stringify({
        account_id: account.id,
        report_types: ['campaign_daily'],
        options: { conversion_metric_id: metric.id },
      }),
    ]);
    const control = new SandboxControl(sb.url);
    // the 429 says "available in 62 seconds": beyond the steady minute, so it is the day's cap
    await control.arm({ kind: 'rate_limit', target: 'reports', window: 'daily', retryAfterSeconds: 62, times: 1 });
    // Act
    const started = await startExtractionRun(deps, {
      dataSourceId: source.dataSourceId,
      organizationId: source.organizationId,
      trigger: 'backfill',
      backfill: { start: '2026-11-12', end: '2026-11-13' },
    });
    let said: string | null = null;
    let waiting: { error_code: string; wait_s: number } | undefined;
    for (let i = 0; i < 50 && !said; i++) {
      await new Promise((r) => setTimeout(r, 100));
      said =
        (await admin.query(`SELECT error_message FROM extraction_jobs WHERE id = $1`, [started.jobId])).rows[0]
          ?.error_message ?? null;
      // the item records when it resumes (the dashboard shows it)
      waiting = (
        await admin.query(
          `SELECT error_code, round(extract(epoch FROM retry_at - updated_at))::int AS wait_s FROM extraction_work_items WHERE job_id = $1 AND retry_at IS NOT NULL`,
          [started.jobId],
        )
      ).rows[0];
    }
    const outcome = await runner.settled(started.executionId);
    // Assess: while waiting the job said why and when it goes on; afterwards the run succeeded with exact rows
    expect(said).toMatch(/Klaviyo rate limit reached.*retrying in 62 s/);
    expect(logger.text()).toContain('platform quota spent; the window continues when it returns');
    expect(waiting).toEqual({ error_code: 'QUOTA_EXHAUSTED', wait_s: 62 });
    const left = await admin.query(`SELECT 1 FROM extraction_work_items WHERE job_id = $1 AND retry_at IS NOT NULL`, [
      started.jobId,
    ]);
    expect(left.rows).toEqual([]); // cleared once the window loaded
    const job = (await admin.query(`SELECT status, error_message FROM extraction_jobs WHERE id = $1`, [started.jobId]))
      .rows[0];
    expect({ outcome: outcome.status, status: job.status, message: job.error_message }).toEqual({
      outcome: 'SUCCEEDED',
      status: 'succeeded',
      message: null,
    });
    const truth = await control.truth<{ rows: number; conversions: string }>({
      account: account.id,
      from: '2026-11-12',
      to: '2026-11-13',
      report: 'campaign',
      metric: metric.id,
    });
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n, sum(conversions)::text AS conversions FROM extracted_data WHERE data_source_id = $1`,
      [source.dataSourceId],
    );
    expect({ rows: rows[0].n, conversions: Number(rows[0].conversions) }).toEqual({
      rows: truth.rows,
      conversions: Number(truth.conversions),
    });
  }, 180_000);
});
