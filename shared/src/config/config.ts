// The only module that reads process.env. It turns the environment into one frozen, typed Config;
// `adapters.ts` turns that Config into implementations. A missing or malformed variable stops start-up
// with a message that names it, as Kysely's example app does.
import { availableParallelism } from 'node:os';
import * as z from 'zod';
import { readProgressConfig, type ProgressConfig } from './progress-config';

export const ENVIRONMENTS = ['local', 'dev', 'staging', 'prod'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Where PostgreSQL is and how to reach it. Chosen by which variables are set, in this order. */
export type DatabaseConfig =
  /** Aurora through RDS Proxy: a short-lived IAM token replaces the password on every new connection. */
  | {
      kind: 'iam-proxy';
      host: string;
      port: number;
      database: string;
      user: string;
      region: string;
      maxConnections: number;
      /** the certificate authorities the proxy's certificate is verified against (the RDS bundle in Lambda) */
      caFile?: string;
    }
  /** Any PostgreSQL named by DATABASE_URL (a developer's own server, CI with a service). */
  | { kind: 'url'; url: string; maxConnections: number }
  /** The embedded PostgreSQL 17 that `npm start` and the tests run under `.tributary/`. */
  | {
      kind: 'embedded';
      dataDir: string;
      port: number;
      user: string;
      password: string;
      database: string;
      maxConnections: number;
    };

export type ObjectStoreConfig = {
  kind: 's3';
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  archiveBucket: string;
  rawBucket: string;
};
export type KeyValueConfig = { kind: 'dynamodb'; region: string; endpoint?: string; table: string };
export type SecretStoreConfig =
  | { kind: 'aws-secrets-manager'; region: string; kmsKeyId: string; secretPrefix: string; endpoint?: string }
  | { kind: 'local-envelope'; keyFile: string; storeDir: string };
export type IdentityConfig =
  | {
      kind: 'cognito';
      region: string;
      userPoolId: string;
      clientId: string;
      endpoint?: string;
      extraClientIds?: string[];
    }
  | { kind: 'cognito-local'; endpoint: string; userPoolId: string; clientId: string; extraClientIds?: string[] };
export type WorkflowConfig =
  | { kind: 'step-functions'; region: string; stateMachineArn: string; endpoint?: string }
  /** aws-local-stepfunctions in process, running the definition infra/ deploys (shared/src/workflow/) */
  | { kind: 'local-step-functions' }
  /** a deployed function that never starts runs (it is not given the state machine's ARN) */
  | { kind: 'none' };

/**
 * What a deployed function is: each requires only the settings it uses, as its template gives it only
 * those. 'api-extract' is the API function whose routes start runs ("extract now"). 'all' is the local
 * runner and the tests, which serve every kind from one process.
 */
export const FUNCTION_KINDS = [
  'api',
  'api-extract',
  'webhook',
  'pipeline',
  'maintenance',
  'progress',
  'schedule-starter',
  'all',
] as const;
export type FunctionKind = (typeof FUNCTION_KINDS)[number];
/** the kinds that start extraction runs */
const STARTS_RUNS: readonly FunctionKind[] = ['api-extract', 'schedule-starter', 'all'];
const SERVES_API: readonly FunctionKind[] = ['api', 'api-extract', 'all'];

/** Where data sources' schedules live: EventBridge Scheduler (firing the starter Lambda), or the runner's process. */
export type SchedulerConfig =
  | {
      kind: 'eventbridge';
      region: string;
      groupName: string;
      roleArn: string;
      targetArn: string;
      deadLetterQueueArn?: string;
      endpoint?: string;
    }
  | { kind: 'in-process' };

/** The management API's edge: who may call it from a browser, and how sign-up behaves here. */
export interface ApiConfig {
  /** the dashboard's origin, the only one CORS allows (and where the OAuth callback sends the user back) */
  dashboardOrigin: string;
  /** confirm sign-ups at once (no emailed code); on by default locally, where no email leaves the machine */
  autoConfirmSignUp: boolean;
  /**
   * the OAuth redirect URI registered with the platforms: the dashboard's /oauth/callback page, which hands
   * code and state to POST /api/v1/oauth/complete as the signed-in user (so the flow is bound to its starter)
   */
  oauthRedirectUri: string;
}

/**
 * The public webhook endpoint. Its URL-signing secret (the HMAC key of time-limited shared URLs) comes from
 * Secrets Manager in AWS (a dynamic reference resolved into the function's environment at deploy) and from
 * a 0600 file under .tributary/ locally; it is never stored in PostgreSQL.
 */
export interface WebhookConfig {
  /**
   * undefined in AWS for functions that neither serve nor mint webhook URLs (they are not given the secret).
   * 'secrets-manager' (TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN): read once at cold start, so the key never sits
   * in the function's environment; 'value' (TRIBUTARY_WEBHOOK_SIGNING_SECRET) stays for tests and scripts.
   */
  signingSecret?:
    | { kind: 'value'; base64: string }
    | { kind: 'file'; file: string }
    | { kind: 'secrets-manager'; arn: string; region: string; endpoint?: string };
  /**
   * where /webhook/v1/… is served (CloudFront in AWS, the runner's webhook server locally); signed URLs start with it
   */
  publicBaseUrl?: string;
}

/** Email Tributary sends itself (invitations): SES from a verified sender, or the local outbox file. */
export type MailConfig =
  | { kind: 'ses'; region: string; from: string; configurationSet?: string }
  | { kind: 'outbox'; file: string }
  /** a function that sends no email (the pipeline, the webhook server) */
  | { kind: 'none' };

/** An OAuth app registered with a platform. Its secret is a secret: Config is never logged. */
export interface OAuthAppConfig {
  clientId: string;
  clientSecret: string;
  /** Google Ads only: the developer token that goes with the Google app */
  developerToken?: string;
}

/** Where the connectors reach the platforms, and the OAuth apps the connect flow uses. */
export interface PlatformsConfig {
  /**
   * Base-URL overrides by the keys the connectors read (ga4_data, google_oauth_token, meta_graph, …).
   * Empty in AWS (each library's own host); the local runner points them at the platform sandboxes.
   */
  baseUrls: Readonly<Record<string, string>>;
  /** one Google app serves Google Ads and GA4; one Meta app serves Meta Ads and Instagram */
  oauthApps: {
    google?: OAuthAppConfig;
    meta?: OAuthAppConfig;
    klaviyo?: OAuthAppConfig;
    shopify?: OAuthAppConfig;
    amazon?: OAuthAppConfig;
  };
  /**
   * In AWS: the Secrets Manager secret (name or ARN) per app that the stack creates and the operator fills
   * with {"client_id","client_secret"} (+ "developer_token" for Google); read when a connect flow needs it.
   */
  oauthAppSecrets: { google?: string; meta?: string; klaviyo?: string; shopify?: string; amazon?: string };
}

export type OAuthAppName = keyof PlatformsConfig['oauthApps'];

/** The settings that configure each OAuth app, named in the error a connect flow answers when none is set. */
export const OAUTH_APP_SETTINGS: Record<OAuthAppName, { clientId: string; clientSecret: string; secret: string }> = {
  google: {
    clientId: 'TRIBUTARY_GOOGLE_CLIENT_ID',
    clientSecret: 'TRIBUTARY_GOOGLE_CLIENT_SECRET',
    secret: 'TRIBUTARY_GOOGLE_APP_SECRET_ID',
  },
  meta: {
    clientId: 'TRIBUTARY_META_CLIENT_ID',
    clientSecret: 'TRIBUTARY_META_CLIENT_SECRET',
    secret: 'TRIBUTARY_META_APP_SECRET_ID',
  },
  klaviyo: {
    clientId: 'TRIBUTARY_KLAVIYO_CLIENT_ID',
    clientSecret: 'TRIBUTARY_KLAVIYO_CLIENT_SECRET',
    secret: 'TRIBUTARY_KLAVIYO_APP_SECRET_ID',
  },
  shopify: {
    clientId: 'TRIBUTARY_SHOPIFY_CLIENT_ID',
    clientSecret: 'TRIBUTARY_SHOPIFY_CLIENT_SECRET',
    secret: 'TRIBUTARY_SHOPIFY_APP_SECRET_ID',
  },
  amazon: {
    clientId: 'TRIBUTARY_AMAZON_CLIENT_ID',
    clientSecret: 'TRIBUTARY_AMAZON_CLIENT_SECRET',
    secret: 'TRIBUTARY_AMAZON_APP_SECRET_ID',
  },
};

/** How the extraction pipeline uses the machine it runs on. */
export interface PipelineConfig {
  /**
   * Threads that parse, normalize and encode pages beside the extract worker's own (0: all on its own).
   * TRIBUTARY_PAGE_ENCODER_THREADS; by default one where the process has two cores or more: a Lambda of at
   * least 3,538 MB (Lambda gives a vCPU per 1,769 MB), or a machine with two cores.
   */
  pageEncoderThreads: number;
}

export interface Config {
  readonly environment: Environment;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * X-Ray tracing of the function's invocations (TRIBUTARY_TRACING=active, set beside the function's active
   * tracing in AWS); off by default, so the tracer is a no-op on a laptop and in tests.
   */
  readonly tracing: { readonly enabled: boolean };
  readonly homeDir: string;
  readonly database: DatabaseConfig;
  /**
   * Where the pipeline's work runs when one process hosts both it and web handlers (the local runner's API
   * runs extractions in process): a login that may become the loader (TRIBUTARY_PIPELINE_DATABASE_URL).
   * Absent, the pipeline uses `database`: in AWS each function logs in as its own kind already.
   */
  readonly pipelineDatabase?: DatabaseConfig;
  readonly objectStore: ObjectStoreConfig;
  readonly keyValue: KeyValueConfig;
  readonly secrets: SecretStoreConfig;
  readonly identity: IdentityConfig;
  readonly workflow: WorkflowConfig;
  readonly schedules: SchedulerConfig;
  /** where live progress events go (progress-config.ts) */
  readonly progress: ProgressConfig;
  /** the management API's edge; read only for the API's functions (kind 'api' or 'all') */
  readonly api?: ApiConfig;
  readonly webhooks: WebhookConfig;
  readonly platforms: PlatformsConfig;
  readonly pipeline: PipelineConfig;
  readonly mail: MailConfig;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`environment variable ${variable} ${detail}`);
    this.name = new.target.name;
  }
}

