// The management API in AWS (issue 4): an API Gateway HTTP API (payload 2.0, the event the handlers and the
// local runner's adapter speak) with one Lambda per route group of functions/src/api-routes.ts, each bundled
// from its group's own entry (functions/src/<group>/<group>.lambda.ts), so it carries only its routes; the DynamoDB
// table for OAuth state and rate-limit
// counters (TTL on `expiresAt`); and least-privilege access to the credential secrets.
//
// Tokens are verified inside every handler (aws-jwt-verify in shared/src/http/authenticate.ts), not by an API
// Gateway authorizer: an authorizer's 401 would not be in the standard error format, and public routes
// (register, login, the OAuth callback, the OpenAPI document) share their groups with protected ones.
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnStage, CorsHttpMethod, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { Route } from '@tributary/shared/http/route';
import * as authRoutes from '../../functions/src/auth/auth.routes';
import * as credentialRoutes from '../../functions/src/credentials/credential.routes';
import * as dataRoutes from '../../functions/src/data/data.routes';
import * as dataSourceRoutes from '../../functions/src/data-sources/data-source.routes';
import * as memberRoutes from '../../functions/src/members/member.routes';
import * as platformRoutes from '../../functions/src/platforms/platform.routes';
import { openApiRoute } from '../../functions/src/openapi';
import * as projectRoutes from '../../functions/src/projects/project.routes';
import * as webhookRoutes from '../../functions/src/webhooks/webhook.routes';
import type { AppEnvironment } from './app-environment';
import type { Database } from './database';
import type { EnvironmentSettings } from './environments';
import { TributaryFunction } from './node-function';

const routesOf = (module: Record<string, unknown>): Route[] =>
  Object.values(module).filter(
    (v): v is Route => typeof v === 'object' && v !== null && 'operationId' in v && 'path' in v && 'method' in v,
  );

/**
 * A route group as deployed: its entry module and the export that serves its routes, and whether it touches credential
 * secrets.
 */
export interface DeployedRouteGroup {
  /** relative to the repository root */
  entry: string;
  handler: string;
  routes: readonly Route[];
  readsSecrets: boolean;
  /**
   * 'layer': its routes call platforms (validate, discover) or download XLSX, through the platform SDK layer;
   * 'none': they only read the connector catalog, the bundle leaves the platform SDKs out. Absent: its routes
   * reach no connector.
   */
  platformSdks?: 'layer' | 'none';
}

/** Keyed like ROUTE_GROUPS in functions/src/api-routes.ts; a group added there is deployed by adding it here. */
export const DEPLOYED_ROUTE_GROUPS: Record<string, DeployedRouteGroup> = {
  auth: {
    entry: 'functions/src/auth/auth.lambda.ts',
    handler: 'authHandler',
    routes: routesOf(authRoutes),
    readsSecrets: false,
  },
  projects: {
    entry: 'functions/src/projects/projects.lambda.ts',
    handler: 'projectsHandler',
    routes: routesOf(projectRoutes),
    readsSecrets: true,
  },
  members: {
    entry: 'functions/src/members/members.lambda.ts',
    handler: 'membersHandler',
    routes: routesOf(memberRoutes),
    readsSecrets: false,
  },
  credentials: {
    entry: 'functions/src/credentials/credentials.lambda.ts',
    handler: 'credentialsHandler',
    routes: routesOf(credentialRoutes),
    readsSecrets: true,
    platformSdks: 'layer',
  },
  'data-sources': {
    entry: 'functions/src/data-sources/data-sources.lambda.ts',
    handler: 'dataSourcesHandler',
    routes: routesOf(dataSourceRoutes),
    readsSecrets: true,
    platformSdks: 'layer',
  },
  webhooks: {
    entry: 'functions/src/webhooks/webhooks.lambda.ts',
    handler: 'webhooksHandler',
    routes: routesOf(webhookRoutes),
    readsSecrets: false,
  },
  data: {
    entry: 'functions/src/data/data.lambda.ts',
    handler: 'dataHandler',
    routes: routesOf(dataRoutes),
    readsSecrets: false,
    // no platform calls: exceljs, for XLSX downloads, comes from the layer
    platformSdks: 'layer',
  },
  openapi: {
    entry: 'functions/src/openapi.lambda.ts',
    handler: 'openApiHandler',
    routes: [openApiRoute],
    readsSecrets: false,
  },
  platforms: {
    entry: 'functions/src/platforms/platforms.lambda.ts',
    handler: 'platformsHandler',
    routes: routesOf(platformRoutes),
    readsSecrets: false,
    platformSdks: 'none',
  },
};

/** The secret tags SecretsManagerSecretStore writes; IAM requires them on every secret it creates. */
export const CREDENTIAL_SECRET_TAGS = ['tributary:organization', 'tributary:project', 'tributary:platform'] as const;

export interface ManagementApiProps {
  settings: EnvironmentSettings;
  vpc: IVpc;
  functionSubnets: SubnetSelection;
  key: IKey;
  database: Database;
  appEnvironment: AppEnvironment;
  /** where credential secrets live: TRIBUTARY_SECRET_PREFIX */
  secretPrefix: string;
}

export class ManagementApi extends Construct {
  readonly httpApi: HttpApi;
  readonly table: Table;
  readonly functions: Record<string, TributaryFunction> = {};

