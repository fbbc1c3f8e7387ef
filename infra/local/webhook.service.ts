// The public webhook endpoint on a laptop: serveWebhook behind a Node HTTP server (chunked responses, as
// the streamed Lambda function URL gives in AWS). Publishes `webhookUrl`, the base a webhook key is
// appended to: <webhookUrl>/webhook/v1/<key>/data?format=csv.
//
// demoWebhookService (registered after the API) gives the demo user a "Demo project" with a demo webhook,
// through the same public API a script would use, and names its URLs in local.json so a new user can paste
// one into Excel at once. The key is shown only once, so it is kept in .tributary/demo-webhook.json (0600).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { webhookSigningSecret } from '@tributary/shared/config/adapters';
import { loadConfig, loadLocalRunnerSettings } from '@tributary/shared/config/config';
import { createDatabase } from '@tributary/shared/db/database';
import { startWebhookServer } from '@tributary/functions/webhooks/webhook-server';
import type { LocalService } from './runner';
import { callLocalApi } from './local-api-client';

export const LOCAL_WEBHOOK_PORT = 4010;

export const webhookService: LocalService = {
  name: 'webhooks',
  async start(ctx) {
    const url = ctx.env.DATABASE_URL;
    if (!url) throw new Error('the webhook service starts after PostgreSQL, which publishes DATABASE_URL');
    const config = loadConfig(ctx.env);
    const db = createDatabase({ kind: 'url', url, maxConnections: 10 });
    const port = loadLocalRunnerSettings().ports.webhook ?? LOCAL_WEBHOOK_PORT;
    const server = await startWebhookServer(
      {
        db,
        signingSecret: await webhookSigningSecret(config.webhooks),
        onServerError: (err) =>
          ctx.log('webhooks', `request failed: ${err instanceof Error ? err.message : String(err)}`),
      },
      port,
    );
    ctx.log('webhooks', `webhook endpoint on ${server.url}/webhook/v1/<key>/data`);
    return {
      publish: { webhookUrl: server.url },
      env: { TRIBUTARY_WEBHOOK_URL: server.url },
      stop: async () => {
        await server.close();
        await db.close();
      },
    };
  },
};

export const DEMO_PROJECT_NAME = 'Demo project';
const DEMO_WEBHOOK_NAME = 'Demo webhook (Excel)';

interface DemoWebhookFile {
  projectId: string;
  webhookId: string;
  key: string;
}

export interface DemoWebhook {
  project_id: string;
  webhook_id: string;
  /** paste into Excel (Data → From Web) or Google Sheets (=IMPORTDATA(…)) */
  csv_url: string;
  summary_url: string;
  xlsx_url: string;
  /** a 7-day signed URL: names the webhook, not its key, and fixes its parameters */
  signed_csv_url: string;
  /** the webhook's OData v4 feed root: Excel's Data → Get Data → From OData Feed */
  odata_url: string;
}

