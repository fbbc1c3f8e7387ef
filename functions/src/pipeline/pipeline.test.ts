// Covers an extraction run end to end on the local pieces (pipeline-world.test-support.ts): the ASL file executed
// by aws-local-stepfunctions, the planner/worker/finalizer handlers, the Google sandbox (truth, restatements,
// faults), s3rver for raw pages, the local envelope secret store and the real embedded PostgreSQL.
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxControl } from '@tributary/connectors/sandboxes/base/sandbox-server';
import { startGoogleSandbox, type GoogleSandbox } from '@tributary/connectors/sandboxes/google/google-sandbox';
import { demoCredential, googleBaseUrls } from '@tributary/connectors/testing/google-test-kit';
import { getConnector } from '@tributary/connectors/registry';
import { MAX_ATTEMPTS_PER_CALL, STATE_MACHINE_RUNS } from '@tributary/connectors/runtime/call';
import { LocalStepFunctionsRunner } from '@tributary/shared/adapters/local-step-functions-runner';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { InMemoryProgressPublisher, type ProgressEvent } from '@tributary/shared/ports/progress-events';
import type { Connector } from '@tributary/connectors/contract';
import { pipelineTaskHandlers } from './pipeline';
import { sweepStaleRuns } from './stale-runs';
import { createPageEncoder, type PageEncoder } from './page-encoder';
import type { PipelineDeps } from './pipeline-deps';
import { RAW_BUCKET, startPipelineWorld, type PipelineWorld } from './pipeline-world.test-support';
import { RunAlreadyActiveError, startExtractionRun } from './start-run';
import { addDays } from './windows';

const TODAY = '2026-11-23';
const ACCOUNT = '1234567890'; // EUR, Europe/Madrid
const HEAVY_MS = 240_000;

let sandbox: GoogleSandbox;
let control: SandboxControl;
let world: PipelineWorld;
let admin: pg.Client;
let runner: LocalStepFunctionsRunner;
let deps: PipelineDeps;
const events: ProgressEvent[] = [];

beforeAll(async () => {
  sandbox = await startGoogleSandbox({ today: TODAY, adsBatchSize: 60 });
  control = new SandboxControl(sandbox.url);
  const progress = new InMemoryProgressPublisher();
  progress.subscribe((e) => void events.push(e));
  world = await startPipelineWorld({
    name: 'pipeline',
    today: TODAY,
    deps: {
      findConnector: getConnector,
      connectorBaseUrls: googleBaseUrls(sandbox),
      progress,
      windowChunkDays: 7,
      maxConcurrency: { google_ads: 3 },
    },
  });
  ({ admin, runner, deps } = world);
}, HEAVY_MS);

afterAll(async () => {
  await world?.stop();
  await sandbox?.stop();
});

async function googleSource(startDate: string, credential: Record<string, unknown> = {}) {
  return world.connectSource({
    platform: 'google_ads',
    secretPrefix: 'google',
    secret: { ...demoCredential(sandbox), ...credential },
    extractionConfig: { account_id: ACCOUNT, report_types: ['campaign_daily'], start_date: startDate },
    scheduleConfig: { frequency: 'daily', hour_utc: 4 },
  });
}

const run = (
  source: { dataSourceId: string; organizationId: string },
  trigger: 'manual' | 'schedule' | 'backfill' = 'manual',
  backfill?: { start: string; end: string },
) => world.run(source, trigger, backfill);

const num = (v: string | number) => Number(v).toFixed(6);

