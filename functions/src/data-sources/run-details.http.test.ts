// Seam: a run's details over real HTTP (GET …/data-sources/{id}/jobs/{job_id}), with the Metricool sandbox as the
// platform and the in-process pipeline on the embedded PostgreSQL: the restatement record of a second run equals
// what the sandbox restated (its truth before and after), a window the platform refused shows its error in plain
// words, a viewer may read it, and another tenant's run or a malformed id answers the standard envelope.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startMetricoolSandbox,
  type MetricoolSandbox,
} from '@tributary/connectors/sandboxes/metricool/metricool-sandbox';
import { SandboxControl } from '@tributary/connectors/sandboxes/base/sandbox-server';
import { addDays } from '@tributary/connectors/sandboxes/base/days';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import * as credR from '../credentials/credential.routes';
import * as projR from '../projects/project.routes';
import type { ApiHarness } from '../testing/api-harness';
import { startPipelineApiHarness, waitForJob, type PipelineApiHarness } from '../testing/pipeline-api-harness';
import * as dsR from './data-source.routes';
import { RunDetailsSchema, type RunDetails } from './data-source.schemas';

const TODAY = '2026-11-23';
const WINDOW = { window_start: addDays(TODAY, -9), window_end: TODAY };
const BRAND = '4210001';

let h: ApiHarness;
let sandbox: MetricoolSandbox;
let control: SandboxControl;
let rig: PipelineApiHarness;
let owner: { token: string; userId: string; orgId: string };

beforeAll(async () => {
  sandbox = await startMetricoolSandbox({ today: TODAY });
  control = new SandboxControl(sandbox.url);
  rig = await startPipelineApiHarness({ metricool: sandbox.url }, 'tributary-run-details-s3-');
  h = rig.h;
  owner = await h.signUp(`runs-owner-${Date.now()}@example.com`);
}, 240_000);

afterAll(async () => {
  await rig?.stop();
  await sandbox?.stop();
});

/** A project with a Metricool source of the brand's ad campaigns, all through the API. */
async function metricoolSource(token: string, name: string) {
  const project = await h.call(projR.createProjectRoute, { token, body: { name } });
  expect(project.status, project.text).toBe(201);
  const projectId = (project.body as { id: string }).id;
  const credential = await h.call(credR.createCredentialRoute, {
    token,
    params: { project_id: projectId },
    body: {
      platform: 'metricool',
      credential_type: 'api_key',
      label: 'Metricool',
      secret: { api_token: sandbox.demoToken, user_id: sandbox.userId },
    },
  });
  expect(credential.status, credential.text).toBe(201);
  const credentialId = (credential.body as { id: string }).id;
  const source = await h.call(dsR.createDataSourceRoute, {
    token,
    params: { project_id: projectId },
    body: {
      credential_id: credentialId,
      source_name: 'Ad campaigns',
      extraction_config: { account_id: BRAND, report_types: ['ad_campaigns_daily'] },
      schedule_config: { frequency: 'daily', hour_utc: 5 },
    },
  });
  expect(source.status, source.text).toBe(201);
  return { projectId, credentialId, sourceId: (source.body as { id: string }).id };
}

async function extract(token: string, ids: { projectId: string; sourceId: string }): Promise<string> {
  const params = { project_id: ids.projectId, source_id: ids.sourceId };
  const started = await h.call(dsR.extractDataSourceRoute, { token, params, body: WINDOW });
  expect(started.status, started.text).toBe(202);
  const jobId = (started.body as { job_id: string }).job_id;
  await waitForJob(h, token, params, jobId);
  return jobId;
}

async function details(token: string, ids: { projectId: string; sourceId: string }, jobId: string) {
  return h.call(dsR.getExtractionJobRoute, {
    token,
    params: { project_id: ids.projectId, source_id: ids.sourceId, job_id: jobId },
  });
}

