// Seam: the CDK app as `cdk synth -c env=…` builds it (same feature flags from cdk.json), read back as
// CloudFormation through aws-cdk-lib/assertions. Lambda bundling is skipped here (bundling-stacks: []); the
// real esbuild bundles are built by `npm run synth`, and the extract function's second bundle (its page
// encoder thread) by pipeline.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { DEPLOY_ENVIRONMENTS, type DeployEnvironment } from './environments';
import { REPO_ROOT } from './node-function';
import { OAUTH_APP_KEYS } from './oauth-apps';

const cdkJsonContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;

function synthesize(env: DeployEnvironment): Template {
  const { stack } = buildApp({ context: { ...cdkJsonContext, env, 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(stack);
}

type Resources = Record<
  string,
  {
    Type: string;
    Properties?: Record<string, any>;
    DeletionPolicy?: string;
    UpdateReplacePolicy?: string;
    DependsOn?: string[];
  }
>;

function only(template: Template, type: string, props: object = {}): { id: string; resource: Resources[string] } {
  const found = Object.entries(template.findResources(type, props ? { Properties: props } : undefined) as Resources);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return { id: found[0]![0], resource: found[0]![1] };
}

const templates = {} as Record<DeployEnvironment, Template>;
// one synthesis per environment for the whole file; a loaded CI machine can take minutes over three
beforeAll(() => {
  for (const env of DEPLOY_ENVIRONMENTS) templates[env] = synthesize(env);
}, 900_000);

describe('environments', () => {
  it('when the environment is unknown or missing, it stops synthesis naming the choices', () => {
    expect(() => buildApp({ context: { env: 'qa' } })).toThrow(
      /unknown environment "qa": pass -c env=dev\|staging\|prod/,
    );
    expect(() => buildApp({})).toThrow(/unknown environment "undefined"/);
  });
});

describe('network', () => {
  it('when synthesized, it has public, egress and isolated subnets, and S3, DynamoDB, Secrets Manager and KMS endpoints', () => {
    const t = templates.dev;
    t.resourceCountIs('AWS::EC2::VPC', 1);
    const subnetTypes = Object.values(t.findResources('AWS::EC2::Subnet') as Resources).map(
      (s) =>
        (s.Properties!.Tags as { Key: string; Value: string }[]).find((tag) => tag.Key === 'aws-cdk:subnet-type')!
          .Value,
    );
    expect(new Set(subnetTypes)).toEqual(new Set(['Public', 'Private', 'Isolated']));
    const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint') as Resources).map((e) =>
      JSON.stringify(e.Properties!.ServiceName),
    );
    for (const service of ['.s3', '.dynamodb', '.secretsmanager', '.kms'])
      expect(
        endpoints.some((e) => e.includes(service)),
        service,
      ).toBe(true);
  });

  it('when prod is synthesized, it has a NAT gateway per AZ; dev shares one', () => {
    templates.dev.resourceCountIs('AWS::EC2::NatGateway', 1);
    // account-agnostic synthesis sees two AZs; prod asks for one NAT gateway in each
    templates.prod.resourceCountIs('AWS::EC2::NatGateway', 2);
  });
});

describe('encryption key', () => {
  it('when synthesized, it is a customer-managed key with rotation on, retained wherever the database outlives the stack (staging, prod)', () => {
    for (const env of DEPLOY_ENVIRONMENTS) {
      const { resource } = only(templates[env], 'AWS::KMS::Key', { EnableKeyRotation: true });
      expect(resource.DeletionPolicy).toBe(env === 'dev' ? 'Delete' : 'Retain');
    }
  });
});

describe('database', () => {
  it('when synthesized, it is Aurora PostgreSQL 17 Serverless v2, encrypted with the customer-managed key, in isolated subnets', () => {
    const t = templates.dev;
    const key = only(t, 'AWS::KMS::Key').id;
    const { resource } = only(t, 'AWS::RDS::DBCluster');
    expect(resource.Properties!.Engine).toBe('aurora-postgresql');
    expect(resource.Properties!.EngineVersion).toMatch(/^17\.\d+$/);
    expect(resource.Properties!.StorageEncrypted).toBe(true);
    expect(resource.Properties!.KmsKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    expect(resource.Properties!.ServerlessV2ScalingConfiguration).toEqual({ MinCapacity: 0.5, MaxCapacity: 2 });
    t.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless', PubliclyAccessible: false });
    const subnetGroup = only(t, 'AWS::RDS::DBSubnetGroup').resource;
    const isolatedSubnets = Object.entries(t.findResources('AWS::EC2::Subnet') as Resources)
      .filter(([, s]) =>
        (s.Properties!.Tags as { Key: string; Value: string }[]).some((tag) => tag.Value === 'Isolated'),
      )
      .map(([id]) => ({ Ref: id }));
    expect(subnetGroup.Properties!.SubnetIds).toEqual(isolatedSubnets);
  });

  it('when prod is synthesized, it has deletion protection, retained data, 35 days of point-in-time recovery and a reader; dev has none of it', () => {
    const prod = only(templates.prod, 'AWS::RDS::DBCluster').resource;
    expect(prod.Properties!.DeletionProtection).toBe(true);
    expect(prod.Properties!.BackupRetentionPeriod).toBe(35);
    expect(prod.DeletionPolicy).toBe('Retain');
    expect(prod.UpdateReplacePolicy).toBe('Retain');
    templates.prod.resourceCountIs('AWS::RDS::DBInstance', 2);
    expect(prod.Properties!.ServerlessV2ScalingConfiguration.MinCapacity).toBeGreaterThan(0);

    const dev = only(templates.dev, 'AWS::RDS::DBCluster').resource;
    expect(dev.Properties!.DeletionProtection).toBe(false);
    expect(dev.Properties!.BackupRetentionPeriod).toBe(1);
    expect(dev.DeletionPolicy).toBe('Delete');
    templates.dev.resourceCountIs('AWS::RDS::DBInstance', 1);

    expect(only(templates.staging, 'AWS::RDS::DBCluster').resource.DeletionPolicy).toBe('Snapshot');
  });

  it('when synthesized, the proxy requires IAM auth and TLS, and holds only the two application login secrets (web and pipeline)', () => {
    const t = templates.dev;
    const { resource } = only(t, 'AWS::RDS::DBProxy');
    expect(resource.Properties!.EngineFamily).toBe('POSTGRESQL');
    expect(resource.Properties!.RequireTLS).toBe(true);
    expect(resource.Properties!.Auth).toHaveLength(2);
    for (const auth of resource.Properties!.Auth)
      expect(auth).toMatchObject({ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED' });
    const appSecret = only(t, 'AWS::SecretsManager::Secret', { Name: 'tributary/dev/database/tributary_api' }).id;
    const pipelineSecret = only(t, 'AWS::SecretsManager::Secret', {
      Name: 'tributary/dev/database/tributary_pipeline',
    }).id;
    expect(resource.Properties!.Auth.map((a: { SecretArn: unknown }) => a.SecretArn)).toEqual([
      { Ref: appSecret },
      { Ref: pipelineSecret },
    ]);
  });

  it('when synthesized, every secret (the admin, web and pipeline database logins, the webhook signing key, one per OAuth app) is encrypted with the customer-managed key', () => {
    const t = templates.dev;
    const key = only(t, 'AWS::KMS::Key').id;
    const secrets = Object.values(t.findResources('AWS::SecretsManager::Secret') as Resources);
    expect(secrets).toHaveLength(4 + Object.keys(OAUTH_APP_KEYS).length);
    for (const s of secrets) expect(s.Properties!.KmsKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
  });

  it('when synthesized, a custom resource runs the migration function (Node.js 22, in the VPC) with a hash of the migrations', () => {
    const t = templates.dev;
    const migrations = only(t, 'Custom::TributaryMigrations').resource;
    expect(migrations.Properties!.MigrationsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(migrations.Properties!.Database).toBe('tributary');
    expect(migrations.DependsOn!.some((d) => d.includes('Cluster'))).toBe(true);
    const migrationFn = only(t, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('schema migrations'),
    }).resource;
    expect(migrationFn.Properties!.Runtime).toBe('nodejs22.x');
    expect(migrationFn.Properties!.VpcConfig.SubnetIds.length).toBeGreaterThan(0);
    expect(migrationFn.Properties!.Environment.Variables.NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
  });

  it('when synthesized, the migration function may read the three database secrets and nothing else in Secrets Manager', () => {
    const t = templates.dev;
    const migrationFnRole = only(t, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('schema migrations'),
    }).resource.Properties!.Role['Fn::GetAtt'][0];
    const policies = Object.values(t.findResources('AWS::IAM::Policy') as Resources).filter((p) =>
      (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === migrationFnRole),
    );
    const statements = policies.flatMap(
      (p) => p.Properties!.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const secretStatements = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    const secretResources = secretStatements.flatMap((s) => [s.Resource].flat());
    expect(secretResources).toHaveLength(3);
    for (const r of secretResources) expect(JSON.stringify(r)).not.toContain('*');
  });
});

describe('storage', () => {
  it('when synthesized, both data buckets are KMS-encrypted with the customer key, block public access and refuse plain HTTP', () => {
    const t = templates.dev;
    const key = only(t, 'AWS::KMS::Key').id;
    // the data buckets; the access-log bucket (SSE-S3, which S3 and CloudFront logging need) is tested in
    // operations.test.ts,
    // the dashboard's bundle bucket (web-hosting.test.ts) holds no data and is read by CloudFront through OAC
    const buckets = Object.fromEntries(
      Object.entries(
        t.findResources('AWS::S3::Bucket', {
          Properties: {
            BucketEncryption: {
              ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }],
            },
          },
        }) as Resources,
      ).filter(([id]) => !id.startsWith('Web')),
    );
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const [id, bucket] of Object.entries(buckets)) {
      expect(
        bucket.Properties!.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
      ).toEqual({
        SSEAlgorithm: 'aws:kms',
        KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] },
      });
      expect(bucket.Properties!.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      t.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('when synthesized, the archive bucket is versioned and moves to colder storage; raw pages expire', () => {
    const t = templates.prod;
    t.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
          }),
        ],
      },
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'expire-raw-pages', ExpirationInDays: 90 })] },
    });
  });

  it('when prod is synthesized, buckets are retained and never emptied on delete; dev buckets are destroyable', () => {
    for (const bucket of Object.values(templates.prod.findResources('AWS::S3::Bucket') as Resources))
      expect(bucket.DeletionPolicy).toBe('Retain');
    expect(Object.keys(templates.prod.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(0);
    for (const bucket of Object.values(templates.dev.findResources('AWS::S3::Bucket') as Resources))
      expect(bucket.DeletionPolicy).toBe('Delete');
    // the two data buckets, the access-log bucket and the dashboard's bundle
    expect(Object.keys(templates.dev.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(4);
  });
});

describe('webhook delivery', () => {
  it('when synthesized, the webhook function streams its response through an IAM-only function URL, with its own concurrency cap', () => {
    const t = templates.prod;
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' });
    const fn = only(t, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Public webhook data endpoint'),
    }).resource;
    expect(fn.Properties!.Runtime).toBe('nodejs22.x');
    expect(fn.Properties!.ReservedConcurrentExecutions).toBe(100);
    expect(fn.Properties!.Timeout).toBe(900);
    expect(Object.keys(fn.Properties!.Environment.Variables)).toEqual(
      expect.arrayContaining([
        'TRIBUTARY_DB_PROXY_HOST',
        'TRIBUTARY_DB_USER',
        'TRIBUTARY_KMS_KEY_ID',
        'TRIBUTARY_ARCHIVE_BUCKET',
        'TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN',
      ]),
    );
    // read from Secrets Manager at cold start: the secret's value is in neither the template nor the environment
    expect(fn.Properties!.Environment.Variables.TRIBUTARY_WEBHOOK_SIGNING_SECRET).toBeUndefined();
  });

  it('when synthesized, web functions connect only as the web login and pipeline functions only as the pipeline login', () => {
    const t = templates.prod;
    const functions = Object.values(t.findResources('AWS::Lambda::Function') as Resources);
    const userOf = (fn: (typeof functions)[number]) =>
      fn.Properties?.Environment?.Variables?.TRIBUTARY_DB_USER as string | undefined;
    const roleOf = (fn: (typeof functions)[number]) =>
      (fn.Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const policies = Object.values(t.findResources('AWS::IAM::Policy') as Resources);
    const connectUsers = (role: string) =>
      policies
        .filter((p) => (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref === role))
        .flatMap((p) => p.Properties!.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((s) => [s.Action].flat().includes('rds-db:connect'))
        .map((s) => JSON.stringify(s.Resource).match(/dbuser:[^/]*\/(\w+)/)?.[1]);
    const web = /Public webhook|Management API|progress/i;
    const pipeline = /Extraction run|schedule fired|Daily: ECB/i;
    const seen = { web: 0, pipeline: 0 };
    for (const fn of functions.filter((f) => userOf(f))) {
      const description = String(fn.Properties!.Description);
      const kind = web.test(description) ? 'web' : pipeline.test(description) ? 'pipeline' : undefined;
      expect(kind, description).toBeDefined();
      const login = kind === 'web' ? 'tributary_api' : 'tributary_pipeline';
      expect(userOf(fn), description).toBe(login);
      expect(connectUsers(roleOf(fn)), description).toEqual([login]);
      seen[kind!] += 1;
    }
    expect(seen.web).toBeGreaterThan(5);
    expect(seen.pipeline).toBeGreaterThan(2);
  });

  it('when synthesized, CloudFront fronts the URL with origin access control, a cache key of the whole query string and Accept, and a WAF rate rule', () => {
    const t = templates.prod;
    t.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 0,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          QueryStringsConfig: { QueryStringBehavior: 'all' },
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Accept'] },
          CookiesConfig: { CookieBehavior: 'none' },
        }),
      }),
    });
    // the webhook function URL's and the dashboard bucket's
    t.resourceCountIs('AWS::CloudFront::OriginAccessControl', 2);
    const acl = only(t, 'AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT' }).id;
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({
          Action: { Block: {} },
          Statement: { RateBasedStatement: Match.objectLike({ Limit: 1000, AggregateKeyType: 'IP' }) },
        }),
      ]),
    });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        WebACLId: { 'Fn::GetAtt': [acl, 'Arn'] },
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      }),
    });
  });
});

