// Seam: the OAuth connect flow through real HTTP with the Google sandbox as the platform: the flow completes
// only for the signed-in user who started it; anyone else who opens the authorization link stores nothing.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GoogleSandbox } from '@tributary/connectors/sandboxes/google/google-sandbox';
import { ErrorEnvelopeSchema } from '@tributary/shared/http/error-envelope';
import * as projR from '../projects/project.routes';
import type { ApiHarness } from '../testing/api-harness';
import { startGoogleApiHarness } from '../testing/google-api-harness';
import * as credR from './credential.routes';

let h: ApiHarness;
let google: GoogleSandbox;
const stamp = Date.now();
let attacker: { token: string; userId: string; orgId: string };
let victim: { token: string; userId: string; orgId: string };
let projectId = '';

async function secretFiles(): Promise<string[]> {
  try {
    return await readdir(path.join(h.home, 'secrets'));
  } catch {
    return [];
  }
}

/** start → the sandbox's consent page → where the platform sends the browser back (code and state). */
async function authorize(
  token: string,
  label = `ads ${Math.random()}`,
): Promise<{ code: string; state: string; redirect: URL }> {
  const start = await h.call(credR.oauthStartRoute, {
    token,
    params: { project_id: projectId, platform: 'google_ads' },
    query: { label },
  });
  expect(start.status, start.text).toBe(200);
  const consent = await fetch((start.body as { authorization_url: string }).authorization_url, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  const redirect = new URL(consent.headers.get('location')!);
  return { code: redirect.searchParams.get('code')!, state: redirect.searchParams.get('state')!, redirect };
}

async function credentialCount(token: string): Promise<number> {
  const list = await h.call(credR.listCredentialsRoute, { token, params: { project_id: projectId } });
  expect(list.status, list.text).toBe(200);
  return (list.body as { credentials: unknown[] }).credentials.length;
}

beforeAll(async () => {
  ({ h, google } = await startGoogleApiHarness());
  attacker = await h.signUp(`attacker-${stamp}@example.com`);
  victim = await h.signUp(`victim-${stamp}@example.com`);
  const project = await h.call(projR.createProjectRoute, { token: attacker.token, body: { name: 'Attacker project' } });
  expect(project.status, project.text).toBe(201);
  projectId = (project.body as { id: string }).id;
}, 240_000);

afterAll(async () => {
  await h?.stop();
  await google?.stop();
});

describe('OAuth completion is bound to the user who started it', () => {
  it('redirects the platform to the dashboard page, not to the API', async () => {
    const { redirect } = await authorize(attacker.token);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(`${h.dashboardOrigin}/oauth/callback`);
  });

  it('when another signed-in user completes a link the attacker started, it answers 403, stores nothing, and the state is spent', async () => {
    // Prepare: the attacker's authorization link, opened and approved by the victim
    const { code, state } = await authorize(attacker.token);
    const before = await secretFiles();
    // Act: the dashboard, signed in as the victim, hands over code and state
    const r = await h.call(credR.oauthCompleteRoute, { token: victim.token, body: { code, state } });
    // Assess
    expect(r.status, r.text).toBe(403);
    expect(ErrorEnvelopeSchema.parse(r.body).error.code).toBe('AUTHORIZATION_FAILED');
    expect(await credentialCount(attacker.token)).toBe(0);
    expect(await secretFiles()).toEqual(before);
    // consumed on the refusal: the attacker cannot replay the victim's code with it
    const replay = await h.call(credR.oauthCompleteRoute, { token: attacker.token, body: { code, state } });
    expect(replay.status, replay.text).toBe(400);
    expect(await credentialCount(attacker.token)).toBe(0);
  });

  it('when the old callback address is opened, it stores nothing and forwards to the dashboard page', async () => {
    const { code, state } = await authorize(attacker.token);
    const old = await fetch(
      new URL(
        `/api/v1/oauth/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`,
        h.server.url,
      ),
      { redirect: 'manual' },
    );
    expect(old.status).toBe(302);
    const to = new URL(old.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(`${h.dashboardOrigin}/oauth/callback`);
    expect(to.searchParams.get('state')).toBe(state);
    expect(await credentialCount(attacker.token)).toBe(0);
    // without a signed-in user nothing completes
    expect((await h.call(credR.oauthCompleteRoute, { body: { code, state } })).status).toBe(401);
    // the state was not spent by the forward: the starter completes it
    const done = await h.call(credR.oauthCompleteRoute, { token: attacker.token, body: { code, state } });
    expect(done.status, done.text).toBe(201);
    expect(done.body).toMatchObject({
      project_id: projectId,
      platform: 'google_ads',
      credential_type: 'oauth2',
      status: 'active',
    });
    expect(await credentialCount(attacker.token)).toBe(1);
  });
});

describe('reconnecting through OAuth', () => {
  it('a reconnect replaces the same connection’s tokens in place and clears its old failed check', async () => {
    // Prepare: a connection whose tokens the user revoked, so its check failed
    const label = `reconnected ${stamp}`;
    const first = await authorize(attacker.token, label);
    const made = await h.call(credR.oauthCompleteRoute, {
      token: attacker.token,
      body: { code: first.code, state: first.state },
    });
    expect(made.status, made.text).toBe(201);
    const id = (made.body as { id: string }).id;
    const revoke = await fetch(`${google.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'revoked' }),
    });
    expect(revoke.ok, await revoke.text()).toBe(true);
    const path = { project_id: projectId, credential_id: id };
    const check = await h.call(credR.validateCredentialRoute, { token: attacker.token, params: path });
    expect(check.body, check.text).toMatchObject({ valid: false });
    const failed = await h.call(credR.getCredentialRoute, { token: attacker.token, params: path });
    expect(failed.body).toMatchObject({ validation_status: 'invalid', validation_message: expect.any(String) });
    const count = await credentialCount(attacker.token);
    // Act: consent again under the same label, as the dashboard's Reconnect does
    const again = await authorize(attacker.token, label);
    const done = await h.call(credR.oauthCompleteRoute, {
      token: attacker.token,
      body: { code: again.code, state: again.state },
    });
    // Assess: the same connection, no new one, and no verdict left over from the revoked tokens
    expect(done.status, done.text).toBe(201);
    expect(done.body).toMatchObject({ id, validation_status: 'pending', validation_message: null });
    expect(await credentialCount(attacker.token)).toBe(count);
    const works = await h.call(credR.validateCredentialRoute, { token: attacker.token, params: path });
    expect(works.body, works.text).toMatchObject({ valid: true });
  });
});
