// Schedules: EventBridge cron expressions read as EventBridge reads them, schedule_config validation, and a
// data source on an every-minute schedule that runs by itself through the in-process registry against the
// Google Ads sandbox, on the real embedded PostgreSQL, s3rver and the ASL file.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGoogleSandbox, type GoogleSandbox } from '@tributary/connectors/sandboxes/google/google-sandbox';
import { demoCredential, googleBaseUrls } from '@tributary/connectors/testing/google-test-kit';
import { InProcessScheduleRegistry } from '@tributary/shared/adapters/in-process-schedule-registry';
import { LocalStepFunctionsRunner } from '@tributary/shared/adapters/local-step-functions-runner';
import {
  nextFireTimes,
  scheduleExpressionProblem,
  toCronerPattern,
} from '@tributary/shared/adapters/schedule-expression';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startS3rver, type S3rverHandle } from '@tributary/shared/local/s3rver';
import { InMemoryProgressPublisher } from '@tributary/shared/ports/progress-events';
import { createTestDatabase, type TestDatabase } from '@tributary/shared/testing/test-database';
import { attachPipeline } from '../pipeline/pipeline';
import type { PipelineDeps } from '../pipeline/pipeline-deps';
import { seedSourceWithSecret, testPipelineDeps, TEST_RAW_BUCKET } from '../testing/pipeline-test-deps';
import { CreateDataSourceBodySchema } from '../data-sources/data-source.schemas';
import { nextExtractionAt, resolveScheduleConfig, scheduleExpression } from './schedule-config';
import { applySchedule, fireSchedule, registerAllSchedules } from './schedule-sync';

const iso = (d: Date[]) => d.map((x) => x.toISOString());

describe('EventBridge cron expressions', () => {
  it('reads day-of-week 1-7 from Sunday, "?" as no constraint, and the year field', () => {
    expect(toCronerPattern('cron(15 10 ? * MON-FRI *)')).toBe('0 15 10 * * MON-FRI *');
    // Wed 2026-11-25 00:00Z: weekdays only, in UTC
    expect(iso(nextFireTimes('cron(15 10 ? * MON-FRI *)', 'UTC', new Date('2026-11-27T11:00:00Z'), 2))).toEqual([
      '2026-11-30T10:15:00.000Z',
      '2026-12-01T10:15:00.000Z',
    ]);
    // 1 is Sunday in EventBridge (2026-11-29 is a Sunday)
    expect(iso(nextFireTimes('cron(0 4 ? * 1 *)', 'UTC', new Date('2026-11-25T00:00:00Z')))).toEqual([
      '2026-11-29T04:00:00.000Z',
    ]);
    // first Monday of the month (2#1), last Friday (6L), last day of the month (L)
    expect(iso(nextFireTimes('cron(0 8 ? * 2#1 *)', 'UTC', new Date('2026-11-25T00:00:00Z')))).toEqual([
      '2026-12-07T08:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 18 ? * 6L *)', 'UTC', new Date('2026-11-25T00:00:00Z')))).toEqual([
      '2026-11-27T18:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 12 L * ? 2027)', 'UTC', new Date('2026-11-25T00:00:00Z'), 2))).toEqual([
      '2027-01-31T12:00:00.000Z',
      '2027-02-28T12:00:00.000Z',
    ]);
    // a year that has passed never fires again
    expect(nextFireTimes('cron(0 12 1 * ? 2025)', 'UTC', new Date('2026-11-25T00:00:00Z'))).toEqual([]);
  });

  it('reads start/step as EventBridge does and honours the time zone across daylight saving', () => {
    expect(toCronerPattern('cron(0/15 * * * ? *)')).toBe('0 0-59/15 * * * * *');
    expect(iso(nextFireTimes('cron(0/15 * * * ? *)', 'UTC', new Date('2026-11-25T10:07:00Z'), 2))).toEqual([
      '2026-11-25T10:15:00.000Z',
      '2026-11-25T10:30:00.000Z',
    ]);
    // 06:30 in Madrid: 05:30Z in winter (CET), 04:30Z in summer (CEST); DST ends 2026-10-25
    expect(iso(nextFireTimes('cron(30 6 * * ? *)', 'Europe/Madrid', new Date('2026-10-24T00:00:00Z'), 2))).toEqual([
      '2026-10-24T04:30:00.000Z',
      '2026-10-25T05:30:00.000Z',
    ]);
    expect(iso(nextFireTimes('cron(0 9 * * ? *)', 'America/New_York', new Date('2026-11-25T00:00:00Z')))).toEqual([
      '2026-11-25T14:00:00.000Z',
    ]);
  });

  it('refuses what EventBridge refuses, saying why', () => {
    expect(scheduleExpressionProblem('cron(0 4 * * * *)')).toMatch(
      /exactly one of day-of-month and day-of-week must be "\?"/,
    );
    expect(scheduleExpressionProblem('cron(0 4 ? * ? *)')).toMatch(/exactly one/);
    expect(scheduleExpressionProblem('cron(0 4 * * ?)')).toMatch(/expected 6 fields, got 5/);
    expect(scheduleExpressionProblem('0 4 * * ? *')).toMatch(/expected cron\(/);
    expect(scheduleExpressionProblem('cron(61 4 * * ? *)')).toBeDefined();
    expect(scheduleExpressionProblem('cron(0 4 * * ? *)', 'Mars/Olympus')).toMatch(/unknown time zone/);
    expect(scheduleExpressionProblem('cron(0 4 ? * MON-FRI *)')).toBeUndefined();
  });
});

