// PostgreSQL for Tributary: Aurora PostgreSQL 17 Serverless v2 (the major version the embedded PostgreSQL
// of `npm start` and the tests runs), in isolated subnets, storage encrypted with the customer-managed key.
//
// Applications never see a database password. They reach the database only through RDS Proxy with IAM
// authentication (a 15-minute token signed by their role, see shared/src/db/database.ts) as the login
// role `tributary_api` (web functions: tributary_app only) or `tributary_pipeline` (the pipeline: also the
// loader role). The proxy holds those roles' passwords in Secrets Manager secrets; the admin credentials are
// another secret only the migration function can read.
//
// On every deploy a custom resource runs shared/src/db/migrate.ts (migrateToLatest, then ensureLoginRole
// for `tributary_api`), so the schema is current before any function of the same deployment runs.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import { Peer, Port, SecurityGroup, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  AuroraPostgresEngineVersion,
  ClusterInstance,
  Credentials,
  DatabaseCluster,
  DatabaseClusterEngine,
  DatabaseProxy,
  DatabaseSecret,
  ProxyTarget,
  type IDatabaseCluster,
} from 'aws-cdk-lib/aws-rds';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from './environments';
import { LAMBDA_RDS_CA_BUNDLE, REPO_ROOT, TributaryFunction } from './node-function';

/** The newest Aurora PostgreSQL 17 the installed aws-cdk-lib knows; the local and test PostgreSQL is 17 too. */
export const AURORA_POSTGRES_VERSION = AuroraPostgresEngineVersion.VER_17_9;
export const DATABASE_NAME = 'tributary';
/** Aurora and RDS Proxy both listen here; a constant, because the cluster's own port attribute is a token. */
export const DATABASE_PORT = 5432;
export const ADMIN_USER = 'tributary_admin';
/** the web functions' login role (API, webhook, progress): migrate.ts grants it tributary_app only */
export const APP_LOGIN_ROLE = 'tributary_api';
/** the pipeline's login role (planner, worker, finalizer, schedule starter, maintenance): also tributary_loader */
export const PIPELINE_LOGIN_ROLE = 'tributary_pipeline';
export type LoginKind = 'web' | 'pipeline';
const LOGIN_ROLES: Record<LoginKind, string> = { web: APP_LOGIN_ROLE, pipeline: PIPELINE_LOGIN_ROLE };
export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'shared/src/db/migrations');

/** Changes when any migration is added or edited, which is what makes CloudFormation rerun the migrations. */
export function migrationsHash(dir: string = MIGRATIONS_DIR): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(path.join(dir, name)))
      .update('\0');
  }
  return hash.digest('hex');
}

export interface DatabaseProps {
  settings: EnvironmentSettings;
  vpc: IVpc;
  dataSubnets: SubnetSelection;
  functionSubnets: SubnetSelection;
  key: IKey;
}

export class Database extends Construct {
  readonly cluster: IDatabaseCluster;
  readonly proxy: DatabaseProxy;
  readonly adminSecret: ISecret;
  readonly appUserSecret: ISecret;
  readonly pipelineUserSecret: ISecret;
  /** depend on this to run after the schema is migrated */
  readonly migrations: CustomResource;
  readonly migrationFunction: IFunction;