/** The sandbox's ad campaign truth per day: cost, conversions and revenue summed over networks and campaigns. */
async function truthByDay(): Promise<Record<string, { cost: number; conversions: number; revenue: number }>> {
  const rows = (
    await control.truth<{ rows: Record<string, { cost: string; conversions: string; revenue: string }> }>({
      report: 'ad_campaigns_daily',
      brand: BRAND,
      from: WINDOW.window_start,
      to: WINDOW.window_end,
    })
  ).rows;
  const days: Record<string, { cost: number; conversions: number; revenue: number }> = {};
  for (const [key, r] of Object.entries(rows)) {
    const day = key.split('|')[0]!;
    const d = (days[day] ??= { cost: 0, conversions: 0, revenue: 0 });
    d.cost += Number(r.cost);
    d.conversions += Number(r.conversions);
    d.revenue += Number(r.revenue);
  }
  return days;
}

const fixed = (v: string | number) => Number(v).toFixed(4);

describe('run details', () => {
  let ids: { projectId: string; credentialId: string; sourceId: string };
  let restatedJob = '';

  it('when the sandbox restates late conversions, the next run’s details show per-day deltas equal to the truth’s change', async () => {
    ids = await metricoolSource(owner.token, 'Restated');
    const firstJob = await extract(owner.token, ids);
    const first = await details(owner.token, ids, firstJob);
    expect(first.status, first.text).toBe(200);
    const firstRun = RunDetailsSchema.parse(first.body);
    expect(firstRun.job.status).toBe('succeeded');
    expect(firstRun.items.length).toBeGreaterThan(0);
    expect(firstRun.items.every((i) => i.status === 'succeeded' && i.problem === null && i.attempts >= 1)).toBe(true);
    expect(firstRun.items.every((i) => i.report_type === 'ad_campaigns_daily')).toBe(true);
    expect(firstRun.items.map((i) => [i.window_start, i.window_end])[0]![0]).toBe(WINDOW.window_start);
    expect(firstRun.restatements.days).toEqual([]); // a first load restates nothing

    const before = await truthByDay();
    await control.advance(1);
    const after = await truthByDay();
    const changed = Object.keys(after)
      .filter((d) =>
        ['cost', 'conversions', 'revenue'].some(
          (m) => fixed(after[d]![m as 'cost']) !== fixed(before[d]![m as 'cost']),
        ),
      )
      .sort();
    expect(changed.length).toBeGreaterThan(0);

    restatedJob = await extract(owner.token, ids);
    const second = await details(owner.token, ids, restatedJob);
    expect(second.status, second.text).toBe(200);
    const run: RunDetails = RunDetailsSchema.parse(second.body);
    expect(run.job).toMatchObject({ id: restatedJob, status: 'succeeded', rows_inserted: 0, problem: null });
    expect(run.job.rows_updated).toBeGreaterThan(0);
    expect(run.job.duration_ms).not.toBeNull();
    expect(run.restatements.currency).toBe('EUR');
    const moved = run.restatements.days.filter((d) =>
      [d.cost_delta, d.conversions_delta, d.revenue_delta].some((v) => Number(v) !== 0),
    );
    expect(moved.map((d) => d.date)).toEqual(changed);
    for (const d of moved) {
      expect([d.date, fixed(d.cost_delta), fixed(d.conversions_delta), fixed(d.revenue_delta)]).toEqual([
        d.date,
        fixed(after[d.date]!.cost - before[d.date]!.cost),
        fixed(after[d.date]!.conversions - before[d.date]!.conversions),
        fixed(after[d.date]!.revenue - before[d.date]!.revenue),
      ]);
      expect(d.rows_changed).toBeGreaterThan(0);
      expect(d.data_types).toEqual(['ad_campaigns_daily']);
    }
    // the record is the one the finalizer stored on the job
    const admin = new pg.Client({ connectionString: h.testDb.adminUrl });
    await admin.connect();
    try {
      const stored = (await admin.query(`SELECT restatements FROM extraction_jobs WHERE id = $1`, [restatedJob]))
        .rows[0].restatements as { date: string }[];
      expect([...new Set(stored.map((s) => s.date))].sort()).toEqual(run.restatements.days.map((d) => d.date));
    } finally {
      await admin.end();
    }
  }, 300_000);

  it('when the platform refuses one window, that item shows the refusal in plain words naming the account', async () => {
    await control.arm({ kind: 'brand_forbidden', times: 1 });
    try {
      const jobId = await extract(owner.token, ids);
      const r = await details(owner.token, ids, jobId);
      expect(r.status, r.text).toBe(200);
      const run = RunDetailsSchema.parse(r.body);
      expect(run.job.status).toBe('failed'); // the ten days are one window
      const failed = run.items.filter((i) => i.status === 'failed');
      expect(failed.length).toBe(1);
      expect(failed[0]!.error_code).toBe('PermissionDeniedError');
      expect(failed[0]!.problem).toMatchObject({
        kind: 'permission_denied',
        action: 'grant_access',
        credential_id: ids.credentialId,
        account: { id: BRAND },
      });
      expect(failed[0]!.problem!.message).toContain(BRAND);
      expect(failed[0]!.problem!.message).toMatch(/no longer read the account .+ Grant it access/);
      expect(run.items.filter((i) => i.status === 'succeeded').every((i) => i.problem === null)).toBe(true);
      expect(run.job.problem).toMatchObject({ kind: 'permission_denied' });
    } finally {
      await control.clearFaults();
    }
  }, 300_000);

  it('when the platform refuses the token even after a refresh, the item says to reconnect and names the connection', async () => {
    await control.arm({ kind: 'bad_token' });
    try {
      const jobId = await extract(owner.token, ids);
      const r = await details(owner.token, ids, jobId);
      expect(r.status, r.text).toBe(200);
      const run = RunDetailsSchema.parse(r.body);
      expect(run.items.map((i) => [i.status, i.error_code])).toEqual([['failed', 'ConnectorAuthError']]);
      expect(run.items[0]!.problem).toMatchObject({
        kind: 'token_expired',
        action: 'reconnect',
        credential_id: ids.credentialId,
        message: expect.stringMatching(/Reconnect it/),
      });
      expect(run.restatements.days).toEqual([]);
    } finally {
      await control.clearFaults();
    }
  }, 300_000);

  it('when a viewer reads a run it answers; another tenant’s run and bad ids answer 404 and 400 envelopes', async () => {
    const viewer = await h.signUp(`runs-viewer-${Date.now()}@example.com`);
    const admin = new pg.Client({ connectionString: h.testDb.adminUrl });
    await admin.connect();
    try {
      await admin.query(`INSERT INTO memberships (organization_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
        owner.orgId,
        viewer.userId,
      ]);
    } finally {
      await admin.end();
    }
    const asViewer = await details(viewer.token, ids, restatedJob);
    expect(asViewer.status, asViewer.text).toBe(200);
    expect(RunDetailsSchema.parse(asViewer.body).job.id).toBe(restatedJob);

    // another organization: its own source, asked for this organization's run
    const other = await h.signUp(`runs-other-${Date.now()}@example.com`);
    const theirs = await metricoolSource(other.token, 'Other tenant');
    const cross = await details(other.token, theirs, restatedJob);
    expect(cross.status, cross.text).toBe(404);
    expect(ErrorEnvelopeSchema.parse(cross.body).error.code).toBe('RESOURCE_NOT_FOUND');
    const foreignPath = await details(other.token, ids, restatedJob);
    expect(foreignPath.status, foreignPath.text).toBe(404);
    ErrorEnvelopeSchema.parse(foreignPath.body);

    const missing = await details(owner.token, ids, '00000000-0000-4000-8000-000000000000');
    expect(missing.status, missing.text).toBe(404);
    ErrorEnvelopeSchema.parse(missing.body);
    const malformed = await details(owner.token, ids, 'not-a-uuid');
    expect(malformed.status, malformed.text).toBe(400);
    expect(ErrorEnvelopeSchema.parse(malformed.body).error.request_id).toBeTruthy();
    const badSource = await details(owner.token, { projectId: ids.projectId, sourceId: '12' }, restatedJob);
    expect(badSource.status, badSource.text).toBe(400);
    ErrorEnvelopeSchema.parse(badSource.body);
  }, 300_000);
});
