// Seam: the synthesized stack of each environment (as `cdk synth -c env=…` builds it, bundling skipped), read
// back as CloudFormation: what makes it operable in production (alarms, logs, tracing, backups, identity,
// OAuth app secrets, domains).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { DEPLOY_ENVIRONMENTS, type DeployEnvironment } from './environments';
import { REPO_ROOT } from './node-function';

const cdkJsonContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;

export function synthesize(env: DeployEnvironment, extra: Record<string, unknown> = {}): Template {
  const { stack } = buildApp({ context: { ...cdkJsonContext, env, 'aws:cdk:bundling-stacks': [], ...extra } });
  return Template.fromStack(stack);
}

type Resource = {
  Type: string;
  Properties?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
};
type Resources = Record<string, Resource>;
const resourcesOf = (t: Template, type: string) => t.findResources(type) as Resources;

const templates = {} as Record<DeployEnvironment, Template>;
beforeAll(() => {
  for (const env of DEPLOY_ENVIRONMENTS) templates[env] = synthesize(env);
}, 900_000);

describe('alarms', () => {
  const alarmsOf = (t: Template) => Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties!);
  const topicOf = (t: Template) => Object.keys(resourcesOf(t, 'AWS::SNS::Topic'))[0]!;

  it('when synthesized, every function has an errors and a throttles alarm', () => {
    for (const env of DEPLOY_ENVIRONMENTS) {
      const t = templates[env];
      const alarms = alarmsOf(t);
      const functions = Object.keys(resourcesOf(t, 'AWS::Lambda::Function'));
      expect(functions.length).toBeGreaterThan(10);
      for (const fn of functions) {
        for (const metric of ['Errors', 'Throttles']) {
          const found = alarms.filter(
            (a) =>
              a.Namespace === 'AWS/Lambda' &&
              a.MetricName === metric &&
              JSON.stringify(a.Dimensions).includes(`"Ref":"${fn}"`),
          );
          expect(found, `${env} ${fn} ${metric}`).toHaveLength(1);
        }
      }
    }
  });

  it('when synthesized, every alarm in the stack (also those other constructs made) notifies the encrypted, TLS-only alarm topic', () => {
    const t = templates.prod;
    const topic = topicOf(t);
    const alarms = alarmsOf(t);
    for (const a of alarms) {
      expect(a.AlarmActions, a.AlarmDescription).toEqual([{ Ref: topic }]);
      expect(a.OKActions, a.AlarmDescription).toEqual([{ Ref: topic }]);
    }
    const topicProps = resourcesOf(t, 'AWS::SNS::Topic')[topic]!.Properties!;
    expect(topicProps.KmsMasterKeyId).toBeDefined();
    const policy = Object.values(resourcesOf(t, 'AWS::SNS::TopicPolicy'))[0]!.Properties!;
    expect(JSON.stringify(policy.PolicyDocument)).toContain('aws:SecureTransport');
    // the key lets CloudWatch encrypt what it publishes
    const keyPolicy = JSON.stringify(Object.values(resourcesOf(t, 'AWS::KMS::Key'))[0]!.Properties!.KeyPolicy);
    expect(keyPolicy).toContain('cloudwatch.amazonaws.com');
  });

  it("when staging or prod is synthesized, the alarm topic has the deploy settings' email subscription; -c alarmEmail replaces it", () => {
    const settings = JSON.parse(readFileSync(path.join(REPO_ROOT, 'infra/deploy-settings.json'), 'utf8'));
    for (const env of ['staging', 'prod'] as const) {
      templates[env].hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: settings[env].alarmEmail,
      });
    }
    templates.dev.resourceCountIs('AWS::SNS::Subscription', 0);
    const t = synthesize('dev', { alarmEmail: 'oncall@example.org' });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.org',
      TopicArn: { Ref: topicOf(t) },
    });
  });

  it('when synthesized, the API (5xx, latency), WebSocket, state machine, dead-letter queues, Aurora, RDS Proxy and WAF have alarms', () => {
    const alarms = alarmsOf(templates.prod);
    const has = (namespace: string, metric: string) =>
      alarms.filter((a) => a.Namespace === namespace && a.MetricName === metric).length;
    expect(has('AWS/ApiGateway', '5xx')).toBe(1);
    expect(has('AWS/ApiGateway', 'Latency')).toBe(1);
    expect(has('AWS/ApiGateway', 'IntegrationError')).toBe(1);
    expect(has('AWS/States', 'ExecutionsFailed')).toBe(1);
    expect(has('AWS/States', 'ExecutionsTimedOut')).toBe(1);
    for (const m of [
      'CPUUtilization',
      'ACUUtilization',
      'DatabaseConnections',
      'FreeLocalStorage',
      'DatabaseConnectionsBorrowLatency',
      'ClientConnectionsSetupFailedAuth',
    ]) {
      expect(has('AWS/RDS', m), m).toBe(1);
    }
    expect(has('AWS/WAFV2', 'BlockedRequests')).toBe(1);
    // one per queue: every queue in the stack is a dead-letter queue
    const queues = Object.keys(resourcesOf(templates.prod, 'AWS::SQS::Queue'));
    for (const q of queues) {
      const found = alarms.filter(
        (a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.Dimensions).includes(q),
      );
      expect(found, q).toHaveLength(1);
    }
    // prod's 64 ACU allow 5,000 connections: the alarm fires at 80%
    expect(alarms.find((a) => a.MetricName === 'DatabaseConnections')!.Threshold).toBe(4000);
  });

  it('when synthesized, each environment has its own dashboard', () => {
    for (const env of DEPLOY_ENVIRONMENTS) {
      const dashboards = Object.values(resourcesOf(templates[env], 'AWS::CloudWatch::Dashboard'));
      expect(dashboards.map((d) => d.Properties!.DashboardName)).toEqual([`tributary-${env}`]);
      const body = JSON.stringify(dashboards[0]!.Properties!.DashboardBody);
      for (const metric of ['5xx', 'Errors', 'Throttles', 'ExecutionsFailed', 'ACUUtilization', 'BlockedRequests'])
        expect(body, metric).toContain(metric);
    }
  });
});

