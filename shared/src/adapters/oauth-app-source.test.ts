// Covers where the connect flows find an OAuth app: the configured variables, else the app's Secrets Manager
// secret, read through the real AWS SDK client from a small Secrets Manager stand-in (GetSecretValue over its
// JSON protocol) that the test fills the way an operator would.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config';
import { oauthAppSource } from '../config/adapters';
import { AppError } from '../domain/errors';
import { LOCAL_AWS_CREDENTIALS } from '../local/stand-in-credentials';
import { ConfiguredOAuthAppSource } from './oauth-app-source';

const secrets = new Map<string, string>();
const calls: string[] = [];
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      calls.push(`${String(req.headers['x-amz-target'])} ${SecretId}`);
      const value = secrets.get(SecretId);
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (value === undefined) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
        return;
      }
      res.end(
        JSON.stringify({
          ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SecretId}-AbCdEf`,
          Name: SecretId,
          SecretString: value,
          VersionId: 'v1',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () => new SecretsManagerClient({ region: 'us-east-1', endpoint, credentials: LOCAL_AWS_CREDENTIALS });

async function errorOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('OAuth app source', () => {
  it('when the variables configure an app, it is used as given and Secrets Manager is never asked', async () => {
    const before = calls.length;
    const source = new ConfiguredOAuthAppSource(
      {
        oauthApps: { google: { clientId: 'gid', clientSecret: 'gsecret' } },
        oauthAppSecrets: { google: 'tributary/prod/oauth-apps/google' },
      },
      client(),
    );
    expect(await source.get('google')).toEqual({ clientId: 'gid', clientSecret: 'gsecret' });
    expect(calls.length).toBe(before);
  });

  it('when an app is configured nowhere, it answers 501 naming the variables to set', async () => {
    const source = oauthAppSource(loadConfig({ TRIBUTARY_ENV: 'local' }));
    const error = await errorOf(source.get('meta'));
    expect(error.status).toBe(501);
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.message).toContain('TRIBUTARY_META_CLIENT_ID');
    expect(error.message).toContain('TRIBUTARY_META_CLIENT_SECRET');
    expect(error.details).toEqual({
      app: 'meta',
      missing_settings: ['TRIBUTARY_META_CLIENT_ID', 'TRIBUTARY_META_CLIENT_SECRET'],
    });
  });

  it('when the stack created the secret but the operator has not filled it, it answers 501 naming the secret and the missing keys, and takes the filled value without a restart', async () => {
    const name = 'tributary/staging/oauth-apps/google';
    secrets.set(name, JSON.stringify({ client_id: '', client_secret: '', developer_token: '' }));
    let now = 1_000_000;
    const source = new ConfiguredOAuthAppSource(
      { oauthApps: {}, oauthAppSecrets: { google: name } },
      client(),
      () => now,
    );
    const error = await errorOf(source.get('google'));
    expect(error.status).toBe(501);
    expect(error.message).toContain(name);
    expect(error.message).toContain('client_id and client_secret');
    expect(error.details).toEqual({ app: 'google', missing_settings: [name] });

    // the operator's one command (DEPLOY.md) fills it
    secrets.set(
      name,
      JSON.stringify({
        client_id: 'real-id.apps.googleusercontent.com',
        client_secret: 'real-secret',
        developer_token: 'dev-token',
      }),
    );
    expect(await source.get('google')).toEqual({
      clientId: 'real-id.apps.googleusercontent.com',
      clientSecret: 'real-secret',
      developerToken: 'dev-token',
    });
    // kept for five minutes, then read again (a rotated secret takes effect)
    const reads = () => calls.filter((c) => c === `secretsmanager.GetSecretValue ${name}`).length;
    const afterFirst = reads();
    now += 60_000;
    await source.get('google');
    expect(reads()).toBe(afterFirst);
    now += 5 * 60_000;
    await source.get('google');
    expect(reads()).toBe(afterFirst + 1);
  });

  it('when the secret is half filled, missing or not JSON, the 501 says which', async () => {
    secrets.set('half', JSON.stringify({ client_id: 'id-only' }));
    secrets.set('garbled', 'client_id=abc');
    const source = (id: string) =>
      new ConfiguredOAuthAppSource({ oauthApps: {}, oauthAppSecrets: { meta: id } }, client());
    expect((await errorOf(source('half').get('meta'))).message).toMatch(/fill client_secret in the secret half/);
    expect((await errorOf(source('gone').get('meta'))).message).toMatch(/the secret gone does not exist/);
    expect((await errorOf(source('garbled').get('meta'))).message).toMatch(/the secret garbled is not JSON/);
  });

  it('when the AWS config names the app secrets, the adapters read them from Secrets Manager', async () => {
    secrets.set(
      'tributary/prod/oauth-apps/meta',
      JSON.stringify({ client_id: 'meta-app', client_secret: 'meta-secret' }),
    );
    const config = loadConfig({
      TRIBUTARY_ENV: 'local',
      TRIBUTARY_META_APP_SECRET_ID: 'tributary/prod/oauth-apps/meta',
    });
    expect(config.platforms.oauthAppSecrets).toEqual({ meta: 'tributary/prod/oauth-apps/meta' });
    const source = new ConfiguredOAuthAppSource(config.platforms, client());
    expect(await source.get('meta')).toEqual({ clientId: 'meta-app', clientSecret: 'meta-secret' });
  });
});
