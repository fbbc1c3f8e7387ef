// What the management API's handlers need, built from the composition root's Adapters. This module holds
// no platform code and no pipeline: each Lambda entry (api-lambda.ts) passes the connector lookup only
// if its routes reach a platform, so its bundle carries only that. api-deps.ts adds the registry and the
// in-process pipeline for the local runner and the tests.
import { Logger } from '@aws-lambda-powertools/logger';
import type { Connector, OAuthClientConfig } from '@tributary/connectors/contract';
import { oauthAppSource, webhookSigningSecret, type Adapters, type Clock } from '@tributary/shared/config/adapters';
import type { OAuthAppSource } from '@tributary/shared/adapters/oauth-app-source';
import { NotImplementedError } from '@tributary/shared/domain/errors';
import { apiConfigOf, type ApiConfig } from '@tributary/shared/config/config';
import type { Database } from '@tributary/shared/db/database';
import type { Platform } from '@tributary/shared/domain/platform';
import { oauthClientsFromConfig } from './credentials/oauth-apps';
import type { HttpDeps } from '@tributary/shared/http/http-handler';
import { UserDirectory } from '@tributary/shared/identity/user-directory';
import type { IdentityProvider } from '@tributary/shared/ports/identity-provider';
import type { Mailer } from '@tributary/shared/ports/mailer';
import type { SecretStore } from '@tributary/shared/ports/secret-store';
import type { WorkflowRunner } from '@tributary/shared/ports/workflow-runner';
import type { ScheduleRegistry } from '@tributary/shared/ports/schedule-registry';

export interface ApiDeps extends HttpDeps {
  /** starts extraction runs (POST …/extract); locally it runs the pipeline's handlers in process */
  workflow: WorkflowRunner;
  /** one schedule per data source, kept in step by the data-source handlers */
  schedules: ScheduleRegistry;
  db: Database;
  secrets: SecretStore;
  identity: IdentityProvider;
  /** the users rows behind verified identities (also HttpDeps.users); syncs verified email changes */
  directory: UserDirectory;
  /** invitation email: SES in AWS, the outbox file (printed by the runner) locally */
  mailer: Mailer;
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
  /**
   * minting signed webhook URLs: the deployment's signing secret (read on first use) and the public webhook base URL
   */
  webhooks: { signingSecret(): Promise<Buffer>; publicBaseUrl: string | undefined };
}

export function oauthClientResolver(
  clients: ApiDeps['oauthClients'],
  source: OAuthAppSource,
  findConnector: ApiDeps['findConnector'],
): ApiDeps['oauthClient'] {
  return async (platform) => {
    const configured = clients[platform];
    if (configured) return configured;
    const app = findConnector(platform)?.oauthApp;
    if (!app) throw new NotImplementedError(`${platform} has no OAuth app in this deployment`, { platform });
    return source.get(app);
  };
}

export interface ApiDepsOptions {
  logger?: Logger;
  oauthClients?: ApiDeps['oauthClients'];
  connectorBaseUrls?: Record<string, string>;
  rateLimits?: HttpDeps['rateLimits'];
}

/**
 * `findConnector`: the registry's lookup for routes that reach platforms; a function whose routes never do passes
 * `noConnectors`.
 */
export function buildApiDeps(
  adapters: Adapters,
  findConnector: ApiDeps['findConnector'],
  options: ApiDepsOptions = {},
): ApiDeps {
  const logger = options.logger ?? new Logger({ serviceName: 'tributary-api', logLevel: adapters.config.logLevel });
  const connectorBaseUrls = options.connectorBaseUrls ?? adapters.config.platforms.baseUrls;
  const directory = new UserDirectory(adapters.db, adapters.identity);
  const oauthClients = options.oauthClients ?? oauthClientsFromConfig(adapters.config.platforms, findConnector);
  return {
    logger,
    workflow: adapters.workflow,
    schedules: adapters.schedules,
    db: adapters.db,
    kv: adapters.kv,
    secrets: adapters.secrets,
    identity: adapters.identity,
    verifier: adapters.verifier,
    users: directory,
    directory,
    mailer: adapters.mailer,
    clock: adapters.clock,
    api: apiConfigOf(adapters.config),
    allowedOrigin: apiConfigOf(adapters.config).dashboardOrigin,
    findConnector,
    oauthClients,
    oauthClient: oauthClientResolver(oauthClients, oauthAppSource(adapters.config), findConnector),
    connectorBaseUrls,
    webhooks: {
      signingSecret: once(() => webhookSigningSecret(adapters.config.webhooks)),
      publicBaseUrl: adapters.config.webhooks.publicBaseUrl,
    },
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
  };
}

/** For the API functions whose routes never reach a platform (their bundles carry no connector). */
export const noConnectors: ApiDeps['findConnector'] = () => undefined;

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () =>
    (value ??= fn().catch((error: unknown) => {
      value = undefined;
      throw error;
    }));
}