/** Every day and every campaign of the source equals the sandbox's truth; no (day, campaign) twice. */
async function expectEqualsTruth(dataSourceId: string, from: string, to: string) {
  const q = { api: 'google_ads', account: ACCOUNT, from, to };
  const byDay = (await control.truth<{ groups: Record<string, Record<string, string>> }>({ ...q, groupBy: 'date' }))
    .groups;
  const byCampaign = (
    await control.truth<{ groups: Record<string, Record<string, string>> }>({ ...q, groupBy: 'campaign' })
  ).groups;
  const days = (
    await admin.query(
      `SELECT data_date::text AS day, sum(impressions)::text AS impressions, sum(clicks)::text AS clicks, sum(cost)::text AS cost, sum(conversions)::text AS conversions,
            sum(revenue)::text AS revenue, count(*)::int AS rows, count(DISTINCT campaign_id)::int AS campaigns
     FROM extracted_data WHERE data_source_id = $1 GROUP BY 1 ORDER BY 1`,
      [dataSourceId],
    )
  ).rows;
  expect(days.map((d) => d.day)).toEqual(Object.keys(byDay).sort());
  for (const d of days) {
    const truth = byDay[d.day]!;
    expect({
      day: d.day,
      impressions: d.impressions,
      clicks: d.clicks,
      cost: num(d.cost),
      conversions: num(d.conversions),
      revenue: num(d.revenue),
      rows: d.rows,
    }).toEqual({
      day: d.day,
      impressions: truth.impressions,
      clicks: truth.clicks,
      cost: num(truth.cost!),
      conversions: num(truth.conversions!),
      revenue: num(truth.conversionsValue!),
      rows: Number(truth.campaignDays),
    });
    expect(d.campaigns).toBe(d.rows); // one row per campaign and day: nothing counted twice
  }
  const campaigns = (
    await admin.query(
      `SELECT campaign_id, sum(cost)::text AS cost, sum(conversions)::text AS conversions FROM extracted_data WHERE data_source_id = $1 GROUP BY 1`,
      [dataSourceId],
    )
  ).rows;
  expect(campaigns.length).toBe(Object.keys(byCampaign).length);
  for (const c of campaigns)
    expect([c.campaign_id, num(c.cost), num(c.conversions)]).toEqual([
      c.campaign_id,
      num(byCampaign[c.campaign_id]!.cost!),
      num(byCampaign[c.campaign_id]!.conversions!),
    ]);
}