  constructor(scope: Construct, id: string, { settings, vpc, dataSubnets, functionSubnets, key }: DatabaseProps) {
    super(scope, id);
    const { database } = settings;

    const clusterSecurityGroup = new SecurityGroup(this, 'ClusterSecurityGroup', {
      vpc,
      description: 'Aurora: reachable from RDS Proxy and the migration function only',
      allowAllOutbound: false,
    });
    const cluster = new DatabaseCluster(this, 'Cluster', {
      engine: DatabaseClusterEngine.auroraPostgres({ version: AURORA_POSTGRES_VERSION }),
      credentials: Credentials.fromGeneratedSecret(ADMIN_USER, {
        encryptionKey: key,
        secretName: `tributary/${settings.name}/database/admin`,
      }),
      defaultDatabaseName: DATABASE_NAME,
      port: DATABASE_PORT,
      writer: ClusterInstance.serverlessV2('Writer', { publiclyAccessible: false, autoMinorVersionUpgrade: true }),
      readers: Array.from({ length: database.readers }, (_, i) =>
        ClusterInstance.serverlessV2(`Reader${i + 1}`, {
          scaleWithWriter: true,
          publiclyAccessible: false,
          autoMinorVersionUpgrade: true,
        }),
      ),
      serverlessV2MinCapacity: database.minCapacity,
      serverlessV2MaxCapacity: database.maxCapacity,
      vpc,
      vpcSubnets: dataSubnets,
      securityGroups: [clusterSecurityGroup],
      storageEncrypted: true,
      storageEncryptionKey: key,
      iamAuthentication: true,
      deletionProtection: database.deletionProtection,
      removalPolicy: database.removalPolicy,
      backup: { retention: database.backupRetention, preferredWindow: '02:00-03:00' },
      preferredMaintenanceWindow: 'Sun:03:30-Sun:04:30',
      copyTagsToSnapshot: true,
      cloudwatchLogsExports: ['postgresql'],
      cloudwatchLogsRetention: settings.logRetention,
      ...(database.performanceInsights
        ? { enablePerformanceInsights: true, performanceInsightEncryptionKey: key }
        : {}),
    });
    this.cluster = cluster;
    this.adminSecret = cluster.secret!;

    // Rotated every 30 days by backup.ts (single user: the role changes its own password); the migration
    // function sets the secret's current password on the role at each deploy, so the two agree. The
    // application itself never holds it (IAM tokens do).
    this.appUserSecret = new DatabaseSecret(this, 'AppUserSecret', {
      username: APP_LOGIN_ROLE,
      encryptionKey: key,
      secretName: `tributary/${settings.name}/database/${APP_LOGIN_ROLE}`,
    });

    this.pipelineUserSecret = new DatabaseSecret(this, 'PipelineUserSecret', {
      username: PIPELINE_LOGIN_ROLE,
      encryptionKey: key,
      secretName: `tributary/${settings.name}/database/${PIPELINE_LOGIN_ROLE}`,
    });

    const proxySecurityGroup = new SecurityGroup(this, 'ProxySecurityGroup', {
      vpc,
      description: 'RDS Proxy: reachable from Tributary functions',
      allowAllOutbound: false,
    });
    this.proxy = new DatabaseProxy(this, 'Proxy', {
      proxyTarget: ProxyTarget.fromCluster(cluster),
      secrets: [this.appUserSecret, this.pipelineUserSecret],
      vpc,
      vpcSubnets: dataSubnets,
      securityGroups: [proxySecurityGroup],
      iamAuth: true,
      requireTLS: true,
      debugLogging: false,
    });
    proxySecurityGroup.connections.allowTo(cluster, Port.tcp(DATABASE_PORT), 'proxy to Aurora');

    const migrationSecurityGroup = new SecurityGroup(this, 'MigrationSecurityGroup', {
      vpc,
      description: 'migration function: Aurora, Secrets Manager and KMS only',
      allowAllOutbound: false,
    });
    migrationSecurityGroup.connections.allowTo(cluster, Port.tcp(DATABASE_PORT), 'migrations to Aurora');
    // the interface endpoints for Secrets Manager and KMS answer on 443 inside the VPC
    migrationSecurityGroup.addEgressRule(
      Peer.ipv4(vpc.vpcCidrBlock),
      Port.tcp(443),
      'Secrets Manager and KMS endpoints',
    );

    const migrationFunction = new TributaryFunction(this, 'MigrationFunction', {
      settings,
      entry: 'infra/lib/database.migrate-handler.ts',
      description: 'Applies Tributary schema migrations and the application login role on deploy',
      timeout: Duration.minutes(10),
      memorySize: 1024,
      vpc,
      vpcSubnets: functionSubnets,
      securityGroups: [migrationSecurityGroup],
      environment: { NODE_EXTRA_CA_CERTS: LAMBDA_RDS_CA_BUNDLE },
      // migrate.ts reads its SQL files next to itself; in the bundle that is the bundle's own directory
      afterBundling: (outputDir) => [`cp -r "${MIGRATIONS_DIR}" "${outputDir}/migrations"`],
    });
    this.adminSecret.grantRead(migrationFunction);
    this.appUserSecret.grantRead(migrationFunction);
    this.pipelineUserSecret.grantRead(migrationFunction);
    this.migrationFunction = migrationFunction;

    const provider = new Provider(this, 'MigrationProvider', { onEventHandler: migrationFunction });
    this.migrations = new CustomResource(this, 'Migrations', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::TributaryMigrations',
      properties: {
        AdminSecretArn: this.adminSecret.secretArn,
        AppUserSecretArn: this.appUserSecret.secretArn,
        PipelineUserSecretArn: this.pipelineUserSecret.secretArn,
        Host: cluster.clusterEndpoint.hostname,
        Port: String(DATABASE_PORT),
        Database: DATABASE_NAME,
        MigrationsHash: migrationsHash(),
      },
    });
    // the writer must be up, not just the cluster resource
    this.migrations.node.addDependency(cluster);
  }

  /**
   * Lets a function connect through the proxy as its kind's login role (rds-db:connect for that one user, a
   * security-group path to the proxy) and sets the variables shared/src/config/config.ts reads for its
   * 'iam-proxy' database. 'web' (the default) can never become the loader role; only 'pipeline' can.
   */
  allowConnect(fn: LambdaFunction, kind: LoginKind = 'web'): void {
    const login = LOGIN_ROLES[kind];
    this.proxy.grantConnect(fn, login);
    fn.connections.allowTo(this.proxy, Port.tcp(DATABASE_PORT), 'function to RDS Proxy');
    fn.addEnvironment('TRIBUTARY_DB_PROXY_HOST', this.proxy.endpoint);
    fn.addEnvironment('TRIBUTARY_DB_PORT', String(DATABASE_PORT));
    fn.addEnvironment('TRIBUTARY_DB_NAME', DATABASE_NAME);
    fn.addEnvironment('TRIBUTARY_DB_USER', login);
    // read by the pool on its first connection (NODE_EXTRA_CA_CERTS would cost every cold start ~20 ms)
    fn.addEnvironment('TRIBUTARY_DB_CA_FILE', LAMBDA_RDS_CA_BUNDLE);
  }
}
