// Covers a Klaviyo run on the local state machine when Klaviyo's daily report quota is spent mid-run: the
// window is handed back (RateLimitedError, quotaExhausted), the run says so on the job while it waits, and
// it continues afterwards instead of failing, ending with the sandbox's exact totals.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConnector } from '@tributary/connectors/registry';
import { SandboxControl } from '@tributary/connectors/sandboxes/base/sandbox-server';
import { startKlaviyoSandbox, type KlaviyoSandbox } from '@tributary/connectors/sandboxes/klaviyo/klaviyo-sandbox';
import { MemoryLogger } from '@tributary/connectors/runtime/test-support';
import { LocalStepFunctionsRunner } from '@tributary/shared/adapters/local-step-functions-runner';
import type { PipelineDeps } from './pipeline-deps';
import { startPipelineWorld, type PipelineWorld } from './pipeline-world.test-support';
import { startExtractionRun } from './start-run';

const TODAY = '2026-11-23';
let sb: KlaviyoSandbox;
let world: PipelineWorld;
let admin: pg.Client;
let runner: LocalStepFunctionsRunner;
let deps: PipelineDeps;
const logger = new MemoryLogger();

beforeAll(async () => {
  // Klaviyo's own limits are off here: the test is about the daily cap's signal, not pacing
  sb = await startKlaviyoSandbox({ today: TODAY, limits: false });
  world = await startPipelineWorld({
    name: 'klaviyo-pipeline',
    today: TODAY,
    deps: { logger, findConnector: getConnector, connectorBaseUrls: { klaviyo_api: sb.url } },
  });
  ({ admin, runner, deps } = world);
}, 240_000);

afterAll(async () => {
  await world?.stop();
  await sb?.stop();
});

describe('Klaviyo run when the daily quota is spent', () => {
  it('when Klaviyo answers 429 with the daily cap mid-run, the job says so while the window waits, then continues and ends exact', async () => {
    // Prepare: a source of the EUR account, one 2-day window of campaigns; its first report call hits the cap
    const account = sb.world.accounts[1]!;
    const metric = account.metrics.find((m) => m.name === 'Placed Order')!;
    const source = await world.connectSource({
      platform: 'klaviyo',
      secretPrefix: 'klaviyo',
      secret: { apiKey: sb.keys[account.id]! },
      extractionConfig: {
        account_id: account.id,
        report_types: ['campaign_daily'],
        options: { conversion_metric_id: metric.id },
      },
    });
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