// Every behaviour holds both where pages are normalized on the extract worker's own thread (a small
// Lambda) and where a page encoder thread parses, normalizes and encodes them (the local runner, a Lambda
// of two vCPUs).
describe.each([
  { where: "on the worker's own thread", encoder: () => undefined },
  { where: 'on a page encoder thread', encoder: () => createPageEncoder(1) },
])('extraction run on the local state machine, pages normalized $where', ({ encoder }) => {
  let pageEncoder: PageEncoder | undefined;
  let encodedPages = 0;
  beforeAll(() => {
    pageEncoder = encoder();
    const threads = pageEncoder;
    if (threads)
      deps.pageEncoder = {
        supports: (p) => threads.supports(p),
        encode: (...args) => (encodedPages++, threads.encode(...args)),
        close: () => threads.close(),
      };
  });
  afterAll(async () => {
    delete deps.pageEncoder;
    await pageEncoder?.close();
  });

  it(
    'when a data source runs for the first time, its rows equal the sandbox truth and every raw page is in S3 under the key layout',
    async () => {
      const start = addDays(TODAY, -19);
      const source = await googleSource(start);
      const r = await run(source);
      expect(r.outcome.status).toBe('SUCCEEDED');
      expect(r.job.status).toBe('succeeded');
      expect([r.job.window_start, r.job.window_end]).toEqual([start, TODAY]);
      await expectEqualsTruth(source.dataSourceId, start, TODAY);
      expect(encodedPages > 0).toBe(pageEncoder !== undefined); // the variant ran where it says
      expect(Number(r.job.rows_inserted)).toBe(Number(r.job.rows_read));
      expect(Number(r.job.progress_percent)).toBe(100);

      const items = (
        await admin.query(
          `SELECT item_key, pages, window_start::text AS ws FROM extraction_work_items WHERE job_id = $1 ORDER BY window_start`,
          [r.jobId],
        )
      ).rows;
      expect(items.length).toBe(3); // 20 days in chunks of 7
      const keys = await deps.blobs.list(
        RAW_BUCKET,
        `${source.organizationId}/${source.projectId}/${source.dataSourceId}/google_ads/campaign_daily/`,
      );
      const expected = items.flatMap((i) =>
        Array.from(
          { length: i.pages },
          (_, n) =>
            `${source.organizationId}/${source.projectId}/${source.dataSourceId}/google_ads/campaign_daily/${i.ws}/${r.jobId}/part-${n}.ndjson.gz`,
        ),
      );
      expect(keys.sort()).toEqual(expected.sort());
      expect(items.every((i) => i.pages >= 1)).toBe(true); // the Google Ads connector yields one page per searchStream call
      // a page is one line: Google's searchStream batch as it was sent (rows, field mask, request id)
      const firstPage = gunzipSync(await deps.blobs.get(RAW_BUCKET, expected[0]!)).toString('utf8');
      expect(firstPage.endsWith('\n')).toBe(true);
      const lines = firstPage.trim().split('\n');
      expect(lines.length).toBe(1);
      const batch = JSON.parse(lines[0]!) as {
        results: { segments: { date: string } }[];
        fieldMask: string;
        requestId: string;
      };
      expect(batch.results.length).toBeGreaterThan(0);
      expect(batch.results.every((row) => row.segments.date >= items[0].ws)).toBe(true);
      expect(batch.fieldMask).toContain('metrics.costMicros');

      const mine = events.filter((e) => e.jobId === r.jobId).map((e) => e.type);
      expect(mine[0]).toBe('started');
      expect(mine.filter((e) => e === 'progress').length).toBe(3);
      expect(mine.slice(-2)).toEqual(['completed', 'data_updated']);
      const ds = (
        await admin.query(
          `SELECT last_successful_date::text AS d, extraction_status, last_extraction_at, next_extraction_at FROM data_sources WHERE id = $1`,
          [source.dataSourceId],
        )
      ).rows[0];
      expect(ds.d).toBe(TODAY);
      expect(ds.extraction_status).toBe('succeeded');
      expect(ds.next_extraction_at.toISOString()).toBe(`${addDays(TODAY, 1)}T04:00:00.000Z`);
    },
    HEAVY_MS,
  );

  it(
    'when the sandbox restates recent days, the next run updates them, totals still equal truth, and the restatement record equals the change',
    async () => {
      const start = addDays(TODAY, -19);
      const source = await googleSource(start);
      try {
        await run(source);
        const before = (
          await control.truth<{ groups: Record<string, Record<string, string>> }>({
            api: 'google_ads',
            account: ACCOUNT,
            from: start,
            to: TODAY,
            groupBy: 'date',
          })
        ).groups;
        await control.advance(1);
        const after = (
          await control.truth<{ groups: Record<string, Record<string, string>> }>({
            api: 'google_ads',
            account: ACCOUNT,
            from: start,
            to: TODAY,
            groupBy: 'date',
          })
        ).groups;
        const second = await run(source);
        expect(second.job.status).toBe('succeeded');
        // the incremental run re-extracts the report type's 14-day lookback only
        expect(second.job.window_start).toBe(addDays(TODAY, -13));
        expect(Number(second.job.rows_updated)).toBeGreaterThan(0);
        expect(Number(second.job.rows_inserted)).toBe(0);
        await expectEqualsTruth(source.dataSourceId, start, TODAY);
        const changed = Object.keys(after).filter(
          (d) =>
            num(after[d]!.conversions!) !== num(before[d]!.conversions!) ||
            num(after[d]!.cost!) !== num(before[d]!.cost!),
        );
        expect(changed.length).toBeGreaterThan(0);
        const record = second.job.restatements as {
          date: string;
          conversionsDelta: string;
          costDelta: string;
          revenueDelta: string;
        }[];
        expect(record.map((d) => d.date).sort()).toEqual(changed.sort());
        for (const d of record) {
          expect(num(d.conversionsDelta)).toBe(
            num(Number(after[d.date]!.conversions) - Number(before[d.date]!.conversions)),
          );
          expect(num(d.costDelta)).toBe(num(Number(after[d.date]!.cost) - Number(before[d.date]!.cost)));
          expect(num(d.revenueDelta)).toBe(
            num(Number(after[d.date]!.conversionsValue) - Number(before[d.date]!.conversionsValue)),
          );
        }
      } finally {
        await control.advance(0);
        sandbox.ads.version = 0;
        sandbox.ga4.version = 0;
      }
    },
    HEAVY_MS,
  );

  it(
    'when the stored account is fresh, a run plans without asking the platform; when stale, it asks once and stores the answer',
    async () => {
      const source = await googleSource(addDays(TODAY, -9));
      const searchCalls = async () => (await control.requests()).byRoute['google_ads.searchStream'] ?? 0;
      const tokenCalls = async () => (await control.requests()).byRoute['oauth.token'] ?? 0;
      const itemsOf = async (jobId: string) =>
        Number(
          (await admin.query(`SELECT count(*) FROM extraction_work_items WHERE job_id = $1`, [jobId])).rows[0].count,
        );
      const stored = async () =>
        (
          await admin.query(`SELECT account_info, account_checked_at FROM data_sources WHERE id = $1`, [
            source.dataSourceId,
          ])
        ).rows[0];

      // first run: nothing stored (the seed bypasses the API, which stores it at creation), so the plan asks
      await control.resetRequests();
      const first = await run(source);
      expect(first.job.status).toBe('succeeded');
      expect(await searchCalls()).toBe((await itemsOf(first.jobId)) + 1);
      expect(await tokenCalls()).toBe(1); // the credential had no access token: the plan refreshed it once for every window
      const remembered = await stored();
      expect(remembered.account_info).toMatchObject({
        id: ACCOUNT,
        currency: expect.stringMatching(/^[A-Z]{3}$/),
        timeZone: expect.stringContaining('/'),
      });
      expect(remembered.account_checked_at.toISOString()).toBe(`${TODAY}T12:00:00.000Z`);

      // fresh: one call per window, none for the plan
      await control.resetRequests();
      const second = await run(source);
      expect(second.job.status).toBe('succeeded');
      expect(await searchCalls()).toBe(await itemsOf(second.jobId));
      expect(await tokenCalls()).toBe(0); // the stored token still had most of its hour

      // a day old: the plan asks again (which also re-checks that the credential still sees the account)
      await admin.query(`UPDATE data_sources SET account_checked_at = $2 WHERE id = $1`, [
        source.dataSourceId,
        `${addDays(TODAY, -1)}T11:00:00Z`,
      ]);
      await control.resetRequests();
      const third = await run(source);
      expect(third.job.status).toBe('succeeded');
      expect(await searchCalls()).toBe((await itemsOf(third.jobId)) + 1);
      expect((await stored()).account_checked_at.toISOString()).toBe(`${TODAY}T12:00:00.000Z`);
      await expectEqualsTruth(source.dataSourceId, addDays(TODAY, -9), TODAY);
    },
    HEAVY_MS,
  );

  it(
    'when the refresh token is refused at the start of a run, the run fails before any window and the credential is marked expired',
    async () => {
      const source = await googleSource(addDays(TODAY, -2), { refreshToken: '1//never-issued' });
      await control.resetRequests();
      const r = await run(source);
      expect(r.job.status).toBe('failed');
      expect((await control.requests()).byRoute['google_ads.searchStream'] ?? 0).toBe(0);
      const credential = (
        await admin.query(
          `SELECT c.status, c.validation_status, c.validation_message FROM credentials c JOIN data_sources s ON s.credential_id = c.id WHERE s.id = $1`,
          [source.dataSourceId],
        )
      ).rows[0];
      expect(credential).toMatchObject({ status: 'expired', validation_status: 'invalid' });
      expect(credential.validation_message).toMatch(/reconnect|revoked|expired/i);
    },
    HEAVY_MS,
  );

  it(
    'when the worker is killed at random points in the middle of loads, the retries complete the run with exact totals',
    async () => {
      const start = addDays(TODAY, -19);
      const source = await googleSource(start);
      // each window's first attempt dies at a seeded random point: after its 1st or 2nd page (inside the
      // loader's open transaction) or right after the load committed, before the item was recorded
      let seed = 7;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const calls = new Map<string, number>();
      const killAt = new Map<string, number>();
      let kills = 0;
      deps.interrupt = (point, item) => {
        if (!killAt.has(item)) killAt.set(item, 1 + Math.floor(random() * 2));
        const n = (calls.get(item) ?? 0) + 1;
        calls.set(item, n);
        if (n === killAt.get(item)) {
          kills++;
          const killed = new Error(`worker process exited at ${point}`);
          killed.name = 'Runtime.ExitError'; // what Lambda reports when the process dies
          throw killed;
        }
      };
      try {
        const r = await run(source);
        expect(kills).toBe(3);
        expect(r.job.status).toBe('succeeded');
        await expectEqualsTruth(source.dataSourceId, start, TODAY);
        const attempts = (
          await admin.query(`SELECT sum(attempts)::int AS n FROM extraction_work_items WHERE job_id = $1`, [r.jobId])
        ).rows[0].n;
        expect(attempts).toBeGreaterThan(3);
      } finally {
        delete deps.interrupt;
      }
    },
    HEAVY_MS,
  );

  it(
    'when calls fail with 429, 5xx and timeouts and the token expires once, the run ends exact and within the requests the faults cost',
    async () => {
      const start = addDays(TODAY, -19);
      const clean = await googleSource(start);
      await control.resetRequests();
      await run(clean);
      const baseline = (await control.requests()).total;

      const source = await googleSource(start);
      await control.resetRequests();
      await control.arm({ kind: 'server_error', target: 'google_ads', status: 503, times: 2 });
      await control.arm({ kind: 'timeout', target: 'google_ads', hangMs: 20, times: 1 });
      await control.arm({ kind: 'rate_limit', target: 'google_ads', retryDelaySeconds: 2, times: 2 });
      await control.arm({ kind: 'expired_token' });
      try {
        const r = await run(source);
        expect(r.job.status).toBe('succeeded');
        await expectEqualsTruth(source.dataSourceId, start, TODAY);
        // each injected fault costs one request, the expiry one failed call and one refresh
        expect((await control.requests()).total).toBeLessThanOrEqual(baseline + 5 + 2);
      } finally {
        await control.clearFaults();
      }
    },
    HEAVY_MS,
  );

  it(
    "when a request keeps failing, the sandbox sees it exactly MAX_ATTEMPTS_PER_CALL times across the worker's and the state machine's retries",
    async () => {
      // the state machine retries a transient platform failure STATE_MACHINE_RUNS - 1 times, Plan and Extract alike
      type Retry = { ErrorEquals: string[]; MaxAttempts: number };
      const asl = JSON.parse(EXTRACTION_DEFINITION) as {
        States: {
          Plan: { Retry: Retry[] };
          ExtractWorkItems: { ItemProcessor: { States: { Extract: { Retry: Retry[] } } } };
        };
      };
      const transientRetries = [
        asl.States.Plan.Retry,
        asl.States.ExtractWorkItems.ItemProcessor.States.Extract.Retry,
      ].map((retries) =>
        retries.filter((r) => r.ErrorEquals.includes('TransientPlatformError')).map((r) => r.MaxAttempts),
      );
      expect(transientRetries).toEqual([[STATE_MACHINE_RUNS - 1], [STATE_MACHINE_RUNS - 1]]);
      // and no other state retries it
      expect(EXTRACTION_DEFINITION.match(/TransientPlatformError/g)).toHaveLength(2);

      const source = await googleSource(TODAY);
      // the account is fresh, so the plan makes no call: every request counted is the one window's searchStream
      await admin.query(`UPDATE data_sources SET account_info = $2, account_checked_at = $3 WHERE id = $1`, [
        source.dataSourceId,
        JSON.stringify({ id: ACCOUNT, name: 'Sandbox', currency: 'EUR', timeZone: 'Europe/Madrid' }),
        new Date(`${TODAY}T11:00:00Z`),
      ]);
      await control.resetRequests();
      await control.arm({ kind: 'server_error', target: 'google_ads', status: 503 });
      try {
        const r = await run(source);
        expect(r.job.status).toBe('failed');
        const items = (
          await admin.query(`SELECT status, error_code, attempts FROM extraction_work_items WHERE job_id = $1`, [
            r.jobId,
          ])
        ).rows;
        expect(items).toEqual([
          { status: 'failed', error_code: 'TransientPlatformError', attempts: STATE_MACHINE_RUNS },
        ]);
        expect((await control.requests()).byRoute['google_ads.searchStream']).toBe(MAX_ATTEMPTS_PER_CALL);
      } finally {
        await control.clearFaults();
      }
    },
    HEAVY_MS,
  );

  it(
    'when one window fails fatally, only that item fails, the others load, and the job is partial',
    async () => {
      const start = addDays(TODAY, -19);
      const source = await googleSource(start);
      await control.arm({ kind: 'malformed_page', target: 'google_ads', page: 1, times: 1 });
      try {
        const r = await run(source);
        expect(r.outcome.status).toBe('FAILED'); // a partial run fails the execution: that is what raises the alarm
        expect(r.job.status).toBe('partial');
        const items = (
          await admin.query(`SELECT status, error_code FROM extraction_work_items WHERE job_id = $1`, [r.jobId])
        ).rows;
        expect(items.filter((i) => i.status === 'failed').map((i) => i.error_code)).toEqual(['FatalConnectorError']);
        expect(items.filter((i) => i.status === 'succeeded').length).toBe(2);
        expect(r.job.error_message).toMatch(/1 of 3 windows failed/);
      } finally {
        await control.clearFaults();
      }
    },
    HEAVY_MS,
  );

  it(
    'when a run is already pending or running, a second start is refused with its job id',
    async () => {
      const source = await googleSource(TODAY);
      const first = await startExtractionRun(deps, {
        dataSourceId: source.dataSourceId,
        organizationId: source.organizationId,
        trigger: 'manual',
      });
      const second = await startExtractionRun(deps, { dataSourceId: source.dataSourceId, trigger: 'schedule' }).catch(
        (e: unknown) => e,
      );
      expect(second).toBeInstanceOf(RunAlreadyActiveError);
      expect((second as RunAlreadyActiveError).jobId).toBe(first.jobId);
      await runner.settled(first.executionId);
    },
    HEAVY_MS,
  );
});