describe('logs and traces', () => {
  it('when synthesized, every bucket but the access-log bucket logs to it, and the access-log bucket expires its logs', () => {
    const t = templates.prod;
    const buckets = resourcesOf(t, 'AWS::S3::Bucket');
    const logBucket = Object.entries(buckets).filter(([, b]) =>
      b.Properties!.LifecycleConfiguration?.Rules?.some((r: { Id?: string }) => r.Id === 'expire-access-logs'),
    );
    expect(logBucket).toHaveLength(1);
    const [logBucketId, logBucketResource] = logBucket[0]!;
    expect(logBucketResource.Properties!.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(400);
    expect(logBucketResource.DeletionPolicy).toBe('Retain');
    for (const [id, b] of Object.entries(buckets)) {
      if (id === logBucketId) continue;
      expect(b.Properties!.LoggingConfiguration, id).toEqual({
        DestinationBucketName: { Ref: logBucketId },
        LogFilePrefix: expect.stringMatching(/^s3\//),
      });
    }
    expect(
      synthesize('dev', { accessLogRetentionDays: '3' }).findResources('AWS::S3::Bucket', {
        Properties: { LifecycleConfiguration: { Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 3 }] } },
      }),
    ).not.toEqual({});
  });

  it('when synthesized, CloudFront logs to the access-log bucket, the VPC has flow logs, and both API stages write JSON access logs', () => {
    const t = templates.staging;
    for (const d of Object.values(resourcesOf(t, 'AWS::CloudFront::Distribution'))) {
      expect(d.Properties!.DistributionConfig.Logging).toMatchObject({
        Bucket: { 'Fn::GetAtt': [expect.stringMatching(/AccessLogBucket/), 'RegionalDomainName'] },
        IncludeCookies: false,
      });
    }
    t.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 's3' });
    const stages = Object.values(resourcesOf(t, 'AWS::ApiGatewayV2::Stage'));
    expect(stages).toHaveLength(2);
    for (const stage of stages) {
      const settings = stage.Properties!.AccessLogSettings;
      expect(settings.DestinationArn['Fn::GetAtt'][1]).toBe('Arn');
      expect(Object.keys(JSON.parse(settings.Format))).toEqual(
        expect.arrayContaining(['requestId', 'ip', 'status', 'routeKey']),
      );
    }
  });

  it('when synthesized, every application function is traced, and its failed asynchronous invocations go to an on-failure queue', () => {
    const t = templates.dev;
    const configs = Object.values(resourcesOf(t, 'AWS::Lambda::EventInvokeConfig'));
    const failureQueue = Object.keys(resourcesOf(t, 'AWS::SQS::Queue')).find((q) =>
      q.includes('AsyncInvocationFailures'),
    )!;
    for (const [id, fn] of Object.entries(resourcesOf(t, 'AWS::Lambda::Function'))) {
      if (!fn.Properties!.Environment?.Variables?.TRIBUTARY_ENV) continue;
      expect(fn.Properties!.TracingConfig, id).toEqual({ Mode: 'Active' });
      // the handler's Powertools tracer is on where X-Ray is (config reads TRIBUTARY_TRACING)
      expect(fn.Properties!.Environment.Variables.TRIBUTARY_TRACING, id).toBe('active');
      const config = configs.find((c) => c.Properties!.FunctionName.Ref === id);
      expect(config?.Properties!.DestinationConfig, id).toEqual({
        OnFailure: { Destination: { 'Fn::GetAtt': [failureQueue, 'Arn'] } },
      });
    }
    // the scheduled functions, invoked asynchronously, are among them
    expect(configs.length).toBeGreaterThanOrEqual(15);
  });

  it('when synthesized, every function logs to a log group with a retention, and every log group has one', () => {
    for (const env of DEPLOY_ENVIRONMENTS) {
      const t = templates[env];
      const groups = resourcesOf(t, 'AWS::Logs::LogGroup');
      for (const [id, g] of Object.entries(groups))
        expect(g.Properties!.RetentionInDays, `${env} ${id}`).toBeGreaterThan(0);
      for (const [id, fn] of Object.entries(resourcesOf(t, 'AWS::Lambda::Function'))) {
        const group = fn.Properties!.LoggingConfig?.LogGroup?.Ref as string | undefined;
        expect(group && groups[group], `${env} ${id}`).toBeTruthy();
      }
    }
  });
});

