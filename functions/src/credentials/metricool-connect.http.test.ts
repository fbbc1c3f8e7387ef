// Seam: connecting Metricool through the management API over real HTTP, with the Metricool sandbox as the
// platform: an API-key credential (token and user id), validate, the brands as accounts, a data source, and a
// 90-day extraction run by the in-process pipeline, whose totals the data API serves equal to the sandbox's truth.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startMetricoolSandbox,
  type MetricoolSandbox,
} from '@tributary/connectors/sandboxes/metricool/metricool-sandbox';
import { SandboxControl } from '@tributary/connectors/sandboxes/base/sandbox-server';
import { addDays } from '@tributary/connectors/sandboxes/base/days';
import { sumDecimals } from '@tributary/connectors/runtime/test-support';
import * as dataR from '../data/data.routes';
import * as dsR from '../data-sources/data-source.routes';
import * as projR from '../projects/project.routes';
import type { ApiHarness } from '../testing/api-harness';
import { startPipelineApiHarness, waitForJob, type PipelineApiHarness } from '../testing/pipeline-api-harness';
import * as credR from './credential.routes';

const TODAY = '2026-11-23';
const WINDOW = { window_start: addDays(TODAY, -89), window_end: TODAY };
const BRAND = '4210001';

let h: ApiHarness;
let sandbox: MetricoolSandbox;
let rig: PipelineApiHarness;
let user: { token: string; userId: string; orgId: string };
let projectId = '';

beforeAll(async () => {
  sandbox = await startMetricoolSandbox({ today: TODAY });
  rig = await startPipelineApiHarness({ metricool: sandbox.url }, 'tributary-metricool-s3-');
  h = rig.h;
  user = await h.signUp(`metricool-${Date.now()}@example.com`);
  const project = await h.call(projR.createProjectRoute, {
    token: user.token,
    body: { name: 'Social', reporting_currency: 'EUR' },
  });
  expect(project.status, project.text).toBe(201);
  projectId = (project.body as { id: string }).id;
}, 240_000);

afterAll(async () => {
  await rig?.stop();
  await sandbox?.stop();
});

/** An API-key credential of the sandbox's user, with the given token. */
function createCredential(label: string, apiToken: string) {
  return h.call(credR.createCredentialRoute, {
    token: user.token,
    params: { project_id: projectId },
    body: {
      platform: 'metricool',
      credential_type: 'api_key',
      label,
      secret: { api_token: apiToken, user_id: sandbox.userId },
    },
  });
}

