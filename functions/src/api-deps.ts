// What the management API's handlers need, built from the composition root's Adapters. Lambdas build it
// once at module scope (lambda.ts); tests and the local runner build it from their own Config.
import { Logger } from '@aws-lambda-powertools/logger';
import { listConnectors } from '@tributary/connectors/registry';
import type { Connector, OAuthClientConfig } from '@tributary/connectors/contract';
import { oauthAppSource, webhookSigningSecret, type Adapters, type Clock } from '@tributary/shared/config/adapters';
import type { ApiConfig, OAuthAppName, PlatformsConfig } from '@tributary/shared/config/config';
import { NotImplementedError } from '@tributary/shared/domain/errors';
import type { OAuthAppSource } from '@tributary/shared/adapters/oauth-app-source';
import type { Database } from '@tributary/shared/db/database';
import type { Platform } from '@tributary/shared/domain/platform';
import type { HttpDeps } from '@tributary/shared/http/http-handler';
import { UserDirectory } from '@tributary/shared/identity/user-directory';
import type { IdentityProvider } from '@tributary/shared/ports/identity-provider';
import type { SecretStore } from '@tributary/shared/ports/secret-store';
import type { WorkflowRunner } from '@tributary/shared/ports/workflow-runner';
import type { ScheduleRegistry } from '@tributary/shared/ports/schedule-registry';
import { attachPipeline } from './pipeline/pipeline';
import { createPipelineDeps } from './pipeline/pipeline-deps';

export interface ApiDeps extends HttpDeps {
  /** starts extraction runs (POST …/extract); locally it runs the pipeline's handlers in process */
  workflow: WorkflowRunner;
  /** one schedule per data source, kept in step by the data-source handlers */
  schedules: ScheduleRegistry;
  db: Database;
  secrets: SecretStore;
  identity: IdentityProvider;
  clock: Clock;
  api: ApiConfig;
  /** undefined until the platform's connector exists: its validate and OAuth calls then answer 501 */
  findConnector(platform: Platform): Connector<unknown> | undefined;
  /** the OAuth apps registered with the platforms (client id and secret from deployment config) */
  oauthClients: Partial<Record<Platform, OAuthClientConfig>>;
  /**
   * The platform's OAuth app: from oauthClients, else its app's Secrets Manager secret (AWS). A platform whose
   * app is configured nowhere is a 501 naming the setting to fill.
   */
  oauthClient(platform: Platform): Promise<OAuthClientConfig>;
  /** where each connector reaches its platform: the real APIs in AWS, the sandboxes locally */
  connectorBaseUrls: Readonly<Record<string, string>>;
  /** minting signed webhook URLs: the deployment's signing secret (read on first use) and the public webhook base URL */
  webhooks: { signingSecret(): Promise<Buffer>; publicBaseUrl: string | undefined };
}

/** The configured OAuth apps, by the platforms that share them (one Google app, one Meta app). */
export function oauthClientsFromConfig(platforms: PlatformsConfig): ApiDeps['oauthClients'] {
  const { google, meta } = platforms.oauthApps;
  return { ...(google ? { google_ads: google, ga4: google } : {}), ...(meta ? { meta_ads: meta, instagram: meta } : {}) };
}

/** Which app a platform's connect flow uses: one Google app, one Meta app. */
export const OAUTH_APP_OF: Partial<Record<Platform, OAuthAppName>> = { google_ads: 'google', ga4: 'google', meta_ads: 'meta', instagram: 'meta' };

export function oauthClientResolver(clients: ApiDeps['oauthClients'], source: OAuthAppSource): ApiDeps['oauthClient'] {
  return async (platform) => {
    const configured = clients[platform];
    if (configured) return configured;
    const app = OAUTH_APP_OF[platform];
    if (!app) throw new NotImplementedError(`${platform} has no OAuth app in this deployment`, { platform });
    return source.get(app);
  };
}

export function findRegisteredConnector(platform: Platform): Connector<unknown> | undefined {
  return listConnectors().find((c) => c.platform === platform);
}

export function createApiDeps(
  adapters: Adapters,
  options: { logger?: Logger; oauthClients?: ApiDeps['oauthClients']; connectorBaseUrls?: Record<string, string>; findConnector?: ApiDeps['findConnector']; rateLimits?: HttpDeps['rateLimits'] } = {},
): ApiDeps {
  const logger = options.logger ?? new Logger({ serviceName: 'tributary-api', logLevel: adapters.config.logLevel });
  const connectorBaseUrls = options.connectorBaseUrls ?? adapters.config.platforms.baseUrls;
  const oauthClients = options.oauthClients ?? oauthClientsFromConfig(adapters.config.platforms);
  // an in-process runner needs the pipeline's task handlers; a Step Functions runner ignores them
  attachPipeline(createPipelineDeps(adapters, { connectorBaseUrls }));
  return {
    logger,
    workflow: adapters.workflow,
    schedules: adapters.schedules,
    db: adapters.db,
    kv: adapters.kv,
    secrets: adapters.secrets,
    identity: adapters.identity,
    verifier: adapters.verifier,
    users: new UserDirectory(adapters.db, adapters.identity),
    clock: adapters.clock,
    api: adapters.config.api,
    allowedOrigin: adapters.config.api.dashboardOrigin,
    findConnector: options.findConnector ?? findRegisteredConnector,
    oauthClients,
    oauthClient: oauthClientResolver(oauthClients, oauthAppSource(adapters.config)),
    connectorBaseUrls,
    webhooks: { signingSecret: once(() => webhookSigningSecret(adapters.config.webhooks)), publicBaseUrl: adapters.config.webhooks.publicBaseUrl },
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
  };
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= fn().catch((error: unknown) => {
    value = undefined;
    throw error;
  }));
}
