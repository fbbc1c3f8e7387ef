// Seam: a token refresh during a run (the pipeline's connector context, the Google sandbox's token endpoint,
// the local secret store, PostgreSQL) racing an admin's rotation through the HTTP API. The run writes back
// only its refreshed tokens, only if the secret is still the version it read, and never the deployment's
// OAuth app secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getConnector } from '@tributary/connectors/registry';
import { GOOGLE_DEMO_CLIENT, type GoogleSandbox } from '@tributary/connectors/sandboxes/google/google-sandbox';
import pg from 'pg';
import { connectorContext } from '../pipeline/connector-context';
import { createPipelineDeps, type PipelineDeps } from '../pipeline/pipeline-deps';
import type { RunContext } from '../pipeline/run-records';
import * as projR from '../projects/project.routes';
import type { ApiHarness } from '../testing/api-harness';
import { startGoogleApiHarness } from '../testing/google-api-harness';
import * as credR from './credential.routes';

let h: ApiHarness;
let google: GoogleSandbox;
let pipeline: PipelineDeps;
let owner: { token: string; userId: string; orgId: string };
let projectId = '';

async function newCredential(label: string): Promise<{ id: string; secretRef: string }> {
  const created = await h.call(credR.createCredentialRoute, {
    token: owner.token,
    params: { project_id: projectId },
    body: {
      platform: 'google_ads',
      credential_type: 'oauth2',
      label,
      secret: { refreshToken: google.demoRefreshToken },
    },
  });
  expect(created.status, created.text).toBe(201);
  const id = (created.body as { id: string }).id;
  const admin = new pg.Client({ connectionString: h.testDb.adminUrl });
  await admin.connect();
  try {
    return {
      id,
      secretRef: (await admin.query('SELECT secret_ref FROM credentials WHERE id = $1', [id])).rows[0]
        .secret_ref as string,
    };
  } finally {
    await admin.end();
  }
}

function runOf(credential: { id: string; secretRef: string }): RunContext {
  return {
    jobId: '00000000-0000-4000-8000-000000000001',
    organizationId: owner.orgId,
    projectId,
    dataSourceId: '00000000-0000-4000-8000-000000000002',
    jobType: 'manual',
    jobStatus: 'running',
    requestedWindow: null,
    platform: 'google_ads',
    extractionConfig: {},
    scheduleConfig: {},
    lastSuccessfulDate: null,
    accountInfo: null,
    accountCheckedAt: null,
    credentialId: credential.id,
    secretRef: credential.secretRef,
    startedAt: new Date(),
  };
}

beforeAll(async () => {
  ({ h, google } = await startGoogleApiHarness());
  pipeline = createPipelineDeps(h.adapters);
  owner = await h.signUp(`writeback-${Date.now()}@example.com`);
  const project = await h.call(projR.createProjectRoute, { token: owner.token, body: { name: 'Token races' } });
  projectId = (project.body as { id: string }).id;
}, 240_000);

afterAll(async () => {
  await h?.stop();
  await google?.stop();
});

describe('refreshed tokens written back during a run', () => {
  it('when an admin rotates the secret while a run refreshes its token, the rotation stays', async () => {
    // Prepare: a run has read the credential
    const credential = await newCredential('rotated mid-run');
    const connector = getConnector('google_ads');
    const ctx = await connectorContext(pipeline, runOf(credential), connector);
    // Act: the admin rotates through the API, then the run's refresh (of the old token) completes
    const rotated = { refreshToken: google.tokens.issueRefreshToken(), loginCustomerId: '1234567890' };
    const put = await h.call(credR.updateCredentialRoute, {
      token: owner.token,
      params: { project_id: projectId, credential_id: credential.id },
      body: { secret: rotated },
    });
    expect(put.status, put.text).toBe(200);
    const refreshed = await connector.refresh!(ctx);
    await ctx.onTokensRefreshed!(refreshed);
    // Assess: the admin's value is what is stored; the run still holds its fresh token in memory
    expect(await h.adapters.secrets.read(credential.secretRef)).toEqual(rotated);
    expect((ctx.credential as { accessToken?: string }).accessToken).toEqual(expect.any(String));
  });

  it('when nothing changed meanwhile, only the tokens are written and the deployment app never lands in the secret', async () => {
    const credential = await newCredential('refreshed');
    const connector = getConnector('google_ads');
    const ctx = await connectorContext(pipeline, runOf(credential), connector);
    const refreshed = await connector.refresh!(ctx);
    await ctx.onTokensRefreshed!(refreshed);
    const stored = await h.adapters.secrets.read(credential.secretRef);
    expect(stored).toMatchObject({
      refreshToken: google.demoRefreshToken,
      accessToken: (refreshed as { accessToken: string }).accessToken,
    });
    for (const key of ['clientId', 'clientSecret', 'developerToken']) expect(stored).not.toHaveProperty(key);
    expect(JSON.stringify(stored)).not.toContain(GOOGLE_DEMO_CLIENT.clientSecret);
    // and a second refresh by the same run (its own write moved the version on) is stored too
    const again = await connector.refresh!(ctx);
    await ctx.onTokensRefreshed!(again);
    expect((await h.adapters.secrets.read(credential.secretRef)).accessToken).toBe(
      (again as { accessToken: string }).accessToken,
    );
  });

  it('when the refresh endpoint refreshes, it stores the new tokens beside the old refresh token and no app secret', async () => {
    const credential = await newCredential('api refresh');
    const r = await h.call(credR.refreshCredentialRoute, {
      token: owner.token,
      params: { project_id: projectId, credential_id: credential.id },
    });
    expect(r.status, r.text).toBe(200);
    const stored = await h.adapters.secrets.read(credential.secretRef);
    expect(stored.refreshToken).toBe(google.demoRefreshToken);
    expect(stored).not.toHaveProperty('clientSecret');
  });
});
