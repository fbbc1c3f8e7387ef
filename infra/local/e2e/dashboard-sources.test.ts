// Connecting a platform and extracting from it, in Chromium against the real local runner: Meta through the
// sandbox's consent page, a data source made with the wizard, and a run watched live until it succeeds; then
// the user revokes the app, and the failed run's Reconnect link leads through the re-consent to a run that succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  METRICOOL_DEMO_TOKEN,
  METRICOOL_DEMO_USER_ID,
} from '@tributary/connectors/sandboxes/metricool/metricool-sandbox';
import { expectAccessible, expectNoSidewaysScroll, signIn, startDashboardRig, type DashboardRig } from './harness';

let rig: DashboardRig;
let projectId: string;

beforeAll(async () => {
  rig = await startDashboardRig();
  const api = await rig.apiAs(rig.local.demoUser);
  const created = await api<{ id: string }>('POST', '/api/v1/projects', {
    name: 'Meta in the browser',
    reporting_currency: 'USD',
    timezone: 'UTC',
  });
  expect(created.status).toBe(201);
  projectId = created.body.id;
}, 300_000);

afterAll(async () => {
  await rig?.stop();
});

describe('connections, data sources and runs', { timeout: 180_000 }, () => {
  it('when a user connects Meta through the sandbox consent page, the connection lands back on the dashboard, validates, and shows no secret', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.local.webUrl, rig.local.demoUser, `/projects/${projectId}/credentials`);
    await page.getByTestId('empty-state').waitFor();
    await expectAccessible(page, 'connections (empty)');
    await page.getByRole('button', { name: 'Connect a platform' }).click();
    await page.getByRole('combobox', { name: 'Platform' }).click();
    await page.getByRole('option', { name: /^Meta Ads/ }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Continue to Meta Ads' }).click();
    // the sandbox approves the demo user at once and sends the browser back through the API's callback
    await page.waitForURL(/\/projects\/[0-9a-f-]+\/credentials\?connected=/, { timeout: 30_000 });
    const card = page.getByTestId('credential-card');
    await card.first().waitFor();
    await expect(card.first().textContent()).resolves.toMatch(/Meta Ads/);
    await card.first().getByRole('button', { name: 'Validate' }).click();
    await page.getByText('The connection works.').waitFor({ timeout: 30_000 });
    const html = await page.content();
    expect(html).not.toMatch(/access_token|EAA[A-Za-z0-9]{10,}/);
    await expectAccessible(page, 'connections');
  });

  it('when a user builds a data source with the wizard and extracts it, live progress reaches success', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.local.webUrl, rig.local.demoUser, `/projects/${projectId}/sources`);
    await page.getByRole('button', { name: 'New data source' }).click();
    await page.getByRole('combobox', { name: 'Connection' }).click();
    await page.getByRole('option').first().click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('combobox', { name: 'Account' }).click({ timeout: 30_000 });
    await page.getByRole('option').first().click();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('checkbox').first().check();
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(page.getByTestId('next-runs').locator('li').count()).resolves.toBe(3);
    await expectAccessible(page, 'wizard: schedule');
    await page.getByRole('button', { name: 'Next' }).click();
    const fifteenDaysAgo = new Date(Date.now() - 15 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Backfill from').fill(fifteenDaysAgo);
    await page.getByLabel('Name').fill('Meta from the wizard');
    await page.getByRole('button', { name: 'Create data source' }).click();
    await page.getByRole('heading', { name: 'Meta from the wizard' }).waitFor();
    await page.getByText('Live updates: connected').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Extract now' }).click();
    await page.locator('[data-testid="run-row"][data-status="succeeded"]').first().waitFor({ timeout: 120_000 });
    await expectAccessible(page, 'runs');
    const api = await rig.apiAs(rig.local.demoUser);
    const sources = await api<{
      data_sources: { id: string; source_name: string; schedule_config: { frequency: string } }[];
    }>('GET', `/api/v1/projects/${projectId}/data-sources`);
    const made = sources.body.data_sources.find((s) => s.source_name === 'Meta from the wizard');
    expect(made?.schedule_config.frequency).toBe('daily');
    const rows = await page.locator('[data-testid="run-row"]').first().locator('td').allTextContents();
    expect(Number(rows[4]!.replace(/,/g, ''))).toBeGreaterThan(0);
  }, 240_000);
  it('when a user connects Metricool by typing its key into the form the platform catalog describes, it validates and the key is never shown', async () => {
    const page = await rig.newPage();
    await signIn(page, rig.local.webUrl, rig.local.demoUser, `/projects/${projectId}/credentials`);
    await page.getByRole('button', { name: 'Connect a platform' }).click();
    await page.getByRole('combobox', { name: 'Platform' }).click();
    await page.getByRole('option', { name: /^Metricool/ }).click();
    await page.getByRole('button', { name: 'Next' }).click();
    // labels, help and masking come from the connector's credential schema through GET /api/v1/platforms
    await page.getByLabel('Connection name').fill('Metricool brands');
    const token = page.getByLabel('API token');
    expect(await token.getAttribute('type')).toBe('password');
    await token.fill(METRICOOL_DEMO_TOKEN);
    await page.getByLabel('User id').fill(METRICOOL_DEMO_USER_ID);
    await expectAccessible(page, 'connect with a key');
    await page.getByRole('button', { name: 'Save' }).click();
    const card = page.getByTestId('credential-card').filter({ hasText: 'Metricool brands' });
    await card.waitFor();
    await card.getByRole('button', { name: 'Validate' }).click();
    await page.getByText('The connection works.').waitFor({ timeout: 30_000 });
    expect(await page.content()).not.toContain(METRICOOL_DEMO_TOKEN);
  });

  it('when a token is revoked, Reconnect on the failed run leads through re-consent to a good rerun', async () => {
    const api = await rig.apiAs(rig.local.demoUser);
    const list = await api<{ data_sources: { id: string; source_name: string; credential_id: string }[] }>(
      'GET',
      `/api/v1/projects/${projectId}/data-sources`,
    );
    const source = list.body.data_sources.find((s) => s.source_name === 'Meta from the wizard')!;
    const credentials = await api<{ credentials: { id: string; label: string }[] }>(
      'GET',
      `/api/v1/projects/${projectId}/credentials`,
    );
    const credential = credentials.body.credentials.find((c) => c.id === source.credential_id)!;
    // the user removed the app: every token issued so far fails (Graph 190/458) and cannot be refreshed
    // (an expired one could: the pipeline would renew it by itself); a new consent's token works
    const faults = `${rig.local.sandboxes.meta}/__sandbox/faults`;
    const fault = await fetch(faults, { method: 'POST', body: JSON.stringify({ kind: 'revoked' }) });
    expect(fault.status).toBe(200);
    try {
      const started = await api<{ job_id: string }>(
        'POST',
        `/api/v1/projects/${projectId}/data-sources/${source.id}/extract`,
        {},
      );
      expect(started.status).toBe(202);
      const failedJob = started.body.job_id;
      await waitForJob(api, source.id, failedJob, 'failed');

      // at phone width: the run's details, its Reconnect link naming the connection, and the re-consent
      const page = await rig.newPage({ width: 390, height: 844 });
      const runPath = `/projects/${projectId}/sources/${source.id}/runs/${failedJob}`;
      await signIn(page, rig.local.webUrl, rig.local.demoUser, runPath);
      const named = `Reconnect “${credential.label}”`;
      const reconnect = page.getByTestId('run-details').getByRole('link', { name: named });
      await reconnect.first().click();
      await page.waitForURL((u) => u.pathname === `/projects/${projectId}/credentials/${credential.id}`);
      const dialog = page.getByRole('dialog', { name: 'Sign in with Meta Ads' });
      await dialog.waitFor();
      expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
      await expect(page.locator('[data-highlighted="true"]').getAttribute('aria-label')).resolves.toBe(
        credential.label,
      );
      await expectAccessible(page, 'reconnect dialog (390 px)');
      await expectNoSidewaysScroll(page, 'reconnect dialog (390 px)');
      await dialog.getByRole('button', { name: 'Continue to Meta Ads' }).click();
      // back from the sandbox's consent page on the same connection, with the way back to the run
      await page.waitForURL((u) => u.pathname.endsWith(credential.id) && u.searchParams.get('connected') === '1', {
        timeout: 30_000,
      });
      const offer = page.getByTestId('reconnected');
      await offer.waitFor();
      await expect(offer.getByRole('link', { name: 'Back to the failed run' }).getAttribute('href')).resolves.toBe(
        runPath,
      );
      await expectAccessible(page, 'reconnected (390 px)');
      await offer.getByRole('button', { name: 'Extract again' }).click();
      await page.waitForURL((u) => /\/runs\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(failedJob));
      const rerun = new URL(page.url()).pathname.split('/').at(-1)!;
      await page.locator('[data-testid="run-row"][data-status="succeeded"]').first().waitFor({ timeout: 120_000 });
      await waitForJob(api, source.id, rerun, 'succeeded');
      // the reconnect replaced the tokens of the same connection: no second Meta connection appeared
      const after = await api<{ credentials: { platform: string }[] }>(
        'GET',
        `/api/v1/projects/${projectId}/credentials`,
      );
      expect(after.body.credentials.filter((c) => c.platform === 'meta_ads')).toHaveLength(1);
    } finally {
      await fetch(faults, { method: 'DELETE' });
    }
  }, 240_000);

  it('a link to a connection focuses it, opens the form for a new key, or says it is not here', async () => {
    const api = await rig.apiAs(rig.local.demoUser);
    const ours = await api<{ credentials: { id: string; label: string }[] }>(
      'GET',
      `/api/v1/projects/${projectId}/credentials`,
    );
    const demoProject = rig.local.demoData!.project_id;
    const theirs = await api<{ credentials: { id: string }[] }>('GET', `/api/v1/projects/${demoProject}/credentials`);
    const page = await rig.newPage();
    const target = ours.body.credentials[0]!;
    await signIn(page, rig.local.webUrl, rig.local.demoUser, `/projects/${projectId}/credentials/${target.id}`);
    const heading = page.getByRole('heading', { name: target.label, level: 2 });
    await heading.waitFor();
    await page.waitForFunction((label) => document.activeElement?.textContent === label, target.label);
    await expectAccessible(page, 'connection deep link');
    // an API-key platform's reconnect is the form for a new key, and the offer to go back follows the save
    const metricool = ours.body.credentials.find((c) => c.label === 'Metricool brands')!;
    const from = `/projects/${projectId}/sources`;
    await page.goto(`${rig.local.webUrl}/projects/${projectId}/credentials/${metricool.id}?reconnect=1&from=${from}`);
    const form = page.getByRole('dialog', { name: 'New key for Metricool brands' });
    await form.waitFor();
    await expectAccessible(page, 'new key form');
    await form.getByLabel('API token').fill(METRICOOL_DEMO_TOKEN);
    await form.getByLabel('User id').fill(METRICOOL_DEMO_USER_ID);
    await form.getByRole('button', { name: 'Save' }).click();
    const offer = page.getByTestId('reconnected');
    await offer.waitFor();
    await expect(offer.getByRole('link', { name: 'Go back' }).getAttribute('href')).resolves.toBe(from);
    // the status chip fades from valid's green to pending's grey: judge its contrast once the fade is over
    await page.waitForFunction(() => document.getAnimations().length === 0);
    await expectAccessible(page, 'reconnected (desktop)');
    // another project's connection, then one that does not exist at all
    for (const id of [theirs.body.credentials[0]!.id, '00000000-0000-4000-8000-000000000000']) {
      await page.goto(`${rig.local.webUrl}/projects/${projectId}/credentials/${id}`);
      const missing = page.getByTestId('connection-missing');
      await missing.waitFor();
      await expect(missing.textContent()).resolves.toMatch(/does not exist in this project/);
      await expect(page.getByTestId('credential-card').count()).resolves.toBe(ours.body.credentials.length);
    }
    await expectAccessible(page, 'missing connection');
  });
});

async function waitForJob(
  api: Awaited<ReturnType<DashboardRig['apiAs']>>,
  sourceId: string,
  jobId: string,
  want: string,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const r = await api<{ jobs: { id: string; status: string; error_code: string | null }[] }>(
      'GET',
      `/api/v1/projects/${projectId}/data-sources/${sourceId}/status`,
    );
    const job = r.body.jobs.find((j) => j.id === jobId);
    if (job && !['pending', 'queued', 'running'].includes(job.status)) {
      expect(job, `run ${jobId}`).toMatchObject({ status: want });
      return;
    }
    if (Date.now() > deadline) throw new Error(`run ${jobId} had not ended after 120 s (${job?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