  constructor(
    scope: Construct,
    id: string,
    { settings, vpc, functionSubnets, key, database, appEnvironment, secretPrefix }: ManagementApiProps,
  ) {
    super(scope, id);
    const { region, account } = Stack.of(this);
    const dashboardOrigin =
      (this.node.tryGetContext('dashboardOrigin') as string | undefined) ?? settings.api.dashboardOrigin;

    // OAuth state (single use, 10 minutes) and rate-limit counters: short-lived by design, so DynamoDB's TTL
    // removes them and nothing here is worth keeping when the stack goes
    this.table = new Table(this, 'KeyValue', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      // AWS-owned key rather than the data key: a grant on the data key for every API function (DynamoDB
      // would need one) would let each of them decrypt the credential secrets' key material too
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    appEnvironment.set('TRIBUTARY_KV_TABLE', this.table.tableName);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `tributary-${settings.name}-api`,
      description: `Tributary ${settings.name}: management API (/api/v1)`,
      corsPreflight: {
        allowOrigins: [dashboardOrigin],
        allowMethods: [
          CorsHttpMethod.GET,
          CorsHttpMethod.POST,
          CorsHttpMethod.PUT,
          CorsHttpMethod.PATCH,
          CorsHttpMethod.DELETE,
        ],
        allowHeaders: ['authorization', 'content-type'],
        exposeHeaders: [
          'x-ratelimit-limit',
          'x-ratelimit-remaining',
          'x-ratelimit-reset',
          'retry-after',
          'x-request-id',
        ],
        maxAge: Duration.hours(1),
      },
    });
    const stage = this.httpApi.defaultStage!.node.defaultChild as CfnStage;
    stage.defaultRouteSettings = {
      throttlingRateLimit: settings.api.throttle.rateLimit,
      throttlingBurstLimit: settings.api.throttle.burstLimit,
    };
    // the dashboard's page hands code and state to POST /api/v1/oauth/complete as the signed-in user
    const oauthRedirectUri = `${dashboardOrigin.replace(/\/+$/, '')}/oauth/callback`;

    const secretArns = `arn:aws:secretsmanager:${region}:${account}:secret:${secretPrefix}*`;
    for (const [group, deployed] of Object.entries(DEPLOYED_ROUTE_GROUPS)) {
      const fn = new TributaryFunction(this, `${pascal(group)}Function`, {
        settings,
        entry: deployed.entry,
        handler: deployed.handler,
        description: `Management API: ${group} routes`,
        ...(deployed.platformSdks ? { platformSdks: deployed.platformSdks } : {}),
        vpc,
        vpcSubnets: functionSubnets,
        // registration answers alike for new and existing addresses only if it knows the pool auto-confirms
        environment: {
          TRIBUTARY_DASHBOARD_ORIGIN: dashboardOrigin,
          TRIBUTARY_OAUTH_REDIRECT_URI: oauthRedirectUri,
          TRIBUTARY_AUTO_CONFIRM_SIGNUP: String(settings.identity.autoConfirmSignUp),
        },
      });
      database.allowConnect(fn);
      appEnvironment.apply(fn);
      this.table.grantReadWriteData(fn);
      if (deployed.readsSecrets) grantCredentialSecrets(fn, { secretArns, key, region });
      if (group === 'members') {
        // invitation email: SES from the deployment's verified sender (context mailFrom, or no-reply@ the dashboard's
        // host)
        const mailFrom =
          (this.node.tryGetContext('mailFrom') as string | undefined) ??
          `no-reply@${new URL(dashboardOrigin).hostname}`;
        fn.addEnvironment('TRIBUTARY_MAIL_FROM', mailFrom);
        fn.addToRolePolicy(
          new PolicyStatement({
            sid: 'SendInvitationEmail',
            actions: ['ses:SendEmail'],
            resources: ['*'],
            conditions: { StringEquals: { 'ses:FromAddress': mailFrom } },
          }),
        );
      }
      this.functions[group] = fn;

      const integration = new HttpLambdaIntegration(`${pascal(group)}Integration`, fn);
      for (const route of deployed.routes) {
        this.httpApi.addRoutes({ path: route.path, methods: [route.method.toUpperCase() as HttpMethod], integration });
      }
    }

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.apiEndpoint });
  }
}

/**
 * Least privilege for the credential secrets: only names under the credentials prefix; a secret can only be
 * created (or tagged) with its organization and project tags and no others; reading, rotating and deleting
 * need those tags on the secret; the key may be used only by Secrets Manager on the function's behalf.
 */
function grantCredentialSecrets(
  fn: TributaryFunction,
  { secretArns, key, region }: { secretArns: string; key: IKey; region: string },
): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'CreateTaggedCredentialSecrets',
      actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'],
      resources: [secretArns],
      conditions: {
        Null: { 'aws:RequestTag/tributary:organization': 'false', 'aws:RequestTag/tributary:project': 'false' },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [...CREDENTIAL_SECRET_TAGS] },
      },
    }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'UseTaggedCredentialSecrets',
      actions: [
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:DeleteSecret',
        'secretsmanager:DescribeSecret',
      ],
      resources: [secretArns],
      conditions: {
        Null: {
          'secretsmanager:ResourceTag/tributary:organization': 'false',
          'secretsmanager:ResourceTag/tributary:project': 'false',
        },
      },
    }),
  );
  fn.addToRolePolicy(
    new PolicyStatement({
      sid: 'CredentialKeyThroughSecretsManager',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    }),
  );
}

function pascal(name: string): string {
  return name.replace(/(^|[-_])(\w)/g, (_, __, c: string) => c.toUpperCase());
}
