// The laptop trial's numbers: in the demo user's "Demo project" (made by the demo webhook service), a
// Google Ads credential and data source on the Google sandbox, extracted once at start and then hourly by
// the runner's scheduler. Everything goes through the public management API, as a user's script would.
// The sandbox forgets its tokens when it stops, so each start signs the demo OAuth app in again (the
// sandbox approves at once) and rotates the one demo credential's secret; a second start reuses the
// credential and the data source (matched by name), never duplicates them.
import { GOOGLE_DEMO_CLIENT } from '@tributary/connectors/sandboxes/google/google-sandbox';
import { GOOGLE_SCOPES } from '@tributary/connectors/sandboxes/google/google-oauth';
import type { LocalService } from './runner';
import { callLocalApi } from './local-api-client';

const CREDENTIAL_LABEL = 'Demo Google Ads (sandbox)';
const SOURCE_NAME = 'Demo Google Ads';
const DEMO_ACCOUNT = '1234567890';


/** A fresh refresh token of the demo OAuth app: authorize (approved at once by the sandbox), then exchange the code. */
export async function sandboxTokens(googleUrl: string): Promise<{ refreshToken: string; accessToken: string; expiresAt: number }> {
  const redirectUri = 'http://127.0.0.1/demo-callback';
  const authorize = new URL('/o/oauth2/v2/auth', googleUrl);
  authorize.search = new URLSearchParams({ client_id: GOOGLE_DEMO_CLIENT.clientId, redirect_uri: redirectUri, response_type: 'code', scope: GOOGLE_SCOPES.ads, state: 'demo' }).toString();
  const consent = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(consent.headers.get('location') ?? 'http://invalid/').searchParams.get('code');
  if (!code) throw new Error(`the Google sandbox did not approve the demo app (${consent.status})`);
  const res = await fetch(new URL('/token', googleUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: GOOGLE_DEMO_CLIENT.clientId, client_secret: GOOGLE_DEMO_CLIENT.clientSecret }).toString(),
  });
  const json = (await res.json()) as { refresh_token?: string; access_token?: string; expires_in?: number };
  if (!json.refresh_token || !json.access_token) throw new Error(`the Google sandbox refused the demo code exchange (${res.status})`);
  // the access token too, as the API's OAuth callback stores it: creating the data source reads the catalog with it
  return { refreshToken: json.refresh_token, accessToken: json.access_token, expiresAt: Date.now() + (json.expires_in ?? 3599) * 1000 };
}

export interface DemoData {
  project_id: string;
  credential_id: string;
  data_source_id: string;
  first_job_id: string | null;
}

export async function ensureDemoData(apiUrl: string, googleUrl: string, demoUser: { email: string; password: string }, projectId: string): Promise<DemoData> {
  const login = await callLocalApi<{ access_token: string }>(apiUrl, 'POST', '/api/v1/auth/login', undefined, { email: demoUser.email, password: demoUser.password });
  if (login.status !== 200) throw new Error(`the demo user could not sign in to the local API (${login.status})`);
  const token = login.body.access_token;
  const base = `/api/v1/projects/${projectId}`;
  // tokens only: the demo OAuth app (client secret, developer token) is deployment config, never a tenant's secret
  const secret = { ...(await sandboxTokens(googleUrl)) };

  const credentials = await callLocalApi<{ credentials: { id: string; label: string }[] }>(apiUrl, 'GET', `${base}/credentials`, token);
  let credentialId = credentials.body.credentials?.find((c) => c.label === CREDENTIAL_LABEL)?.id;
  if (credentialId) {
    const rotated = await callLocalApi(apiUrl, 'PUT', `${base}/credentials/${credentialId}`, token, { secret, status: 'active' });
    if (rotated.status !== 200) throw new Error(`refreshing the demo credential failed (${rotated.status})`);
  } else {
    const created = await callLocalApi<{ id: string }>(apiUrl, 'POST', `${base}/credentials`, token, { platform: 'google_ads', credential_type: 'oauth2', label: CREDENTIAL_LABEL, secret });
    if (created.status !== 201) throw new Error(`creating the demo credential failed (${created.status}: ${JSON.stringify(created.body)})`);
    credentialId = created.body.id;
  }

  const sources = await callLocalApi<{ data_sources: { id: string; source_name: string }[] }>(apiUrl, 'GET', `${base}/data-sources`, token);
  let sourceId = sources.body.data_sources?.find((s) => s.source_name === SOURCE_NAME)?.id;
  if (!sourceId) {
    const created = await callLocalApi<{ id: string }>(apiUrl, 'POST', `${base}/data-sources`, token, {
      credential_id: credentialId,
      source_name: SOURCE_NAME,
      extraction_config: { account_id: DEMO_ACCOUNT, report_types: ['campaign_daily'] },
      schedule_config: { frequency: 'hourly' },
    });
    if (created.status !== 201) throw new Error(`creating the demo data source failed (${created.status}: ${JSON.stringify(created.body)})`);
    sourceId = created.body.id;
  }

  // once at every start (a run still going from before answers 409 and is left alone), then hourly
  const extract = await callLocalApi<{ job_id?: string }>(apiUrl, 'POST', `${base}/data-sources/${sourceId}/extract`, token, {});
  if (extract.status !== 202 && extract.status !== 409) throw new Error(`starting the demo extraction failed (${extract.status}: ${JSON.stringify(extract.body)})`);
  return { project_id: projectId, credential_id: credentialId, data_source_id: sourceId, first_job_id: extract.body.job_id ?? null };
}

export const demoDataService: LocalService = {
  name: 'demo-data',
  async start(ctx) {
    const apiUrl = ctx.env.TRIBUTARY_API_URL;
    const googleUrl = (ctx.published.sandboxes as Record<string, string> | undefined)?.google;
    const demoUser = ctx.published.demoUser as { email: string; password: string } | undefined;
    const projectId = (ctx.published.demoWebhook as { project_id?: string } | undefined)?.project_id;
    if (!apiUrl || !googleUrl || !demoUser || !projectId) throw new Error('the demo data is set up after the API, the Google sandbox and the demo webhook (which makes the demo project)');
    const demoData = await ensureDemoData(apiUrl, googleUrl, demoUser, projectId);
    ctx.log('demo-data', `Demo Google Ads data source ${demoData.data_source_id}: extracting now${demoData.first_job_id ? ` (job ${demoData.first_job_id})` : ''}, then hourly`);
    return { publish: { demoData }, stop: async () => {} };
  },
};
