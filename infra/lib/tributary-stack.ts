// One stack per environment, composed of one construct per concern. Adding a concern is one line here:
// construct it with the settings and the foundation pieces it needs (network, key, database, storage,
// appEnvironment), e.g. `new Api(this, 'Api', { settings, network, key, database, appEnvironment })` for
// the API Gateway/Cognito/DynamoDB constructs of issue 4, which also set TRIBUTARY_USER_POOL_ID,
// TRIBUTARY_USER_POOL_CLIENT_ID and TRIBUTARY_KV_TABLE on appEnvironment for every application function.
import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AppEnvironment } from './app-environment';
import { DataSafety } from './backup';
import { Database } from './database';
import { CustomDomains } from './domains';
import { Encryption } from './encryption';
import type { EnvironmentSettings } from './environments';
import { Identity } from './identity';
import { ManagementApi } from './management-api';
import { Monitoring } from './monitoring';
import { acknowledgeAwsSolutions } from './nag';
import { Network } from './network';
import { OAuthApps } from './oauth-apps';
import { Observability } from './observability';
import { operationsSettings, type OperationsSettings } from './operations-settings';
import { Maintenance } from './maintenance';
import { Pipeline } from './pipeline';
import { Progress } from './progress';
import { Schedules } from './schedules';
import { Storage } from './storage';
import { WebhookDelivery } from './webhook-delivery';
import { WebHosting } from './web-hosting';

export interface TributaryStackProps extends StackProps {
  settings: EnvironmentSettings;
}