describe('schedule_config', () => {
  const body = (schedule_config: unknown) => ({
    credential_id: '6f1c1f8e-0d55-4a43-9a5e-3e1d3c1b2a10',
    source_name: 's',
    extraction_config: { account_id: 'a', report_types: ['r'] },
    schedule_config,
  });

  it('a bad cron expression or time zone is a validation error naming the field and the reason', () => {
    const bad = CreateDataSourceBodySchema.safeParse(body({ frequency: 'cron', expression: 'cron(0 4 * * * *)' }));
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['schedule_config', 'expression']);
    expect(bad.error!.issues[0]!.message).toMatch(/day-of-week must be "\?"/);
    expect(
      CreateDataSourceBodySchema.safeParse(body({ frequency: 'daily', time: '06:30', timezone: 'Nowhere/Land' }))
        .success,
    ).toBe(false);
    expect(CreateDataSourceBodySchema.safeParse(body({ frequency: 'daily', time: '24:00' })).success).toBe(false);
    expect(CreateDataSourceBodySchema.safeParse(body({ frequency: 'daily', hour_utc: 4, time: '04:00' })).success).toBe(
      false,
    );
    expect(CreateDataSourceBodySchema.parse(body(undefined)).schedule_config).toEqual({ frequency: 'daily' });
  });

  it('daily runs at a time in the project time zone; hourly, weekly, cron and the older hour_utc form map to one expression', () => {
    const daily = resolveScheduleConfig({ frequency: 'daily', time: '06:30' }, 'Europe/Madrid');
    expect(daily).toEqual({ frequency: 'daily', time: '06:30', timezone: 'Europe/Madrid' });
    expect(scheduleExpression(daily)).toEqual({ expression: 'cron(30 6 * * ? *)', timezone: 'Europe/Madrid' });
    expect(nextExtractionAt(daily, new Date('2026-11-25T06:00:00Z'))!.toISOString()).toBe('2026-11-26T05:30:00.000Z');
    expect(scheduleExpression({ frequency: 'hourly', minute: 5 })).toEqual({
      expression: 'cron(5 * * * ? *)',
      timezone: 'UTC',
    });
    expect(scheduleExpression({ frequency: 'daily', hour_utc: 4 })).toEqual({
      expression: 'cron(0 4 * * ? *)',
      timezone: 'UTC',
    });
    expect(scheduleExpression(resolveScheduleConfig({ frequency: 'weekly', day: 'FRI' }, 'UTC'))).toEqual({
      expression: 'cron(0 3 ? * FRI *)',
      timezone: 'UTC',
    });
    expect(
      scheduleExpression(
        resolveScheduleConfig({ frequency: 'cron', expression: 'cron(0 8 ? * MON-FRI *)' }, 'Asia/Tokyo'),
      ),
    ).toEqual({ expression: 'cron(0 8 ? * MON-FRI *)', timezone: 'Asia/Tokyo' });
    expect(scheduleExpression({ frequency: 'manual' })).toBeNull();
    expect(scheduleExpression({})).toBeNull();
  });
});

