// The composition root: the one place that turns a Config into implementations. It branches on what the
// config says to build (an endpoint, a store kind), never on "am I local?". Lambdas call
// createAdapters(loadConfig()) once at module scope; tests and the local runner pass their own Config.
// createAdapters builds each port on its first use (lazyPort): an AWS SDK client's module is loaded and the
// client constructed when a handler first needs it, not at cold start (adapters/aws-sdk.ts).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsSdk } from '../adapters/aws-sdk';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ConfigError,
  type Config,
  type MailConfig,
  type IdentityConfig,
  type KeyValueConfig,
  type ObjectStoreConfig,
  type SchedulerConfig,
  type SecretStoreConfig,
  type WebhookConfig,
  type WorkflowConfig,
} from './config';
import { LocalStepFunctionsRunner } from '../adapters/local-step-functions-runner';
import { EXTRACTION_DEFINITION } from '../workflow/extraction-definition';
import { StepFunctionsWorkflowRunner } from '../adapters/step-functions-workflow-runner';
import type { WorkflowRunner } from '../ports/workflow-runner';
import type { ScheduleRegistry } from '../ports/schedule-registry';
import { EventBridgeScheduleRegistry } from '../adapters/eventbridge-schedule-registry';
import { inProcessScheduleRegistry } from '../adapters/in-process-schedule-registry';
import { InMemoryProgressPublisher, type ProgressPublisher } from '../ports/progress-events';
import { CognitoIdentityProvider } from '../adapters/cognito-identity-provider';
import { CognitoTokenVerifier, JwksTokenVerifier } from '../adapters/jwt-token-verifier';
import { LocalEnvelopeSecretStore } from '../adapters/local-envelope-secret-store';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store';
import { ConfiguredOAuthAppSource, type OAuthAppSource } from '../adapters/oauth-app-source';
import type { IdentityProvider } from '../ports/identity-provider';
import type { Mailer } from '../ports/mailer';
import { OutboxMailer } from '../adapters/outbox-mailer';
import { SesMailer } from '../adapters/ses-mailer';
import type { SecretStore } from '../ports/secret-store';
import type { TokenVerifier } from '../ports/token-verifier';
import { createDatabase, type Database } from '../db/database';
import { DynamoDbKeyValueStore } from '../adapters/dynamodb-key-value-store';
import { S3BlobStore } from '../adapters/s3-blob-store';
import type { BlobStore } from '../ports/blob-store';
import type { KeyValueStore } from '../ports/key-value-store';
import { LOCAL_AWS_CREDENTIALS, S3RVER_CREDENTIALS } from '../local/stand-in-credentials';
import type { ProgressConfig } from './progress-config';
import { ApiGatewayProgressPublisher } from '../adapters/api-gateway-progress-publisher';
import { DynamoDbProgressConnections } from '../adapters/dynamodb-progress-connections';
import { LocalWebSocketProgressPublisher } from '../adapters/local-progress-publisher';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface Adapters {
  config: Config;
  db: Database;
  /** the pipeline's database login (may become the loader); the same as db unless config names another */
  pipelineDb: Database;
  kv: KeyValueStore;
  blobs: BlobStore;
  clock: Clock;
  secrets: SecretStore;
  identity: IdentityProvider;
  verifier: TokenVerifier;
  /** starts extraction runs: Step Functions, or the same ASL in process */
  workflow: WorkflowRunner;
  /** one schedule per data source: EventBridge Scheduler, or the runner's in-process scheduler */
  schedules: ScheduleRegistry;
  /** live progress of runs (in memory by default; WebSocket delivery subscribes) */
  progress: ProgressPublisher;
  /** invitation email: SES, or the local outbox */
  mailer: Mailer;
  /** releases pools and clients (tests, the local runner's shutdown) */
  close(): Promise<void>;
}

export function s3Client(config: ObjectStoreConfig): S3Client {
  return new (awsSdk.s3().S3Client)({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    // a configured endpoint is a stand-in (s3rver) that accepts only its own fixed credentials
    ...(config.endpoint ? { endpoint: config.endpoint, credentials: S3RVER_CREDENTIALS } : {}),
  });
}

export function dynamoDbClient(config: KeyValueConfig): DynamoDBClient {
  return new (awsSdk.dynamoDb().DynamoDBClient)({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint, credentials: LOCAL_AWS_CREDENTIALS } : {}),
  });
}