describe('data safety', () => {
  it('when staging or prod is synthesized, AWS Backup backs up the Aurora cluster daily (and monthly in prod) into a kept vault under the data key; dev has no plan', () => {
    templates.dev.resourceCountIs('AWS::Backup::BackupPlan', 0);
    for (const env of ['staging', 'prod'] as const) {
      const t = templates[env];
      const key = Object.keys(resourcesOf(t, 'AWS::KMS::Key'))[0]!;
      const vault = Object.values(resourcesOf(t, 'AWS::Backup::BackupVault'));
      expect(vault).toHaveLength(1);
      expect(vault[0]!.Properties!.EncryptionKeyArn).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
      expect(vault[0]!.DeletionPolicy).toBe('Retain');
      const plan = Object.values(resourcesOf(t, 'AWS::Backup::BackupPlan'))[0]!.Properties!.BackupPlan;
      const rules = plan.BackupPlanRule.map((r: { RuleName: string; Lifecycle: { DeleteAfterDays: number } }) => [
        r.RuleName,
        r.Lifecycle.DeleteAfterDays,
      ]);
      expect(rules).toEqual(
        env === 'prod'
          ? [
              ['daily', 35],
              ['monthly', 365],
            ]
          : [['daily', 7]],
      );
      const cluster = Object.keys(resourcesOf(t, 'AWS::RDS::DBCluster'))[0]!;
      const selection = Object.values(resourcesOf(t, 'AWS::Backup::BackupSelection'))[0]!.Properties!.BackupSelection;
      expect(JSON.stringify(selection.Resources)).toContain(cluster);
    }
  });

  it('when the database outlives the stack (staging snapshot, prod retain), so do its key and both database secrets; dev deletes all of it', () => {
    for (const env of DEPLOY_ENVIRONMENTS) {
      const t = templates[env];
      const kept = env === 'dev' ? 'Delete' : 'Retain';
      expect(Object.values(resourcesOf(t, 'AWS::KMS::Key'))[0]!.DeletionPolicy, env).toBe(kept);
      for (const name of [
        `tributary/${env}/database/admin`,
        `tributary/${env}/database/tributary_api`,
        `tributary/${env}/database/tributary_pipeline`,
      ]) {
        const secret = Object.values(
          t.findResources('AWS::SecretsManager::Secret', { Properties: { Name: name } }) as Resources,
        );
        expect(secret, name).toHaveLength(1);
        expect(secret[0]!.DeletionPolicy, `${env} ${name}`).toBe(kept);
      }
    }
  });

  it('when synthesized, both database secrets rotate every 30 days through hosted single-user rotation in the VPC', () => {
    const t = templates.prod;
    const schedules = Object.values(resourcesOf(t, 'AWS::SecretsManager::RotationSchedule'));
    expect(schedules).toHaveLength(3);
    for (const s of schedules) {
      expect(s.Properties!.RotationRules.ScheduleExpression).toBe('rate(30 days)');
      expect(s.Properties!.HostedRotationLambda).toMatchObject({
        RotationType: 'PostgreSQLSingleUser',
        VpcSubnetIds: expect.anything(),
        KmsKeyArn: expect.anything(),
      });
    }
    // each through its target attachment, which adds the host, port and engine rotation needs
    const attachments = resourcesOf(t, 'AWS::SecretsManager::SecretTargetAttachment');
    const rotated = schedules.map((s) => attachments[s.Properties!.SecretId.Ref]!.Properties!.SecretId.Ref as string);
    const names = rotated.map((id) => resourcesOf(t, 'AWS::SecretsManager::Secret')[id]!.Properties!.Name);
    expect(names.sort()).toEqual([
      'tributary/prod/database/admin',
      'tributary/prod/database/tributary_api',
      'tributary/prod/database/tributary_pipeline',
    ]);
  });

  it('when synthesized, Aurora never goes below 0.5 ACU, the least RDS Proxy can serve', () => {
    for (const env of DEPLOY_ENVIRONMENTS) {
      const cluster = Object.values(resourcesOf(templates[env], 'AWS::RDS::DBCluster'))[0]!;
      expect(cluster.Properties!.ServerlessV2ScalingConfiguration.MinCapacity).toBeGreaterThanOrEqual(0.5);
    }
  });
});

