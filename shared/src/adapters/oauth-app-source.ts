// Where the connect flows get an OAuth app (client id and secret) from: the configuration's variables when
// set (locally, the tests), else the app's Secrets Manager secret that the stack creates empty and the
// operator fills (DEPLOY.md, "OAuth apps"). The secret is read when a flow first needs it and kept for five
// minutes, so filling or rotating it takes effect without a deploy. An app configured nowhere, or a secret
// still empty, is a 501 that names the setting to fill; never a 500.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { OAUTH_APP_SETTINGS, type OAuthAppConfig, type OAuthAppName, type PlatformsConfig } from '../config/config';
import { NotImplementedError } from '../domain/errors';
import { awsSdk } from './aws-sdk';

const CACHE_MS = 5 * 60_000;

export interface OAuthAppSource {
  /** the app, or NotImplementedError (501) naming the missing setting */
  get(app: OAuthAppName): Promise<OAuthAppConfig>;
}

export class ConfiguredOAuthAppSource implements OAuthAppSource {
  private readonly cache = new Map<OAuthAppName, { app: OAuthAppConfig; until: number }>();

  constructor(
    private readonly platforms: Pick<PlatformsConfig, 'oauthApps' | 'oauthAppSecrets'>,
    /** undefined where no app lives in Secrets Manager (local); a function makes it on first use */
    private readonly secretsManager: SecretsManagerClient | (() => SecretsManagerClient) | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  async get(app: OAuthAppName): Promise<OAuthAppConfig> {
    const configured = this.platforms.oauthApps[app];
    if (configured) return configured;
    const settings = OAUTH_APP_SETTINGS[app];
    const secretId = this.platforms.oauthAppSecrets[app];
    if (!secretId || !this.secretsManager) {
      throw new NotImplementedError(
        `No ${app} OAuth app is configured in this environment: set ${settings.clientId} and ${settings.clientSecret}`,
        {
          app,
          missing_settings: [settings.clientId, settings.clientSecret],
        },
      );
    }
    const cached = this.cache.get(app);
    if (cached && cached.until > this.now()) return cached.app;

    const unfilled = (what: string) =>
      new NotImplementedError(
        `The ${app} OAuth app is not configured in this environment: ${what} (DEPLOY.md, "OAuth apps")`,
        { app, missing_settings: [secretId] },
      );
    let raw: string | undefined;
    const client = typeof this.secretsManager === 'function' ? this.secretsManager() : this.secretsManager;
    try {
      raw = (await client.send(new (awsSdk.secretsManager().GetSecretValueCommand)({ SecretId: secretId })))
        .SecretString;
    } catch (error) {
      if (error instanceof awsSdk.secretsManager().ResourceNotFoundException)
        throw unfilled(`the secret ${secretId} does not exist`);
      throw error;
    }
    let value: Record<string, unknown> = {};
    try {
      value = JSON.parse(raw ?? '{}') as Record<string, unknown>;
    } catch {
      throw unfilled(`the secret ${secretId} is not JSON`);
    }
    const text = (key: string) =>
      typeof value[key] === 'string' && (value[key] as string).trim() !== ''
        ? (value[key] as string).trim()
        : undefined;
    const clientId = text('client_id');
    const clientSecret = text('client_secret');
    const missing = [clientId ? undefined : 'client_id', clientSecret ? undefined : 'client_secret'].filter(Boolean);
    if (!clientId || !clientSecret) throw unfilled(`fill ${missing.join(' and ')} in the secret ${secretId}`);
    const developerToken = text('developer_token');
    const resolved: OAuthAppConfig = { clientId, clientSecret, ...(developerToken ? { developerToken } : {}) };
    this.cache.set(app, { app: resolved, until: this.now() + CACHE_MS });
    return resolved;
  }
}
