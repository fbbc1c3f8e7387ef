// Connecting a platform and extracting from it, in Chromium against the real local runner: Meta through the
// sandbox's consent page, a data source made with the wizard, and a run watched live until it succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  METRICOOL_DEMO_TOKEN,
  METRICOOL_DEMO_USER_ID,
} from '@tributary/connectors/sandboxes/metricool/metricool-sandbox';
import { expectAccessible, signIn, startDashboardRig, type DashboardRig } from './harness';

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
});