describe('daily maintenance', () => {
  it('when synthesized, EventBridge Scheduler invokes the maintenance function daily after the ECB publishes, through an invoke-only role, with retries and a dead-letter queue', () => {
    const t = templates.dev;
    const { resource: schedule } = only(t, 'AWS::Scheduler::Schedule');
    const p = schedule.Properties!;
    expect([p.ScheduleExpression, p.ScheduleExpressionTimezone]).toEqual(['cron(30 16 * * ? *)', 'Europe/Berlin']);
    expect(p.Target.RetryPolicy.MaximumRetryAttempts).toBe(3);
    expect(JSON.stringify(p.Target.DeadLetterConfig.Arn)).toMatch(/DeadLetters/);
    const roleId = (schedule.Properties!.Target.RoleArn['Fn::GetAtt'] as string[])[0]!;
    const policies = Object.values(
      t.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }) as Resources,
    );
    const actions = policies.flatMap((p) =>
      p.Properties!.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()),
    );
    expect(actions).toContain('lambda:InvokeFunction');
    expect(actions).toContain('sqs:SendMessage');
    // invoke, dead-letter and the queue's key: nothing that reads or changes data
    expect(
      actions.filter(
        (a) =>
          !/^(lambda:InvokeFunction|sqs:(SendMessage|GetQueueAttributes|GetQueueUrl)|kms:(Decrypt|Encrypt|ReEncrypt\*|GenerateDataKey\*))$/.test(
            a,
          ),
      ),
    ).toEqual([]);
  });

  it('when synthesized, failures and dead-lettered invocations of the maintenance job raise alarms', () => {
    const alarms = Object.values(templates.dev.findResources('AWS::CloudWatch::Alarm') as Resources).map(
      (a) => a.Properties!.AlarmDescription as string,
    );
    expect(alarms).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/daily maintenance job failed/),
        expect.stringMatching(/dead-lettered/),
      ]),
    );
  });
});
