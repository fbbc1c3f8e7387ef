// Seam: loadConfig as a pure function of an environment map, for the platform settings (base URLs and the
// OAuth apps) the management API and the pipeline hand to the connectors.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

const base = { TRIBUTARY_ENV: 'local', TRIBUTARY_HOME: '/tmp/tributary-config-test' };

describe('platform settings', () => {
  it('when nothing is set, connectors reach the platforms themselves and no OAuth app is configured', () => {
    const { platforms } = loadConfig(base);
    expect(platforms).toEqual({ baseUrls: {}, oauthApps: {}, oauthAppSecrets: {} });
  });

  it('when the runner publishes sandbox URLs and demo apps, they are read into the typed config', () => {
    const { platforms } = loadConfig({
      ...base,
      TRIBUTARY_PLATFORM_BASE_URLS: JSON.stringify({
        ga4_data: 'http://127.0.0.1:4101',
        meta_graph: 'http://127.0.0.1:4102',
      }),
      TRIBUTARY_GOOGLE_CLIENT_ID: 'google-app',
      TRIBUTARY_GOOGLE_CLIENT_SECRET: 'google-secret',
      TRIBUTARY_GOOGLE_ADS_DEVELOPER_TOKEN: 'dev-token',
      TRIBUTARY_META_CLIENT_ID: 'meta-app',
      TRIBUTARY_META_CLIENT_SECRET: 'meta-secret',
    });
    expect(platforms.baseUrls).toEqual({ ga4_data: 'http://127.0.0.1:4101', meta_graph: 'http://127.0.0.1:4102' });
    expect(platforms.oauthApps).toEqual({
      google: { clientId: 'google-app', clientSecret: 'google-secret', developerToken: 'dev-token' },
      meta: { clientId: 'meta-app', clientSecret: 'meta-secret' },
    });
    expect(Object.isFrozen(platforms.baseUrls)).toBe(true);
  });

  it('when the base URLs are not a JSON map of URLs, start-up stops naming the variable', () => {
    expect(() => loadConfig({ ...base, TRIBUTARY_PLATFORM_BASE_URLS: 'not json' })).toThrow(
      /TRIBUTARY_PLATFORM_BASE_URLS is invalid/,
    );
    expect(() => loadConfig({ ...base, TRIBUTARY_PLATFORM_BASE_URLS: '{"ga4_data":"nowhere"}' })).toThrow(
      /TRIBUTARY_PLATFORM_BASE_URLS is invalid/,
    );
  });

  it('when only half of an OAuth app is set, start-up stops naming the missing half and never echoes the secret', () => {
    expect(() => loadConfig({ ...base, TRIBUTARY_META_CLIENT_ID: 'meta-app' })).toThrow(
      new ConfigError('TRIBUTARY_META_CLIENT_SECRET', 'is missing (TRIBUTARY_META_CLIENT_ID is set)'),
    );
    let message = '';
    try {
      loadConfig({ ...base, TRIBUTARY_GOOGLE_CLIENT_SECRET: 'very-secret-value' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/TRIBUTARY_GOOGLE_CLIENT_ID is missing/);
    expect(message).not.toContain('very-secret-value');
  });
});

describe('pipeline settings', () => {
  it('when in a Lambda, the page encoder gets a thread only from two vCPUs of memory; a variable overrides it', () => {
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024' }).pipeline.pageEncoderThreads).toBe(0);
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3538' }).pipeline.pageEncoderThreads).toBe(1);
    expect(
      loadConfig({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024', TRIBUTARY_PAGE_ENCODER_THREADS: '2' }).pipeline
        .pageEncoderThreads,
    ).toBe(2);
    expect(loadConfig({ TRIBUTARY_PAGE_ENCODER_THREADS: '0' }).pipeline.pageEncoderThreads).toBe(0);
    expect(() => loadConfig({ TRIBUTARY_PAGE_ENCODER_THREADS: 'many' })).toThrow(
      /TRIBUTARY_PAGE_ENCODER_THREADS is invalid/,
    );
  });
});

describe('identity-hardening settings', () => {
  it('when a signing-secret ARN is set, the webhook secret is read from Secrets Manager rather than the environment', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tributary/prod/webhook-signing-AbCdEf';
    const { webhooks } = loadConfig({
      ...base,
      TRIBUTARY_ENV: 'prod',
      TRIBUTARY_KMS_KEY_ID: 'k',
      TRIBUTARY_USER_POOL_ID: 'p',
      TRIBUTARY_USER_POOL_CLIENT_ID: 'c',
      TRIBUTARY_DASHBOARD_ORIGIN: 'https://app.example.com',
      AWS_REGION: 'eu-west-1',
      TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN: arn,
    });
    expect(webhooks.signingSecret).toEqual({ kind: 'secrets-manager', arn, region: 'eu-west-1' });
    expect(() => loadConfig({ ...base, TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN: 'not-an-arn' })).toThrow(ConfigError);
  });

  it('when nothing is set, the OAuth redirect is the dashboard page and invitations go to the local outbox', () => {
    const config = loadConfig({ ...base, TRIBUTARY_DASHBOARD_ORIGIN: 'http://127.0.0.1:5999' });
    expect(config.api!.oauthRedirectUri).toBe('http://127.0.0.1:5999/oauth/callback');
    expect(config.mail).toEqual({ kind: 'outbox', file: '/tmp/tributary-config-test/outbox.ndjson' });
    expect(loadConfig({ ...base, TRIBUTARY_MAIL_FROM: 'Tributary <no-reply@example.com>' }).mail).toMatchObject({
      kind: 'ses',
      from: 'Tributary <no-reply@example.com>',
    });
  });
});