export function secretStore(config: SecretStoreConfig): SecretStore {
  return config.kind === 'aws-secrets-manager'
    ? new SecretsManagerSecretStore(
        new (awsSdk.secretsManager().SecretsManagerClient)({
          region: config.region,
          ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        }),
        { kmsKeyId: config.kmsKeyId, secretPrefix: config.secretPrefix },
      )
    : new LocalEnvelopeSecretStore({ keyFile: config.keyFile, storeDir: config.storeDir });
}

/**
 * The OAuth apps of the connect flows: the configured variables, else the apps' Secrets Manager secrets
 * (in the region and at the endpoint of the credential secret store).
 */
export function oauthAppSource(config: Pick<Config, 'platforms' | 'secrets' | 'objectStore'>): OAuthAppSource {
  const { platforms, secrets } = config;
  const needsClient = Object.keys(platforms.oauthAppSecrets).length > 0;
  const region = secrets.kind === 'aws-secrets-manager' ? secrets.region : config.objectStore.region;
  const endpoint = secrets.kind === 'aws-secrets-manager' ? secrets.endpoint : undefined;
  // made when a flow first reads an app, not at cold start (loading the SDK client is ~100 ms of one)
  let client: SecretsManagerClient | undefined;
  const makeClient = () =>
    (client ??= new (awsSdk.secretsManager().SecretsManagerClient)({ region, ...(endpoint ? { endpoint } : {}) }));
  return new ConfiguredOAuthAppSource(platforms, needsClient ? makeClient : undefined);
}

export function identityProvider(config: IdentityConfig): IdentityProvider {
  const client = new (awsSdk.cognitoIdentityProvider().CognitoIdentityProviderClient)(
    config.kind === 'cognito-local'
      ? { region: 'us-east-1', endpoint: config.endpoint, credentials: LOCAL_AWS_CREDENTIALS }
      : { region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}) },
  );
  return new CognitoIdentityProvider(client, {
    userPoolId: config.userPoolId,
    clientId: config.clientId,
    supportsGlobalSignOut: config.kind === 'cognito',
  });
}

export function tokenVerifier(config: IdentityConfig): TokenVerifier {
  const clientIds = [config.clientId, ...(config.extraClientIds ?? [])];
  // a configured endpoint (cognito-local) issues its own tokens and serves its own keys
  if (config.kind === 'cognito-local' || config.endpoint) {
    const issuer = `${config.endpoint}/${config.userPoolId}`;
    return new JwksTokenVerifier({ issuer, jwksUri: `${issuer}/.well-known/jwks.json`, clientIds });
  }
  return new CognitoTokenVerifier({ userPoolId: config.userPoolId, clientIds });
}

export function workflowRunner(config: WorkflowConfig): WorkflowRunner {
  switch (config.kind) {
    case 'step-functions':
      return new StepFunctionsWorkflowRunner(
        new (awsSdk.sfn().SFNClient)({
          region: config.region,
          ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        }),
        config.stateMachineArn,
      );
    case 'local-step-functions':
      return new LocalStepFunctionsRunner(EXTRACTION_DEFINITION);
    case 'none':
      return {
        start: () =>
          Promise.reject(
            new ConfigError('TRIBUTARY_STATE_MACHINE_ARN', 'is missing (this function does not start extraction runs)'),
          ),
      };
  }
}

/** Where progress events go: API Gateway WebSocket connections, the local WebSocket server, or in-process listeners. */
export function progressPublisher(config: ProgressConfig, ddb: () => DynamoDBClient): ProgressPublisher {
  switch (config.kind) {
    case 'api-gateway':
      return new ApiGatewayProgressPublisher(
        new (awsSdk.apiGatewayManagementApi().ApiGatewayManagementApiClient)({
          region: config.region,
          endpoint: config.callbackUrl,
        }),
        new DynamoDbProgressConnections(ddb(), config.connectionsTable),
      );
    case 'local-websocket':
      return new LocalWebSocketProgressPublisher({ publishUrl: config.publishUrl, publishKey: config.publishKey });
    case 'in-memory':
      return new InMemoryProgressPublisher();
  }
}

export function scheduleRegistry(config: SchedulerConfig): ScheduleRegistry {
  if (config.kind === 'in-process') return inProcessScheduleRegistry();
  const { region, endpoint, ...options } = config;
  return new EventBridgeScheduleRegistry(
    new (awsSdk.scheduler().SchedulerClient)({ region, ...(endpoint ? { endpoint } : {}) }),
    options,
  );
}