describe('runs that never get stuck', () => {
  /** Google Ads' campaign report under twenty names, each its own data type: twenty reports from one sandbox. */
  function twentyReports(): Connector<unknown> {
    const google = getConnector('google_ads');
    const base = google.reportTypes.find((r) => r.id === 'campaign_daily')!;
    const ids = Array.from({ length: 20 }, (_, i) => `campaign_daily_${i}`);
    return {
      ...google,
      reportTypes: ids.map((id) => ({ ...base, id })),
      discover: async (ctx) => ({ ...(await google.discover(ctx)), reportTypes: ids.map((id) => ({ ...base, id })) }),
      catalogFor: async (ctx, account) => ({
        ...(await google.catalogFor!(ctx, account)),
        reportTypes: ids.map((id) => ({ ...base, id })),
      }),
      extract: (ctx, request) => google.extract(ctx, { ...request, reportType: 'campaign_daily' }),
      normalize: (page, meta) =>
        google
          .normalize(page, { ...meta, reportType: 'campaign_daily' })
          .map((r) => ({ ...r, dataType: meta.reportType })),
    };
  }

  it('when a 20-report, four-year backfill runs, the plan passes lane numbers only and every item loads', async () => {
    const source = await googleSource(TODAY);
    await admin.query(`UPDATE data_sources SET extraction_config = $2 WHERE id = $1`, [
      source.dataSourceId,
      JSON.stringify({
        account_id: ACCOUNT,
        report_types: Array.from({ length: 20 }, (_, i) => `campaign_daily_${i}`),
      }),
    ]);
    const connector = twentyReports();
    const big: PipelineDeps = {
      ...deps,
      findConnector: (p) => (p === 'google_ads' ? connector : getConnector(p)),
      windowChunkDays: 31,
    };
    const handlers = pipelineTaskHandlers(big);
    let planBytes = 0;
    runner.useTaskHandlers({
      ...handlers,
      PlanFunctionArn: async (input) => {
        const out = await handlers.PlanFunctionArn(input);
        planBytes = JSON.stringify(out).length;
        return out;
      },
    });
    try {
      const from = addDays(TODAY, -(4 * 365 + 1) + 1);
      const r = await run(source, 'backfill', { start: from, end: TODAY });
      expect(r.outcome.status, r.outcome.error).toBe('SUCCEEDED');
      expect(r.job.status).toBe('succeeded');
      const items = (
        await admin.query(`SELECT status, count(*)::int AS n FROM extraction_work_items WHERE job_id = $1 GROUP BY 1`, [
          r.jobId,
        ])
      ).rows;
      expect(items).toEqual([{ status: 'succeeded', n: 20 * Math.ceil((4 * 365 + 1) / 31) }]);
      // about 990 inline items filled Step Functions' 256 KiB; lane numbers stay tiny whatever the backfill
      expect(planBytes).toBeLessThan(200);
      const types = (
        await admin.query(
          `SELECT count(DISTINCT data_type)::int AS n, min(data_date)::text AS first FROM extracted_data WHERE data_source_id = $1`,
          [source.dataSourceId],
        )
      ).rows[0];
      expect(types).toEqual({ n: 20, first: from });
    } finally {
      runner.useTaskHandlers(pipelineTaskHandlers(deps));
    }
  }, 600_000);

  it(
    'when a run is stopped mid-way, it is finalized as failed and its data source can run again',
    async () => {
      const source = await googleSource(addDays(TODAY, -60));
      const started = await startExtractionRun(deps, {
        dataSourceId: source.dataSourceId,
        organizationId: source.organizationId,
        trigger: 'manual',
      });
      await new Promise((r) => setTimeout(r, 150));
      await runner.stop(started.executionId);
      await runner.settled(started.executionId);
      const job = (
        await admin.query(`SELECT status, error_code, completed_at FROM extraction_jobs WHERE id = $1`, [started.jobId])
      ).rows[0];
      expect(job.status).toBe('failed');
      expect(job.error_code).toBe('States.ABORTED');
      expect(job.completed_at).not.toBeNull();
      const again = await run(source);
      expect(again.job.status).toBe('succeeded');
    },
    HEAVY_MS,
  );

  it(
    'when a run was left running by a process that died, the sweeper closes it and the source can run again',
    async () => {
      const source = await googleSource(addDays(TODAY, -3));
      const [left] = (
        await admin.query(
          `INSERT INTO extraction_jobs (organization_id, project_id, data_source_id, job_type, status, started_at) VALUES ($1, $2, $3, 'manual', 'running', now() - interval '2 hours') RETURNING id`,
          [source.organizationId, source.projectId, source.dataSourceId],
        )
      ).rows;
      const refused = await startExtractionRun(deps, {
        dataSourceId: source.dataSourceId,
        organizationId: source.organizationId,
        trigger: 'manual',
      }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RunAlreadyActiveError);
      const { closed } = await sweepStaleRuns(deps, new Date(Date.now() - 60 * 60_000));
      expect(closed).toContain(left.id);
      expect(
        (await admin.query(`SELECT status, error_code FROM extraction_jobs WHERE id = $1`, [left.id])).rows[0],
      ).toEqual({ status: 'failed', error_code: 'StaleRun' });
      expect(
        (await admin.query(`SELECT extraction_status FROM data_sources WHERE id = $1`, [source.dataSourceId])).rows[0]
          .extraction_status,
      ).toBe('failed');
      const again = await run(source);
      expect(again.job.status).toBe('succeeded');
    },
    HEAVY_MS,
  );
});