describe('a data source on a schedule, on the local runner', () => {
  const TODAY = new Date().toISOString().slice(0, 10);
  const ACCOUNT = '1234567890';
  let sandbox: GoogleSandbox;
  let t: TestDatabase;
  let admin: pg.Client;
  let s3: S3rverHandle;
  let dir: string;
  let deps: PipelineDeps;
  let runner: LocalStepFunctionsRunner;
  const fireErrors: string[] = [];
  const registry = new InProcessScheduleRegistry((id, error) => void fireErrors.push(`${id}: ${String(error)}`));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-schedules-'));
    sandbox = await startGoogleSandbox({ today: TODAY, adsBatchSize: 60 });
    t = await createTestDatabase();
    admin = new pg.Client({ connectionString: t.adminUrl });
    await admin.connect();
    s3 = await startS3rver({ port: await freePort(), directory: path.join(dir, 's3'), buckets: [TEST_RAW_BUCKET] });
    runner = new LocalStepFunctionsRunner(EXTRACTION_DEFINITION, { retryIntervalMs: 5, waitMs: 5 });
    deps = testPipelineDeps({
      db: t.db,
      s3Endpoint: s3.endpoint,
      home: dir,
      clock: { now: () => new Date() },
      progress: new InMemoryProgressPublisher(),
      workflow: runner,
      connectorBaseUrls: googleBaseUrls(sandbox),
    });
    attachPipeline(deps);
  }, 240_000);

  afterAll(async () => {
    registry.stopAll();
    await admin?.end();
    await t?.drop();
    await sandbox?.stop();
    await s3?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function waitForJob(
    dataSourceId: string,
  ): Promise<{ id: string; status: string; job_type: string; rows_inserted: string }> {
    for (;;) {
      const job = (
        await admin.query(
          `SELECT id, status, job_type, rows_inserted FROM extraction_jobs WHERE data_source_id = $1 AND status NOT IN ('pending', 'running') ORDER BY created_at LIMIT 1`,
          [dataSourceId],
        )
      ).rows[0];
      if (job) return job;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('an every-minute schedule starts a run by itself; the job completes with the sandbox rows; a run still going is skipped; deleting removes the schedule', async () => {
    const source = await seedSourceWithSecret(admin, t.adminUrl, deps.secrets, {
      platform: 'google_ads',
      secretName: (credentialId) => `google-${credentialId}`,
      secret: { ...demoCredential(sandbox) },
    });
    const schedule = { frequency: 'cron', expression: 'cron(* * * * ? *)', timezone: 'UTC' };
    await admin.query(`UPDATE data_sources SET extraction_config = $2, schedule_config = $3 WHERE id = $1`, [
      source.dataSourceId,
      JSON.stringify({ account_id: ACCOUNT, report_types: ['campaign_daily'], start_date: TODAY }),
      JSON.stringify(schedule),
    ]);
    const fired: string[] = [];
    registry.setTarget(async (id) => {
      fired.push(id);
      await fireSchedule({ db: deps.db, workflow: deps.workflow, logger: deps.logger }, id);
    });

    // the runner's start: every data source with a schedule is armed
    expect(await registerAllSchedules(t.db, registry)).toBe(1);
    expect(await registry.get(source.dataSourceId)).toEqual({
      dataSourceId: source.dataSourceId,
      expression: 'cron(* * * * ? *)',
      timezone: 'UTC',
      enabled: true,
    });

    const job = await waitForJob(source.dataSourceId);
    expect(fired[0]).toBe(source.dataSourceId);
    expect(job).toMatchObject({ status: 'succeeded', job_type: 'scheduled' });
    const rows = (
      await admin.query(`SELECT count(*)::int AS n FROM extracted_data WHERE data_source_id = $1`, [
        source.dataSourceId,
      ])
    ).rows[0].n;
    expect(rows).toBeGreaterThan(0);
    expect(Number(job.rows_inserted)).toBe(rows);
    // the finalizer set next_extraction_at from the expression: the next whole minute
    const ds = (await admin.query(`SELECT next_extraction_at FROM data_sources WHERE id = $1`, [source.dataSourceId]))
      .rows[0];
    expect(ds.next_extraction_at.getUTCSeconds()).toBe(0);

    // later firings only recorded from here on; wait until no run of the source is going
    registry.setTarget(async (id) => void fired.push(id));
    while (
      (
        await admin.query(
          `SELECT 1 FROM extraction_jobs WHERE data_source_id = $1 AND status IN ('pending', 'running')`,
          [source.dataSourceId],
        )
      ).rowCount
    )
      await new Promise((r) => setTimeout(r, 250));
    // a firing while a run is going is logged and skipped, not an error
    await admin.query(
      `INSERT INTO extraction_jobs (organization_id, project_id, data_source_id, job_type, status) VALUES ($1, $2, $3, 'manual', 'running')`,
      [source.organizationId, source.projectId, source.dataSourceId],
    );
    const skipped = await fireSchedule(
      { db: deps.db, workflow: deps.workflow, logger: deps.logger },
      source.dataSourceId,
    );
    expect(skipped).toMatchObject({ skipped: 'run_active' });
    await admin.query(
      `UPDATE extraction_jobs SET status = 'cancelled' WHERE data_source_id = $1 AND status = 'running'`,
      [source.dataSourceId],
    );

    // disabled: the schedule stays, disabled, and next_extraction_at is cleared
    await admin.query(`UPDATE data_sources SET is_active = false WHERE id = $1`, [source.dataSourceId]);
    const next = await t.db.transaction({ orgId: source.organizationId }, (trx) =>
      applySchedule(trx, registry, { id: source.dataSourceId, scheduleConfig: schedule, isActive: false }, new Date()),
    );
    expect(next).toBeNull();
    expect((await registry.get(source.dataSourceId))?.enabled).toBe(false);
    expect(registry.nextRun(source.dataSourceId)).toBeUndefined();
    // a schedule that fires just as its source was disabled is skipped, not retried into the dead-letter queue
    expect(
      await fireSchedule({ db: deps.db, workflow: deps.workflow, logger: deps.logger }, source.dataSourceId),
    ).toEqual({ skipped: 'data_source_disabled' });
    // and one that outlived its data source too
    expect(
      await fireSchedule(
        { db: deps.db, workflow: deps.workflow, logger: deps.logger },
        '00000000-0000-4000-8000-00000000dead',
      ),
    ).toEqual({ skipped: 'data_source_gone' });

    await registry.remove(source.dataSourceId);
    expect(await registry.get(source.dataSourceId)).toBeUndefined();
    expect(fireErrors).toEqual([]);
  }, 240_000);
});