export function mailer(config: MailConfig): Mailer {
  switch (config.kind) {
    case 'ses':
      return new SesMailer(new (awsSdk.sesV2().SESv2Client)({ region: config.region }), {
        from: config.from,
        ...(config.configurationSet ? { configurationSet: config.configurationSet } : {}),
      });
    case 'outbox':
      return new OutboxMailer(config.file);
    case 'none':
      return {
        sendInvitation: async () => {
          throw new ConfigError('TRIBUTARY_MAIL_FROM', 'is missing (this function sends invitation email)');
        },
      };
  }
}

/**
 * A port built on its first use: the first property read (a method call) runs `build`, so a function that
 * never touches a store never loads its SDK client. `in` and instanceof build it too.
 */
export function lazyPort<T extends object>(build: () => T): T {
  let port: T | undefined;
  const get = () => (port ??= build());
  return new Proxy({} as T, {
    get(_target, key) {
      const value = Reflect.get(get(), key) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(get()) : value;
    },
    has: (_target, key) => Reflect.has(get(), key),
    // instanceof sees the built adapter's class
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
  });
}

/** A value made on first call and kept. */
function once<T>(make: () => T): { (): T; made(): T | undefined } {
  let value: T | undefined;
  return Object.assign(() => (value ??= make()), { made: () => value });
}

export function createAdapters(config: Config): Adapters {
  const db = createDatabase(config.database);
  const pipelineDb = config.pipelineDatabase ? createDatabase(config.pipelineDatabase) : db;
  const s3 = once(() => s3Client(config.objectStore));
  const ddb = once(() => dynamoDbClient(config.keyValue));
  return {
    config,
    db,
    pipelineDb,
    kv: lazyPort(() => new DynamoDbKeyValueStore(ddb(), config.keyValue.table)),
    blobs: lazyPort(() => new S3BlobStore(s3())),
    clock: systemClock,
    secrets: lazyPort(() => secretStore(config.secrets)),
    identity: lazyPort(() => identityProvider(config.identity)),
    verifier: tokenVerifier(config.identity),
    workflow: lazyPort(() => workflowRunner(config.workflow)),
    schedules: lazyPort(() => scheduleRegistry(config.schedules)),
    progress: lazyPort(() => progressPublisher(config.progress, ddb)),
    mailer: lazyPort(() => mailer(config.mail)),
    close: async () => {
      await db.close();
      if (pipelineDb !== db) await pipelineDb.close();
      s3.made()?.destroy();
      ddb.made()?.destroy();
    },
  };
}

/**
 * The webhook URL-signing secret as bytes. A configured value (Secrets Manager, resolved at deploy) is used
 * as given; locally the key file under .tributary/ is made once (0600) and reused, so signed URLs survive
 * restarts. Read lazily: only the functions that serve or mint webhook URLs ever ask for it.
 */
export async function webhookSigningSecret(config: WebhookConfig): Promise<Buffer> {
  const source = config.signingSecret;
  if (!source)
    throw new ConfigError(
      'TRIBUTARY_WEBHOOK_SIGNING_SECRET',
      'is missing (this function serves or mints webhook URLs)',
    );
  if (source.kind === 'value') return Buffer.from(source.base64, 'base64');
  if (source.kind === 'secrets-manager') {
    // read once per container (callers cache it): the key never sits in the Lambda's environment
    const client = new (awsSdk.secretsManager().SecretsManagerClient)({
      region: source.region,
      ...(source.endpoint ? { endpoint: source.endpoint } : {}),
    });
    try {
      const out = await client.send(new (awsSdk.secretsManager().GetSecretValueCommand)({ SecretId: source.arn }));
      const value = out.SecretString?.trim();
      if (!value || !/^[A-Za-z0-9+/]{32,}={0,2}$/.test(value))
        throw new ConfigError(
          'TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN',
          'names a secret that is not at least 32 base64 characters',
        );
      return Buffer.from(value, 'base64');
    } finally {
      client.destroy();
    }
  }
  try {
    return Buffer.from((await readFile(source.file, 'utf8')).trim(), 'base64');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32);
  await mkdir(path.dirname(source.file), { recursive: true });
  // 'wx': if two processes race to create it, the loser reads the winner's key instead of replacing it
  try {
    await writeFile(source.file, secret.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return Buffer.from((await readFile(source.file, 'utf8')).trim(), 'base64');
  }
}