describe('identity', () => {
  const clientNamed = (t: Template, name: string) =>
    Object.values(
      t.findResources('AWS::Cognito::UserPoolClient', { Properties: { ClientName: name } }) as Resources,
    )[0]!.Properties!;

  it("when synthesized, the dashboard client uses the code flow only, back to the dashboard's origin; the scripts' client has no OAuth", () => {
    const prod = clientNamed(templates.prod, 'dashboard');
    expect(prod.AllowedOAuthFlows).toEqual(['code']);
    expect(prod.AllowedOAuthFlowsUserPoolClient).toBe(true);
    // the configured origin, and the dashboard's own CloudFront domain (web-hosting.test.ts)
    expect(prod.CallbackURLs).toContain('https://app.tributary.dev/auth/callback');
    expect(prod.LogoutURLs).toContain('https://app.tributary.dev/');
    expect(JSON.stringify(prod.CallbackURLs)).toContain('WebDistribution');
    expect(JSON.stringify(prod)).not.toContain('example.com');
    expect(clientNamed(templates.dev, 'dashboard').CallbackURLs).toContain('http://localhost:5173/auth/callback');
    const scripts = clientNamed(templates.prod, 'scripts');
    expect(scripts.AllowedOAuthFlows).toBeUndefined();
    expect(scripts.AllowedOAuthFlowsUserPoolClient).toBe(false);
    // -c dashboardOrigin moves them
    const moved = clientNamed(synthesize('staging', { dashboardOrigin: 'https://dash.example.org' }), 'dashboard');
    expect(moved.CallbackURLs).toContain('https://dash.example.org/auth/callback');
    expect(JSON.stringify(moved.CallbackURLs)).not.toContain('app.tributary.dev');
  });

  it("when staging or prod is synthesized, Cognito sends email through SES from the configured sender; dev uses Cognito's own", () => {
    const settings = JSON.parse(readFileSync(path.join(REPO_ROOT, 'infra/deploy-settings.json'), 'utf8'));
    for (const env of ['staging', 'prod'] as const) {
      const pool = Object.values(resourcesOf(templates[env], 'AWS::Cognito::UserPool'))[0]!.Properties!;
      expect(pool.EmailConfiguration).toMatchObject({
        EmailSendingAccount: 'DEVELOPER',
        From: `Tributary <${settings[env].sesFromEmail}>`,
      });
      expect(JSON.stringify(pool.EmailConfiguration.SourceArn)).toContain(`identity/${settings[env].sesFromEmail}`);
    }
    const dev = Object.values(resourcesOf(templates.dev, 'AWS::Cognito::UserPool'))[0]!.Properties!;
    expect(dev.EmailConfiguration?.EmailSendingAccount ?? 'COGNITO_DEFAULT').toBe('COGNITO_DEFAULT');
  });

  it('when prod is synthesized, threat protection is enforced (Plus plan); dev and staging have it off', () => {
    const pool = (env: DeployEnvironment) =>
      Object.values(resourcesOf(templates[env], 'AWS::Cognito::UserPool'))[0]!.Properties!;
    expect(pool('prod')).toMatchObject({ UserPoolTier: 'PLUS', UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } });
    for (const env of ['dev', 'staging'] as const)
      expect(pool(env).UserPoolAddOns?.AdvancedSecurityMode ?? 'OFF').toBe('OFF');
  });

  it('when synthesized, the pool has a hosted sign-in domain unique to the account and environment', () => {
    const domain = Object.values(resourcesOf(templates.prod, 'AWS::Cognito::UserPoolDomain'))[0]!.Properties!;
    expect(JSON.stringify(domain.Domain)).toContain('tributary-prod-');
    expect(JSON.stringify(domain.Domain)).toContain('AWS::AccountId');
  });
});

