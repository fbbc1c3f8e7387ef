// What the management API's handlers need, built from the composition root's Adapters. Lambdas build it
// once at module scope (lambda.ts); tests and the local runner build it from their own Config.
import { Logger } from '@aws-lambda-powertools/logger';
import { listConnectors } from '@tributary/connectors/registry';
import { logApiVersionWarnings } from '@tributary/connectors/runtime/api-versions';
import type { Connector, OAuthClientConfig } from '@tributary/connectors/contract';
import { webhookSigningSecret, type Adapters, type Clock } from '@tributary/shared/config/adapters';
import { apiConfigOf, type ApiConfig } from '@tributary/shared/config/config';
import type { Database } from '@tributary/shared/db/database';
import type { Platform } from '@tributary/shared/domain/platform';
import type { HttpDeps } from '@tributary/shared/http/http-handler';
import { UserDirectory } from '@tributary/shared/identity/user-directory';
import type { IdentityProvider } from '@tributary/shared/ports/identity-provider';
import type { Mailer } from '@tributary/shared/ports/mailer';
import type { SecretStore } from '@tributary/shared/ports/secret-store';
import type { WorkflowRunner } from '@tributary/shared/ports/workflow-runner';
import type { ScheduleRegistry } from '@tributary/shared/ports/schedule-registry';
import { oauthClientsFromConfig } from './credentials/oauth-apps';
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
  /** where each connector reaches its platform: the real APIs in AWS, the sandboxes locally */
  connectorBaseUrls: Readonly<Record<string, string>>;
  /** minting signed webhook URLs: the deployment's signing secret (read on first use) and the public webhook base URL */
  webhooks: { signingSecret(): Promise<Buffer>; publicBaseUrl: string | undefined };
}

export { oauthClientsFromConfig } from './credentials/oauth-apps';

export function findRegisteredConnector(platform: Platform): Connector<unknown> | undefined {
  return listConnectors().find((c) => c.platform === platform);
}

export function createApiDeps(
  adapters: Adapters,
  options: { logger?: Logger; oauthClients?: ApiDeps['oauthClients']; connectorBaseUrls?: Record<string, string>; findConnector?: ApiDeps['findConnector']; rateLimits?: HttpDeps['rateLimits'] } = {},
): ApiDeps {
  const logger = options.logger ?? new Logger({ serviceName: 'tributary-api', logLevel: adapters.config.logLevel });
  const connectorBaseUrls = options.connectorBaseUrls ?? adapters.config.platforms.baseUrls;
  // once per cold start: a pinned platform API version within 90 days of its sunset
  logApiVersionWarnings({ warn: (message, fields) => logger.warn(message, fields ?? {}) }, listConnectors(), adapters.clock.now());
  // an in-process runner needs the pipeline's task handlers; a Step Functions runner ignores them
  attachPipeline(createPipelineDeps(adapters, { connectorBaseUrls }));
  const directory = new UserDirectory(adapters.db, adapters.identity);
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
    findConnector: options.findConnector ?? findRegisteredConnector,
    oauthClients: options.oauthClients ?? oauthClientsFromConfig(adapters.config.platforms),
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