type Env = Record<string, string | undefined>;

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.string().url();

/** Reads one variable through a zod schema; the error names the variable and what was wrong. */
function read<T>(env: Env, name: string, schema: z.ZodType<T>, fallback?: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(name, 'is missing');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(name, `is invalid (${parsed.error.issues.map((i) => i.message).join('; ')}): got "${raw}"`);
  return parsed.data;
}

/** Cores this process can use: in Lambda, by its memory (a vCPU per 1,769 MB); elsewhere, the machine's. */
function coresOf(env: Env): number {
  const lambdaMemoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  return lambdaMemoryMb > 0 ? Math.floor(lambdaMemoryMb / 1769) : availableParallelism();
}

function optional(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** `kind`: which function this is (see FunctionKind); the settings of other kinds are neither read nor required. */
export function loadConfig(env: Env = process.env, kind: FunctionKind = 'all'): Config {
  const environment = read(env, 'TRIBUTARY_ENV', z.enum(ENVIRONMENTS), 'local');
  const homeDir = read(env, 'TRIBUTARY_HOME', z.string().min(1), '.tributary');
  const region = read(env, 'AWS_REGION', z.string().min(1), 'us-east-1');
  const logLevel = read(env, 'TRIBUTARY_LOG_LEVEL', z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']), 'INFO');
  const tracing = { enabled: read(env, 'TRIBUTARY_TRACING', z.enum(['active', 'off']), 'off') === 'active' };
  const maxConnections = read(env, 'TRIBUTARY_DB_MAX_CONNECTIONS', positiveInt, 10);

  let database: DatabaseConfig;
  if (optional(env, 'TRIBUTARY_DB_PROXY_HOST')) {
    database = {
      kind: 'iam-proxy',
      host: read(env, 'TRIBUTARY_DB_PROXY_HOST', z.string().min(1)),
      port: read(env, 'TRIBUTARY_DB_PORT', port, 5432),
      database: read(env, 'TRIBUTARY_DB_NAME', z.string().min(1)),
      user: read(env, 'TRIBUTARY_DB_USER', z.string().min(1)),
      region,
      maxConnections,
      ...(optional(env, 'TRIBUTARY_DB_CA_FILE')
        ? { caFile: read(env, 'TRIBUTARY_DB_CA_FILE', z.string().min(1)) }
        : {}),
    };
  } else if (optional(env, 'DATABASE_URL')) {
    database = {
      kind: 'url',
      url: read(env, 'DATABASE_URL', z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://')),
      maxConnections,
    };
  } else {
    database = {
      kind: 'embedded',
      dataDir: read(env, 'TRIBUTARY_PG_DATA_DIR', z.string().min(1), `${homeDir}/pg`),
      port: read(env, 'TRIBUTARY_PG_PORT', port, 54329),
      user: read(env, 'TRIBUTARY_PG_USER', z.string().min(1), 'tributary'),
      password: read(env, 'TRIBUTARY_PG_PASSWORD', z.string().min(1), 'tributary-local'),
      database: read(env, 'TRIBUTARY_PG_DATABASE', z.string().min(1), 'tributary'),
      maxConnections,
    };
  }

  const pipelineUrl = optional(env, 'TRIBUTARY_PIPELINE_DATABASE_URL');
  const pipelineDatabase: DatabaseConfig | undefined = pipelineUrl
    ? {
        kind: 'url',
        url: read(
          env,
          'TRIBUTARY_PIPELINE_DATABASE_URL',
          z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres://'),
        ),
        maxConnections,
      }
    : undefined;

  const s3Endpoint = optional(env, 'TRIBUTARY_S3_ENDPOINT');
  const objectStore: ObjectStoreConfig = {
    kind: 's3',
    region,
    ...(s3Endpoint ? { endpoint: read(env, 'TRIBUTARY_S3_ENDPOINT', url) } : {}),
    forcePathStyle: Boolean(s3Endpoint),
    archiveBucket: read(env, 'TRIBUTARY_ARCHIVE_BUCKET', z.string().min(3), 'tributary-archive'),
    rawBucket: read(env, 'TRIBUTARY_RAW_BUCKET', z.string().min(3), 'tributary-raw'),
  };

  const ddbEndpoint = optional(env, 'TRIBUTARY_DYNAMODB_ENDPOINT');
  const keyValue: KeyValueConfig = {
    kind: 'dynamodb',
    region,
    ...(ddbEndpoint ? { endpoint: read(env, 'TRIBUTARY_DYNAMODB_ENDPOINT', url) } : {}),
    table: read(env, 'TRIBUTARY_KV_TABLE', z.string().min(3), 'tributary-kv'),
  };

  const secretsKind = read(
    env,
    'TRIBUTARY_SECRETS',
    z.enum(['aws-secrets-manager', 'local-envelope']),
    environment === 'local' ? 'local-envelope' : 'aws-secrets-manager',
  );
  const secrets: SecretStoreConfig =
    secretsKind === 'aws-secrets-manager'
      ? {
          kind: 'aws-secrets-manager',
          region,
          kmsKeyId: read(env, 'TRIBUTARY_KMS_KEY_ID', z.string().min(1)),
          secretPrefix: read(env, 'TRIBUTARY_SECRET_PREFIX', z.string().min(1), `tributary/${environment}/`),
          ...(optional(env, 'TRIBUTARY_SECRETS_ENDPOINT')
            ? { endpoint: read(env, 'TRIBUTARY_SECRETS_ENDPOINT', url) }
            : {}),
        }
      : {
          kind: 'local-envelope',
          keyFile: read(env, 'TRIBUTARY_MASTER_KEY_FILE', z.string().min(1), `${homeDir}/master.key`),
          storeDir: read(env, 'TRIBUTARY_SECRET_STORE_DIR', z.string().min(1), `${homeDir}/secrets`),
        };

  const cognitoEndpoint = optional(env, 'TRIBUTARY_COGNITO_ENDPOINT');
  // the dashboard's app client (SRP) is a second audience beside the scripts' client (USER_PASSWORD_AUTH)
  const spaClientId = optional(env, 'TRIBUTARY_USER_POOL_SPA_CLIENT_ID');
  const extraClientIds = spaClientId ? { extraClientIds: [spaClientId] } : {};
  const identity: IdentityConfig =
    cognitoEndpoint && environment === 'local'
      ? {
          kind: 'cognito-local',
          endpoint: read(env, 'TRIBUTARY_COGNITO_ENDPOINT', url),
          userPoolId: read(env, 'TRIBUTARY_USER_POOL_ID', z.string().min(1), 'local_pool'),
          clientId: read(env, 'TRIBUTARY_USER_POOL_CLIENT_ID', z.string().min(1), 'local_client'),
          ...extraClientIds,
        }
      : {
          kind: 'cognito',
          region,
          userPoolId: read(
            env,
            'TRIBUTARY_USER_POOL_ID',
            z.string().min(1),
            environment === 'local' ? 'local_pool' : undefined,
          ),
          clientId: read(
            env,
            'TRIBUTARY_USER_POOL_CLIENT_ID',
            z.string().min(1),
            environment === 'local' ? 'local_client' : undefined,
          ),
          ...(cognitoEndpoint ? { endpoint: read(env, 'TRIBUTARY_COGNITO_ENDPOINT', url) } : {}),
          ...extraClientIds,
        };

  const stateMachineArn = optional(env, 'TRIBUTARY_STATE_MACHINE_ARN');
  let workflow: WorkflowConfig;
  if (!STARTS_RUNS.includes(kind)) workflow = { kind: 'none' };
  else if (stateMachineArn) {
    workflow = {
      kind: 'step-functions',
      region,
      stateMachineArn: read(env, 'TRIBUTARY_STATE_MACHINE_ARN', z.string().startsWith('arn:')),
      ...(optional(env, 'TRIBUTARY_SFN_ENDPOINT') ? { endpoint: read(env, 'TRIBUTARY_SFN_ENDPOINT', url) } : {}),
    };
  }
  // a deployed function that starts runs must be given the state machine (the local runner runs it in process)
  else if (environment !== 'local' && kind !== 'all')
    throw new ConfigError('TRIBUTARY_STATE_MACHINE_ARN', 'is missing (this function starts extraction runs)');
  else workflow = { kind: 'local-step-functions' };

  const progress = readProgressConfig(env, region, ddbEndpoint);

  const scheduleGroup = optional(env, 'TRIBUTARY_SCHEDULE_GROUP');
  const schedules: SchedulerConfig = scheduleGroup
    ? {
        kind: 'eventbridge',
        region,
        groupName: scheduleGroup,
        roleArn: read(env, 'TRIBUTARY_SCHEDULER_ROLE_ARN', z.string().startsWith('arn:')),
        targetArn: read(env, 'TRIBUTARY_SCHEDULE_TARGET_ARN', z.string().startsWith('arn:')),
        ...(optional(env, 'TRIBUTARY_SCHEDULER_DLQ_ARN')
          ? { deadLetterQueueArn: read(env, 'TRIBUTARY_SCHEDULER_DLQ_ARN', z.string().startsWith('arn:')) }
          : {}),
        ...(optional(env, 'TRIBUTARY_SCHEDULER_ENDPOINT')
          ? { endpoint: read(env, 'TRIBUTARY_SCHEDULER_ENDPOINT', url) }
          : {}),
      }
    : { kind: 'in-process' };

  const api: ApiConfig | undefined = !SERVES_API.includes(kind)
    ? undefined
    : (() => {
        const dashboardOrigin = read(
          env,
          'TRIBUTARY_DASHBOARD_ORIGIN',
          url,
          environment === 'local' ? 'http://localhost:5173' : undefined,
        );
        return {
          dashboardOrigin,
          autoConfirmSignUp: read(
            env,
            'TRIBUTARY_AUTO_CONFIRM_SIGNUP',
            z.enum(['true', 'false']).transform((v) => v === 'true'),
            environment === 'local',
          ),
          oauthRedirectUri: read(
            env,
            'TRIBUTARY_OAUTH_REDIRECT_URI',
            url,
            `${dashboardOrigin.replace(/\/+$/, '')}/oauth/callback`,
          ),
        };
      })();

  const signingSecret = optional(env, 'TRIBUTARY_WEBHOOK_SIGNING_SECRET');
  const signingSecretArn = optional(env, 'TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN');
  const secretsEndpoint = optional(env, 'TRIBUTARY_SECRETS_ENDPOINT');
  const webhookUrl = optional(env, 'TRIBUTARY_WEBHOOK_URL');
  const webhooks: WebhookConfig = {
    ...(signingSecretArn
      ? {
          signingSecret: {
            kind: 'secrets-manager' as const,
            arn: read(env, 'TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN', z.string().startsWith('arn:')),
            region,
            ...(secretsEndpoint ? { endpoint: read(env, 'TRIBUTARY_SECRETS_ENDPOINT', url) } : {}),
          },
        }
      : signingSecret
        ? // base64 (the local file's form) or the alphanumeric string Secrets Manager generates, read as base64 too
          {
            signingSecret: {
              kind: 'value' as const,
              base64: read(
                env,
                'TRIBUTARY_WEBHOOK_SIGNING_SECRET',
                z.string().regex(/^[A-Za-z0-9+/]{32,}={0,2}$/, 'must be at least 32 base64 characters'),
              ),
            },
          }
        : environment === 'local'
          ? {
              signingSecret: {
                kind: 'file' as const,
                file: read(
                  env,
                  'TRIBUTARY_WEBHOOK_SIGNING_KEY_FILE',
                  z.string().min(1),
                  `${homeDir}/webhook-signing.key`,
                ),
              },
            }
          : {}),
    ...(webhookUrl ? { publicBaseUrl: read(env, 'TRIBUTARY_WEBHOOK_URL', url) } : {}),
  };

  const platforms: PlatformsConfig = {
    baseUrls: read(
      env,
      'TRIBUTARY_PLATFORM_BASE_URLS',
      jsonOf(z.record(z.string().regex(/^[a-z0-9_]+$/, 'keys are lower snake case'), url)),
      {},
    ),
    oauthApps: {
      ...oauthApp(env, 'TRIBUTARY_GOOGLE', 'google', { developerToken: 'TRIBUTARY_GOOGLE_ADS_DEVELOPER_TOKEN' }),
      ...oauthApp(env, 'TRIBUTARY_META', 'meta'),
      ...oauthApp(env, 'TRIBUTARY_KLAVIYO', 'klaviyo'),
      ...oauthApp(env, 'TRIBUTARY_SHOPIFY', 'shopify'),
      ...oauthApp(env, 'TRIBUTARY_AMAZON', 'amazon'),
    },
    oauthAppSecrets: {
      ...(optional(env, OAUTH_APP_SETTINGS.google.secret)
        ? { google: read(env, OAUTH_APP_SETTINGS.google.secret, z.string().min(1)) }
        : {}),
      ...(optional(env, OAUTH_APP_SETTINGS.meta.secret)
        ? { meta: read(env, OAUTH_APP_SETTINGS.meta.secret, z.string().min(1)) }
        : {}),
      ...(optional(env, OAUTH_APP_SETTINGS.klaviyo.secret)
        ? { klaviyo: read(env, OAUTH_APP_SETTINGS.klaviyo.secret, z.string().min(1)) }
        : {}),
      ...(optional(env, OAUTH_APP_SETTINGS.shopify.secret)
        ? { shopify: read(env, OAUTH_APP_SETTINGS.shopify.secret, z.string().min(1)) }
        : {}),
      ...(optional(env, OAUTH_APP_SETTINGS.amazon.secret)
        ? { amazon: read(env, OAUTH_APP_SETTINGS.amazon.secret, z.string().min(1)) }
        : {}),
    },
  };

  const pipeline: PipelineConfig = {
    pageEncoderThreads: read(
      env,
      'TRIBUTARY_PAGE_ENCODER_THREADS',
      z.coerce.number().int().min(0).max(16),
      coresOf(env) >= 2 ? 1 : 0,
    ),
  };

  const mailFrom = optional(env, 'TRIBUTARY_MAIL_FROM');
  const mail: MailConfig = mailFrom
    ? {
        kind: 'ses',
        region,
        from: read(env, 'TRIBUTARY_MAIL_FROM', z.string().min(3).max(320)),
        ...(optional(env, 'TRIBUTARY_MAIL_CONFIGURATION_SET')
          ? { configurationSet: read(env, 'TRIBUTARY_MAIL_CONFIGURATION_SET', z.string().min(1)) }
          : {}),
      }
    : environment === 'local'
      ? { kind: 'outbox', file: read(env, 'TRIBUTARY_MAIL_OUTBOX', z.string().min(1), `${homeDir}/outbox.ndjson`) }
      : { kind: 'none' };

  return deepFreeze({
    environment,
    logLevel,
    tracing,
    homeDir,
    database,
    ...(pipelineDatabase ? { pipelineDatabase } : {}),
    objectStore,
    keyValue,
    secrets,
    identity,
    workflow,
    schedules,
    progress,
    ...(api ? { api } : {}),
    webhooks,
    platforms,
    pipeline,
    mail,
  });
}

/** The local runner's own settings (`npm start`): where it keeps its data and which ports its services take. */
export interface LocalRunnerSettings {
  homeDir: string;
  ports: {
    api?: number;
    cognito?: number;
    postgres?: number;
    webhook?: number;
    s3?: number;
    dynamodb?: number;
    progress?: number;
    web?: number;
  };
  /** the browser the dashboard's end-to-end tests drive (Debian's Chromium unless TRIBUTARY_CHROMIUM names another) */
  chromiumPath: string;
}

/** The variables that set the local runner's ports, by service (the sandboxes' own are in sandbox-settings.ts). */
export const LOCAL_PORT_VARIABLES = {
  postgres: 'TRIBUTARY_PG_PORT',
  webhook: 'TRIBUTARY_WEBHOOK_PORT',
  s3: 'TRIBUTARY_S3_PORT',
  dynamodb: 'TRIBUTARY_DYNAMODB_PORT',
  cognito: 'TRIBUTARY_COGNITO_PORT',
  progress: 'TRIBUTARY_PROGRESS_PORT',
  api: 'TRIBUTARY_API_PORT',
  web: 'TRIBUTARY_WEB_PORT',
} as const;

/**
 * For a test that starts the whole local runner in its own process: the ports its services (and the
 * sandboxes, by their variable names) take. 0 lets the service pick a free port itself.
 */
export function setLocalRunnerPorts(ports: Readonly<Record<string, number>>): void {
  for (const [name, value] of Object.entries(ports)) process.env[name] = String(value);
}

export function loadLocalRunnerSettings(env: Env = process.env): LocalRunnerSettings {
  const portOf = (name: string) => (optional(env, name) ? read(env, name, port) : undefined);
  const ports = Object.fromEntries(
    Object.entries(LOCAL_PORT_VARIABLES).map(([service, name]) => [
      service,
      name === 'TRIBUTARY_WEB_PORT' && env[name] === '0' ? 0 : portOf(name),
    ]),
  );
  return {
    homeDir: read(env, 'TRIBUTARY_HOME', z.string().min(1), '.tributary'),
    chromiumPath: optional(env, 'TRIBUTARY_CHROMIUM') ?? '/usr/bin/chromium',
    ports: Object.fromEntries(Object.entries(ports).filter(([, v]) => v !== undefined)) as LocalRunnerSettings['ports'],
  };
}

/** The environment a child process of the local runner inherits (cognito-local reads its own settings from it). */
export function inheritedEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

/** The environment `npm run synth` synthesizes when no `-c env=…` is given: TRIBUTARY_ENV, else dev. */
export function synthEnvironmentName(env: Env = process.env): string {
  return optional(env, 'TRIBUTARY_ENV') ?? 'dev';
}

/** The AWS account the CDK CLI deploys to (CDK_DEFAULT_ACCOUNT, set by the CLI from the caller's credentials). */
export function cdkDefaultAccount(env: Env = process.env): string | undefined {
  return optional(env, 'CDK_DEFAULT_ACCOUNT');
}

/** A deployed function's Config from its own environment: what its Lambda entry calls at module scope. */
export function loadFunctionConfig(kind: Exclude<FunctionKind, 'all'>): Config {
  return loadConfig(process.env, kind);
}

/** The API's settings, for the API's functions; any other function that asks is misconfigured. */
export function apiConfigOf(config: Config): ApiConfig {
  if (!config.api)
    throw new ConfigError(
      'TRIBUTARY_DASHBOARD_ORIGIN',
      "is not read by this function (only the API's functions load it)",
    );
  return config.api;
}

/** A JSON-valued variable: parsed, then checked by `schema`. */
function jsonOf<T>(schema: z.ZodType<T>): z.ZodType<T> {
  return z
    .string()
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema) as unknown as z.ZodType<T>;
}

/**
 * `<PREFIX>_CLIENT_ID` and `<PREFIX>_CLIENT_SECRET` together, or neither (the platform's connect flow then
 * answers 501). The secret is only checked for presence, so no error message can ever echo it.
 */
function oauthApp<K extends string>(
  env: Env,
  prefix: string,
  key: K,
  extra: { developerToken?: string } = {},
): Partial<Record<K, OAuthAppConfig>> {
  const idName = `${prefix}_CLIENT_ID`;
  const secretName = `${prefix}_CLIENT_SECRET`;
  const clientId = optional(env, idName);
  const clientSecret = optional(env, secretName);
  if (!clientId && !clientSecret) return {};
  if (!clientId) throw new ConfigError(idName, `is missing (${secretName} is set)`);
  if (!clientSecret) throw new ConfigError(secretName, `is missing (${idName} is set)`);
  const developerToken = extra.developerToken ? optional(env, extra.developerToken) : undefined;
  return { [key]: { clientId, clientSecret, ...(developerToken ? { developerToken } : {}) } } as Partial<
    Record<K, OAuthAppConfig>
  >;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