describe('Metricool through the management API', () => {
  it('when a user connects Metricool with a token and user id, validates, picks a brand and extracts 90 days, the data API totals equal the truth', async () => {
    // connect: an API-key credential; the token never comes back
    const created = await createCredential('Metricool', sandbox.demoToken);
    expect(created.status, created.text).toBe(201);
    expect(created.text).not.toContain(sandbox.demoToken);
    const credentialId = (created.body as { id: string }).id;
    const ids = { project_id: projectId, credential_id: credentialId };

    const validated = await h.call(credR.validateCredentialRoute, { token: user.token, params: ids });
    expect(validated.status, validated.text).toBe(200);
    expect(validated.body).toMatchObject({ valid: true, message: null });

    const accounts = await h.call(credR.listCredentialAccountsRoute, { token: user.token, params: ids });
    expect(accounts.status, accounts.text).toBe(200);
    const listed = accounts.body as {
      accounts: { id: string; currency: string; time_zone: string }[];
      report_types: { id: string }[];
    };
    expect(listed.accounts.find((a) => a.id === BRAND)).toMatchObject({ currency: 'EUR', time_zone: 'Europe/Madrid' });
    expect(listed.report_types.map((r) => r.id)).toEqual([
      'account_timeline_daily',
      'posts_daily',
      'ad_campaigns_daily',
    ]);

    const source = await h.call(dsR.createDataSourceRoute, {
      token: user.token,
      params: { project_id: projectId },
      body: {
        credential_id: credentialId,
        source_name: 'Tienda Norte social',
        extraction_config: {
          account_id: BRAND,
          report_types: ['account_timeline_daily', 'posts_daily', 'ad_campaigns_daily'],
        },
        schedule_config: { frequency: 'daily', hour_utc: 5 },
      },
    });
    expect(source.status, source.text).toBe(201);
    const sourceId = (source.body as { id: string }).id;

    // extract: the in-process pipeline runs the job; poll its status as a script would
    const started = await h.call(dsR.extractDataSourceRoute, {
      token: user.token,
      params: { project_id: projectId, source_id: sourceId },
      body: WINDOW,
    });
    expect(started.status, started.text).toBe(202);
    const jobId = (started.body as { job_id: string }).job_id;
    const job = await waitForJob(h, user.token, { project_id: projectId, source_id: sourceId }, jobId);
    expect(job, JSON.stringify(job)).toMatchObject({ status: 'succeeded', error_message: null });
    expect(job.rows_inserted).toBeGreaterThan(500);

    // Assess: ad spend by campaign and posts' impressions by network, through the data API, equal the truth
    const control = new SandboxControl(sandbox.url);
    const q = { brand: BRAND, from: WINDOW.window_start, to: WINDOW.window_end };
    const adTruth = (
      await control.truth<{ rows: Record<string, { cost: string; clicks: string }> }>({
        report: 'ad_campaigns_daily',
        ...q,
      })
    ).rows;
    const summary = await h.call(dataR.getDataSummaryRoute, {
      token: user.token,
      params: { project_id: projectId },
      query: {
        start_date: WINDOW.window_start,
        end_date: WINDOW.window_end,
        platforms: 'metricool',
        metrics: 'cost,clicks',
        dimensions: 'extra.network',
        currency: 'native',
      },
    });
    expect(summary.status, summary.text).toBe(200);
    const byNetwork = Object.fromEntries(
      (summary.body as { rows: { extra_network: string; cost: number | string; clicks: number | string }[] }).rows
        .filter((r) => r.extra_network.endsWith('ads'))
        .map((r) => [r.extra_network, { cost: sumDecimals([String(r.cost)]), clicks: String(r.clicks) }]),
    );
    const truthByNetwork: Record<string, { cost: string; clicks: string }> = {};
    for (const [key, t] of Object.entries(adTruth)) {
      const network = key.split('|')[1]!;
      const acc = truthByNetwork[network] ?? { cost: '0', clicks: '0' };
      truthByNetwork[network] = { cost: sumDecimals([acc.cost, t.cost]), clicks: sumDecimals([acc.clicks, t.clicks]) };
    }
    expect(byNetwork).toEqual(truthByNetwork);

    const admin = new pg.Client({ connectionString: h.testDb.adminUrl });
    await admin.connect();
    try {
      const postTruth = (
        await control.truth<{ rows: Record<string, { posts: string }> }>({ report: 'posts_daily', ...q })
      ).rows;
      const posts = (
        await admin.query(
          `SELECT count(*)::int AS n FROM extracted_data WHERE data_source_id = $1 AND data_type = 'posts_daily'`,
          [sourceId],
        )
      ).rows[0].n;
      expect(String(posts)).toBe(sumDecimals(Object.values(postTruth).map((t) => t.posts)));
    } finally {
      await admin.end();
    }
  }, 300_000);

  it('when the token is wrong, validate says so in words and marks the credential invalid', async () => {
    const created = await createCredential('Old token', 'an-old-regenerated-token-0000');
    expect(created.status, created.text).toBe(201);
    const validated = await h.call(credR.validateCredentialRoute, {
      token: user.token,
      params: { project_id: projectId, credential_id: (created.body as { id: string }).id },
    });
    expect(validated.status, validated.text).toBe(200);
    expect(validated.body).toMatchObject({ valid: false, credential: { validation_status: 'invalid' } });
    expect((validated.body as { message: string }).message).toMatch(/Metricool refused the API token/);
    // a secret without the user id is refused at the edge
    const incomplete = await h.call(credR.createCredentialRoute, {
      token: user.token,
      params: { project_id: projectId },
      body: { platform: 'metricool', credential_type: 'api_key', label: 'x', secret: { api_token: 'x'.repeat(20) } },
    });
    expect(incomplete.status, incomplete.text).toBe(400);
  });
});