describe('OAuth apps', () => {
  it('when synthesized, one secret per app holds empty keys under the data key, and only the credentials routes may read it and know its name', () => {
    const t = templates.prod;
    const key = Object.keys(resourcesOf(t, 'AWS::KMS::Key'))[0]!;
    const functions = resourcesOf(t, 'AWS::Lambda::Function');
    const credentialsFn = Object.entries(functions).find(
      ([, f]) => f.Properties!.Description === 'Management API: credentials routes',
    )!;
    const credentialsRole = credentialsFn[1].Properties!.Role['Fn::GetAtt'][0] as string;
    for (const [app, keys] of [
      ['google', ['client_id', 'client_secret', 'developer_token']],
      ['meta', ['client_id', 'client_secret']],
      ['klaviyo', ['client_id', 'client_secret']],
      ['shopify', ['client_id', 'client_secret']],
      ['amazon', ['client_id', 'client_secret']],
    ] as const) {
      const name = `tributary/prod/oauth-apps/${app}`;
      const found = Object.entries(
        t.findResources('AWS::SecretsManager::Secret', { Properties: { Name: name } }) as Resources,
      );
      expect(found, name).toHaveLength(1);
      const [secretId, secret] = found[0]!;
      expect(secret.Properties!.KmsKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
      expect(JSON.parse(secret.Properties!.SecretString)).toEqual(Object.fromEntries(keys.map((k) => [k, ''])));
      expect(secret.DeletionPolicy).toBe('Retain');
      const variable = `TRIBUTARY_${app.toUpperCase()}_APP_SECRET_ID`;
      expect(credentialsFn[1].Properties!.Environment.Variables[variable]).toBe(name);
      // which roles may read it: the credentials function's only
      const readers = Object.values(resourcesOf(t, 'AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties!.PolicyDocument).includes(`"Ref":"${secretId}"`))
        .flatMap((p) => (p.Properties!.Roles as { Ref: string }[]).map((r) => r.Ref));
      expect(readers).toEqual([credentialsRole]);
      for (const [id, f] of Object.entries(functions)) {
        if (id !== credentialsFn[0]) expect(f.Properties!.Environment?.Variables?.[variable], id).toBeUndefined();
      }
    }
  });
});

describe('custom domains', () => {
  const cert = (n: number) => `arn:aws:acm:us-east-1:123456789012:certificate/0000000${n}-aaaa-bbbb-cccc-000000000000`;

  it('when domains are set, the API and WebSocket get TLS 1.2 regional domains and mappings, CloudFront an alias with TLS 1.2, and the URLs the functions hand out move to them', () => {
    const t = synthesize('staging', {
      apiDomain: 'api.staging.example.org',
      apiCertificateArn: cert(1),
      webhookDomain: 'data.staging.example.org',
      webhookCertificateArn: cert(2),
      progressDomain: 'live.staging.example.org',
      progressCertificateArn: cert(3),
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'api.staging.example.org',
      DomainNameConfigurations: [{ CertificateArn: cert(1), EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'live.staging.example.org',
      DomainNameConfigurations: [{ CertificateArn: cert(3), EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    t.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 2);
    const distribution = Object.values(resourcesOf(t, 'AWS::CloudFront::Distribution'))[0]!.Properties!
      .DistributionConfig;
    expect(distribution.Aliases).toEqual(['data.staging.example.org']);
    expect(distribution.ViewerCertificate).toEqual({
      AcmCertificateArn: cert(2),
      SslSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
    });
    const functions = Object.values(resourcesOf(t, 'AWS::Lambda::Function'));
    const vars = (description: string) =>
      functions.find((f) => f.Properties!.Description === description)!.Properties!.Environment.Variables;
    expect(vars('Management API: credentials routes').TRIBUTARY_OAUTH_REDIRECT_URI).toBe(
      'https://api.staging.example.org/api/v1/oauth/callback',
    );
    expect(vars('Management API: webhooks routes').TRIBUTARY_WEBHOOK_URL).toBe('https://data.staging.example.org');
    expect(t.toJSON().Outputs.WebhookBaseUrl.Value).toBe('https://data.staging.example.org/webhook/v1/');
  });

  it('when no domain is set, nothing is mapped and a certificate outside us-east-1 is refused at synth', () => {
    templates.prod.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    expect(() =>
      synthesize('dev', {
        apiDomain: 'api.example.org',
        apiCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000001-aaaa-bbbb-cccc-000000000000',
      }),
    ).toThrow(/apiDomain.certificateArn must be an ACM certificate ARN in us-east-1/);
  });
});
