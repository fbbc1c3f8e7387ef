// The world the pipeline's state-machine tests run in: the ASL file on aws-local-stepfunctions (Retry and Wait
// intervals shortened, since the states and their order are what is tested), the real planner/worker/finalizer,
// s3rver for raw pages, the local envelope secret store and the embedded PostgreSQL. Each test file brings its
// platform's sandbox and connector settings; nothing here stands in for our own code.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { MemoryLogger } from '@tributary/connectors/runtime/test-support';
import { LocalEnvelopeSecretStore } from '@tributary/shared/adapters/local-envelope-secret-store';
import { LocalStepFunctionsRunner } from '@tributary/shared/adapters/local-step-functions-runner';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import { S3BlobStore } from '@tributary/shared/adapters/s3-blob-store';
import { s3Client } from '@tributary/shared/config/adapters';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startS3rver, type S3rverHandle } from '@tributary/shared/local/s3rver';
import { InMemoryProgressPublisher } from '@tributary/shared/ports/progress-events';
import { seedDataSource, type SeededSource } from '@tributary/shared/testing/seed';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { attachPipeline } from './pipeline';
import type { PipelineDeps } from './pipeline-deps';
import { startExtractionRun } from './start-run';

export const RAW_BUCKET = 'tributary-raw';

export interface PipelineWorld {
  t: TestDatabase;
  /** a superuser connection, for arranging rows and reading what the run left */
  admin: pg.Client;
  s3: S3rverHandle;
  dir: string;
  runner: LocalStepFunctionsRunner;
  deps: PipelineDeps;
  /** a seeded data source whose credential's secret is `secret`, stored as `<secretPrefix>-<credential id>` */
  connectSource(options: {
    platform: string;
    secretPrefix: string;
    secret: Record<string, unknown>;
    extractionConfig: Record<string, unknown>;
    scheduleConfig?: Record<string, unknown>;
  }): Promise<SeededSource>;
  /** starts a run of the source and waits for its execution to end; `job` is its extraction_jobs row */
  run(
    source: { dataSourceId: string; organizationId: string },
    trigger?: 'manual' | 'schedule' | 'backfill',
    backfill?: { start: string; end: string },
  ): Promise<
    Awaited<ReturnType<typeof startExtractionRun>> & {
      outcome: Awaited<ReturnType<LocalStepFunctionsRunner['settled']>>;
      // the row as pg returns it, window dates as text
      job: Record<string, any>;
    }
  >;
  stop(): Promise<void>;
}

/**
 * Starts the world and attaches the pipeline to its state machine. `deps` names the platform's connector and
 * sandbox URLs and whatever a test tunes (logger, progress, chunking); the rest is the same for every test.
 */
export async function startPipelineWorld(options: {
  name: string;
  today: string;
  deps: Pick<PipelineDeps, 'findConnector' | 'connectorBaseUrls'> & Partial<PipelineDeps>;
}): Promise<PipelineWorld> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `tributary-${options.name}-`));
  const t = await createTestDatabase();
  const admin = new pg.Client({ connectionString: t.adminUrl });
  await admin.connect();
  const s3 = await startS3rver({ port: await freePort(), directory: path.join(dir, 's3'), buckets: [RAW_BUCKET] });
  const runner = new LocalStepFunctionsRunner(EXTRACTION_DEFINITION, { retryIntervalMs: 5, waitMs: 5 });
  const deps: PipelineDeps = {
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
    clock: { now: () => new Date(`${options.today}T12:00:00Z`) },
    progress: new InMemoryProgressPublisher(),
    workflow: runner,
    logger: new MemoryLogger(),
    retry: { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 },
    // every 429 goes through the state machine's Choice + Wait loop
    maxInProcessRateLimitWaitMs: 0,
    initialHistoryDays: 30,
    accountInfoMaxAgeHours: 24,
    ...options.deps,
  };
  attachPipeline(deps);

  return {
    t,
    admin,
    s3,
    dir,
    runner,
    deps,
    async connectSource({ platform, secretPrefix, secret, extractionConfig, scheduleConfig }) {
      const source = await seedDataSource(t.adminUrl, { platform });
      const ref = await deps.secrets.create(`${secretPrefix}-${source.credentialId}`, secret, {
        organizationId: source.organizationId,
        projectId: source.projectId,
        platform,
      });
      await admin.query(`UPDATE credentials SET secret_ref = $2, key_id = $3 WHERE id = $1`, [
        source.credentialId,
        ref.ref,
        ref.keyId,
      ]);
      await admin.query(
        `UPDATE data_sources SET extraction_config = $2, schedule_config = coalesce($3::jsonb, schedule_config) WHERE id = $1`,
        [source.dataSourceId, JSON.stringify(extractionConfig), scheduleConfig ? JSON.stringify(scheduleConfig) : null],
      );
      return source;
    },
    async run(source, trigger = 'manual', backfill) {
      const started = await startExtractionRun(deps, {
        dataSourceId: source.dataSourceId,
        organizationId: source.organizationId,
        trigger,
        ...(backfill ? { backfill } : {}),
      });
      const outcome = await runner.settled(started.executionId);
      const job = (
        await admin.query(
          `SELECT *, window_start::text AS window_start, window_end::text AS window_end FROM extraction_jobs WHERE id = $1`,
          [started.jobId],
        )
      ).rows[0];
      return { ...started, outcome, job };
    },
    async stop() {
      await admin.end();
      await t.drop();
      await s3.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