export class TributaryStack extends Stack {
  readonly settings: EnvironmentSettings;
  /** the deployment's own settings: alarm email, domains, SES sender (infra/deploy-settings.json, -c) */
  readonly operations: OperationsSettings;
  readonly network: Network;
  readonly encryption: Encryption;
  readonly storage: Storage;
  readonly database: Database;
  readonly dataSafety: DataSafety;
  readonly appEnvironment = new AppEnvironment();
  readonly webhooks: WebhookDelivery;
  readonly identity: Identity;
  readonly api: ManagementApi;
  readonly oauthApps: OAuthApps;
  readonly pipeline: Pipeline;
  readonly progress: Progress;
  readonly maintenance: Maintenance;
  readonly schedules: Schedules;
  readonly domains: CustomDomains;
  readonly web: WebHosting;
  readonly observability: Observability;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, { settings, ...props }: TributaryStackProps) {
    super(scope, id, { ...props, terminationProtection: settings.database.deletionProtection });
    this.settings = settings;
    const operations = (this.operations = operationsSettings(this.node, settings.name));
    Tags.of(this).add('tributary:environment', settings.name);

    this.network = new Network(this, 'Network', { settings });
    this.encryption = new Encryption(this, 'Encryption', { settings });
    const key = this.encryption.key;
    this.storage = new Storage(this, 'Storage', { settings, key });
    this.database = new Database(this, 'Database', {
      settings,
      key,
      vpc: this.network.vpc,
      dataSubnets: this.network.dataSubnets,
      functionSubnets: this.network.functionSubnets,
    });

    this.dataSafety = new DataSafety(this, 'DataSafety', {
      settings,
      operations,
      database: this.database,
      key,
      vpc: this.network.vpc,
      functionSubnets: this.network.functionSubnets,
    });

    const { appEnvironment } = this;
    appEnvironment.set('TRIBUTARY_KMS_KEY_ID', key.keyArn);
    appEnvironment.set('TRIBUTARY_ARCHIVE_BUCKET', this.storage.archiveBucket.bucketName);
    appEnvironment.set('TRIBUTARY_RAW_BUCKET', this.storage.rawPageBucket.bucketName);
    const secretPrefix = `tributary/${settings.name}/credentials/`;
    appEnvironment.set('TRIBUTARY_SECRET_PREFIX', secretPrefix);
    // what every construct with application functions needs
    const functionHost = {
      settings,
      key,
      vpc: this.network.vpc,
      functionSubnets: this.network.functionSubnets,
      database: this.database,
      appEnvironment,
    };

    const dashboardOrigin =
      (this.node.tryGetContext('dashboardOrigin') as string | undefined) ?? settings.api.dashboardOrigin;
    this.identity = new Identity(this, 'Identity', { settings, operations, appEnvironment, dashboardOrigin });
    this.api = new ManagementApi(this, 'Api', { ...functionHost, secretPrefix });
    for (const fn of Object.values(this.api.functions)) fn.node.addDependency(this.database.migrations);
    // the connect flow (credentials routes) reads the platforms' OAuth apps the operator fills
    this.oauthApps = new OAuthApps(this, 'OAuthApps', { settings, key, readers: [this.api.functions.credentials!] });

    // where sign-ups confirm at once, the auth routes confirm and verify a sign-up the pre-sign-up trigger did not
    if (settings.identity.autoConfirmSignUp) {
      this.identity.userPool.grant(
        this.api.functions.auth!,
        'cognito-idp:AdminConfirmSignUp',
        'cognito-idp:AdminUpdateUserAttributes',
      );
    }

    this.webhooks = new WebhookDelivery(this, 'Webhooks', functionHost);
    // the schema must be current before the first request reaches a new version of the function
    this.webhooks.function.node.addDependency(this.database.migrations);
    // the management API's webhooks routes mint time-limited signed URLs for the public endpoint
    this.webhooks.allowUrlMinting(this.api.functions.webhooks!);

    this.pipeline = new Pipeline(this, 'Pipeline', {
      ...functionHost,
      rawBucket: this.storage.rawPageBucket,
      keyValueTable: this.api.table,
    });
    this.pipeline.node.addDependency(this.database.migrations);

    this.progress = new Progress(this, 'Progress', {
      ...functionHost,
      publishers: [this.pipeline.planFunction, this.pipeline.extractFunction, this.pipeline.finalizeFunction],
    });
    this.progress.authorizerFunction.node.addDependency(this.database.migrations);

    this.maintenance = new Maintenance(this, 'Maintenance', {
      ...functionHost,
      archiveBucket: this.storage.archiveBucket,
      rawBucket: this.storage.rawPageBucket,
    });
    this.maintenance.node.addDependency(this.database.migrations);

    // one EventBridge Scheduler schedule per data source; the data-source routes manage them, and deleting
    // a project removes its data sources' schedules
    this.schedules = new Schedules(this, 'Schedules', {
      ...functionHost,
      stateMachine: this.pipeline.stateMachine,
      managers: [this.api.functions['data-sources']!, this.api.functions.projects!],
    });
    this.schedules.starterFunction.node.addDependency(this.database.migrations);
    // "extract now" (POST …/data-sources/{id}/extract) starts the state machine too
    this.pipeline.allowStartingRuns(this.api.functions['data-sources']!);

    // optional custom domains (deploy settings), TLS 1.2 minimum
    this.domains = new CustomDomains(this, 'Domains', {
      operations,
      httpApi: this.api.httpApi,
      apiFunctions: Object.values(this.api.functions),
      webhookDistribution: this.webhooks.distribution,
      webhookUrlFunctions: [this.api.functions.webhooks!],
      progressStage: this.progress.stage,
    });

    // the dashboard: S3 + CloudFront, its config.json written at deploy from the endpoints above
    this.web = new WebHosting(this, 'Web', {
      settings,
      apiUrl: this.domains.apiUrl ?? this.api.httpApi.apiEndpoint,
      progressUrl: this.progress.stage.url,
      webhookUrl: this.domains.webhookUrl ?? `https://${this.webhooks.distribution.distributionDomainName}`,
      userPool: this.identity.userPool,
      spaClient: this.identity.spaClient,
    });
    this.web.allowFrom(
      this.api.httpApi,
      (this.node.tryGetContext('dashboardOrigin') as string | undefined) ?? settings.api.dashboardOrigin,
    );

    // access logs, flow logs, tracing, on-failure queue and log retention for everything built above
    this.observability = new Observability(this, 'Observability', { settings, operations });
    // last: it watches every function, queue, API, state machine, database and web ACL built above
    this.monitoring = new Monitoring(this, 'Monitoring', { settings, operations, key });
    // cdk-nag AwsSolutions: the findings this stack accepts, each with its reason (nag.ts)
    acknowledgeAwsSolutions(this, settings, operations);

    new CfnOutput(this, 'WebhookBaseUrl', {
      value: `${this.domains.webhookUrl ?? `https://${this.webhooks.distribution.distributionDomainName}`}/webhook/v1/`,
    });
    new CfnOutput(this, 'DashboardUrl', { value: this.web.url });
    new CfnOutput(this, 'DatabaseProxyEndpoint', { value: this.database.proxy.endpoint });
    new CfnOutput(this, 'ProgressWebSocketUrl', { value: this.domains.progressUrl ?? this.progress.stage.url });
    new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
    new CfnOutput(this, 'DashboardClientId', { value: this.identity.spaClient.userPoolClientId });
    new CfnOutput(this, 'ScriptClientId', { value: this.identity.scriptClient.userPoolClientId });
  }
}