export async function ensureDemoWebhook(
  apiUrl: string,
  webhookUrl: string,
  demoUser: { email: string; password: string },
  file: string,
): Promise<DemoWebhook> {
  const login = await callLocalApi<{ access_token: string }>(apiUrl, 'POST', '/api/v1/auth/login', undefined, {
    email: demoUser.email,
    password: demoUser.password,
  });
  if (login.status !== 200) throw new Error(`the demo user could not sign in to the local API (${login.status})`);
  const token = login.body.access_token;

  const projects = await callLocalApi<{ projects: { id: string; name: string }[] }>(
    apiUrl,
    'GET',
    '/api/v1/projects',
    token,
  );
  let projectId = projects.body.projects?.find((p) => p.name === DEMO_PROJECT_NAME)?.id;
  if (!projectId) {
    const created = await callLocalApi<{ id: string }>(apiUrl, 'POST', '/api/v1/projects', token, {
      name: DEMO_PROJECT_NAME,
      reporting_currency: 'USD',
    });
    if (created.status !== 201) throw new Error(`creating the demo project failed (${created.status})`);
    projectId = created.body.id;
  }

  const hooks = `/api/v1/projects/${projectId}/webhooks`;
  let saved = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as DemoWebhookFile) : undefined;
  if (saved) {
    const current = await callLocalApi<{ is_active: boolean; key_prefix: string }>(
      apiUrl,
      'GET',
      `${hooks}/${saved.webhookId}`,
      token,
    );
    // a webhook revoked, deleted or rotated since (through the API) gets a fresh demo webhook
    const usable =
      saved.projectId === projectId &&
      current.status === 200 &&
      current.body.is_active &&
      saved.key.startsWith(current.body.key_prefix);
    if (!usable) {
      if (current.status === 200) await callLocalApi(apiUrl, 'DELETE', `${hooks}/${saved.webhookId}`, token);
      saved = undefined;
    }
  }
  if (!saved) {
    const list = await callLocalApi<{ webhooks: { id: string; name: string }[] }>(apiUrl, 'GET', hooks, token);
    // one left from an earlier .tributary/ whose key file is gone cannot be used (its key was shown once): replace it
    const stale = list.body.webhooks?.find((w) => w.name === DEMO_WEBHOOK_NAME);
    if (stale) await callLocalApi(apiUrl, 'DELETE', `${hooks}/${stale.id}`, token);
    const created = await callLocalApi<{ webhook: { id: string }; key: string }>(apiUrl, 'POST', hooks, token, {
      name: DEMO_WEBHOOK_NAME,
      output_format: 'csv',
      rate_limit_per_hour: 1000,
    });
    if (created.status !== 201) throw new Error(`creating the demo webhook failed (${created.status})`);
    saved = { projectId, webhookId: created.body.webhook.id, key: created.body.key };
    await writeFile(file, JSON.stringify(saved) + '\n', { mode: 0o600 });
  }

  const signed = await callLocalApi<{ url: string }>(apiUrl, 'POST', `${hooks}/${saved.webhookId}/signed-urls`, token, {
    endpoint: 'data',
    query: { format: 'csv', date_range: 'last_30_days' },
    expires_in_seconds: 7 * 24 * 3600,
  });
  if (signed.status !== 201) throw new Error(`minting the demo signed URL failed (${signed.status})`);
  const base = `${webhookUrl}/webhook/v1/${saved.key}`;
  return {
    project_id: projectId,
    webhook_id: saved.webhookId,
    csv_url: `${base}/data?format=csv&date_range=last_30_days`,
    summary_url: `${base}/summary?format=csv&date_range=last_30_days&dimensions=platform,campaign`,
    xlsx_url: `${base}/data?format=xlsx&date_range=last_30_days`,
    signed_csv_url: signed.body.url,
    odata_url: `${webhookUrl}/odata/v1/${saved.key}/`,
  };
}

export const demoWebhookService: LocalService = {
  name: 'demo-webhook',
  async start(ctx) {
    const apiUrl = ctx.env.TRIBUTARY_API_URL;
    const webhookUrl = ctx.env.TRIBUTARY_WEBHOOK_URL;
    const demoUser = ctx.published.demoUser as { email: string; password: string } | undefined;
    if (!apiUrl || !webhookUrl || !demoUser)
      throw new Error(
        'the demo webhook is set up after the API, the webhook server and cognito-local (which creates the demo user)',
      );
    const demoWebhook = await ensureDemoWebhook(
      apiUrl,
      webhookUrl,
      demoUser,
      path.join(ctx.homeDir, 'demo-webhook.json'),
    );
    ctx.log('demo-webhook', `paste into Excel (Data → From Web): ${demoWebhook.csv_url}`);
    ctx.log('demo-webhook', `or as an OData feed (Data → Get Data → From OData Feed): ${demoWebhook.odata_url}`);
    return { publish: { demoWebhook }, stop: async () => {} };
  },
};
