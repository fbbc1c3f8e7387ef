// cdk-nag's AwsSolutions rules run in every synthesis (app.ts adds the plugin). What they flag is either
// fixed in the construct that makes the resource, or acknowledged here, on that resource and with its reason,
// by an aspect that runs before validation: each entry below names the rule, which resources it applies to
// and why it is acceptable. A finding no entry explains stays an error, so a new wildcard or a new public
// route must be explained here before the stack synthesizes.
import { Aspects, CfnResource, Stack, Validations, type IAspect } from 'aws-cdk-lib';
import { CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { CfnDistribution } from 'aws-cdk-lib/aws-cloudfront';
import { CfnUserPool } from 'aws-cdk-lib/aws-cognito';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnSecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnDBCluster } from 'aws-cdk-lib/aws-rds';
import { CfnSecret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { rules, type NagRuleFindings } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { EnvironmentSettings } from './environments';
import type { OperationsSettings } from './operations-settings';

/** Wildcards in IAM policies (AwsSolutions-IAM5 findings) and why each kind is as narrow as it can be. */
const WILDCARD_REASONS: [RegExp, string][] = [
  [/^Resource::\*$/, 'X-Ray, vended log delivery and log retention actions have no resource-level permissions'],
  [
    /^Action::kms:(GenerateDataKey|ReEncrypt)\*$/,
    'CDK key grant on the one data key: the GenerateDataKey*/ReEncrypt* variants S3 and SQS use',
  ],
  [
    /^Action::s3:(Abort|DeleteObject|GetBucket|GetObject|List)\*$/,
    'CDK bucket grant on one named bucket (multipart aborts, object versions)',
  ],
  [/^Resource::<\w+\.Arn>\/\*$/, 'objects of one named bucket'],
  [
    /^Resource::arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-<AWS::AccountId>-[\w-]+\/\*$/,
    "the dashboard's deployment reads its bundle from CDK's bootstrap asset bucket (asset keys are content hashes)",
  ],
  [/^Resource::<\w+\.Arn>:\*$/, 'the versions of one function (CDK invoke grant)'],
  [
    /^Resource::arn:(aws|<AWS::Partition>):secretsmanager:[\w-]+:<AWS::AccountId>:secret:tributary\/\w+\/credentials\/\*$/,
    'credential secrets are created at run time, one per connection: scoped by name prefix (and tags where written)',
  ],
  [
    /^Resource::arn:<AWS::Partition>:scheduler:[\w-]+:<AWS::AccountId>:schedule\/tributary-\w+-data-sources\/\*$/,
    'schedules are created at run time, one per data source: scoped to the one schedule group',
  ],
  [
    /^Resource::arn:<AWS::Partition>:execute-api:[\w-]+:<AWS::AccountId>:<\w+>\/\*\/\*\/@connections\/\*$/,
    'posting to connections of the one WebSocket API: connection ids exist only at run time',
  ],
];

/** AWS managed policies (AwsSolutions-IAM4 findings) kept, and why. */
const MANAGED_POLICY_REASONS: [RegExp, string][] = [
  [/service-role\/AWSLambdaBasicExecutionRole\]?$/, 'Lambda execution: writing its own logs only'],
  [/service-role\/AWSLambdaVPCAccessExecutionRole\]?$/, 'Lambda in a VPC: managing its own network interfaces'],
  [
    /service-role\/AmazonAPIGatewayPushToCloudWatchLogs\]?$/,
    'API Gateway account logging role: the policy AWS maintains for it',
  ],
  [
    /service-role\/AWSBackupServiceRolePolicyFor(Backup|Restores)\]?$/,
    'AWS Backup selection role: the policies AWS maintains for backing up and restoring',
  ],
];

function explain(findings: NagRuleFindings, reasons: [RegExp, string][]): { id: string; reason: string }[] {
  return findings.flatMap((finding) => {
    const reason = reasons.find(([pattern]) => pattern.test(finding))?.[1];
    return reason ? [{ id: finding, reason }] : [];
  });
}

class AcknowledgeAwsSolutions implements IAspect {
  constructor(
    private readonly settings: EnvironmentSettings,
    private readonly operations: OperationsSettings,
  ) {}

  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    const ack = (rule: string, reason: string) =>
      Validations.of(node).acknowledge({ id: `AwsSolutions-${rule}`, reason });

    if (node instanceof CfnPolicy || node instanceof CfnRole) {
      const wildcards = rules.iam.IAMNoWildcardPermissions(node);
      if (Array.isArray(wildcards))
        for (const { id, reason } of explain(wildcards, WILDCARD_REASONS)) ack(`IAM5[${id}]`, reason);
    }
    if (node instanceof CfnRole) {
      const managed = rules.iam.IAMNoManagedPolicies(node);
      if (Array.isArray(managed))
        for (const { id, reason } of explain(managed, MANAGED_POLICY_REASONS)) ack(`IAM4[${id}]`, reason);
    }
    if (node instanceof CfnFunction || node.cfnResourceType === 'AWS::Lambda::Function') {
      ack(
        'L1',
        "Node.js 22 is the project's Lambda runtime (the code must also run on Node.js 20); raised deliberately",
      );
    }
    if (node instanceof CfnRoute) {
      ack(
        'APIG4',
        'tokens are verified inside every handler (aws-jwt-verify) so errors keep the standard envelope; register, login, the OAuth callback and the OpenAPI document are public by design',
      );
    }
    if (node instanceof CfnUserPool) {
      ack(
        'COG1',
        'at least 12 characters with upper and lower case and digits: length over symbol rules (NIST SP 800-63B)',
      );
      if ((this.operations.threatProtection ?? 'off') === 'off')
        ack(
          'COG8',
          `threat protection (Plus plan) is the threatProtection setting, on in prod; off in ${this.settings.name} for cost`,
        );
      if (this.settings.identity.mfa !== 'REQUIRED')
        ack('COG2', 'TOTP MFA is optional for every user; identity.mfa REQUIRED makes it mandatory');
    }
    if (node instanceof CfnSecret) {
      const name = String(Stack.of(node).resolve(node.name) ?? '');
      if (/\/webhook-signing$/.test(name))
        ack('SMG4', 'rotating the URL-signing key invalidates every signed webhook URL; rotated by hand (DEPLOY.md)');
      if (/\/oauth-apps\//.test(name))
        ack(
          'SMG4',
          "an OAuth app's client secret is issued by the platform; the operator rotates it there and in this secret (DEPLOY.md)",
        );
    }
    if (node instanceof CfnDistribution) {
      ack(
        'CFR1',
        'public by design: Excel, Google Sheets (from Google servers) and browsers reach it wherever the customer works',
      );
      if (!Stack.of(node).resolve((node.distributionConfig as CfnDistribution.DistributionConfigProperty).webAclId)) {
        ack(
          'CFR2',
          "the dashboard's static bundle from a private bucket: nothing behind it for a WAF to protect (the webhook distribution has one)",
        );
      }
      ack(
        'CFR3',
        'standard logging to the access-log bucket is set by Observability through a property override, which cdk-nag does not read',
      );
      const viewerCertificate = Stack.of(node).resolve(
        (node.distributionConfig as CfnDistribution.DistributionConfigProperty).viewerCertificate,
      ) as { minimumProtocolVersion?: string } | undefined;
      if (!viewerCertificate?.minimumProtocolVersion?.startsWith('TLSv1.2')) {
        ack(
          'CFR4',
          this.operations.webhookDomain
            ? 'TLSv1.2_2021 on the custom domain is set by CustomDomains through a property override, which cdk-nag does not read'
            : 'the default *.cloudfront.net certificate cannot enforce TLS 1.2; a custom domain in the deploy settings does (DEPLOY.md)',
        );
      }
    }
    if (node instanceof CfnTable) {
      ack(
        'DDB3',
        'OAuth state, rate-limit counters and WebSocket connections: minutes-long, TTL-expired data with nothing to recover',
      );
    }
    if (node instanceof CfnStateMachine) {
      ack(
        'SF1',
        "ERROR-level execution logs: each run's job rows already record every window; ALL would log every state of every window",
      );
    }
    if (node instanceof CfnQueue) {
      ack(
        'SQS3',
        'this queue is itself a dead-letter or on-failure queue (EventBridge Scheduler, Lambda destinations)',
      );
    }
    if (node instanceof CfnSecurityGroup && /Endpoint\/SecurityGroup\/Resource$/.test(node.node.path)) {
      ack('EC23', "interface endpoint: ingress from the VPC's own CIDR only (a token the rule cannot read)");
    }
    if (node instanceof CfnDBCluster && !this.settings.database.deletionProtection) {
      ack('RDS10', `the ${this.settings.name} database is disposable: deletion protection is on where data is kept`);
    }
  }
}

/** Acknowledges, with their reasons, the AwsSolutions findings this stack accepts (see the top of the file). */
export function acknowledgeAwsSolutions(
  stack: Stack,
  settings: EnvironmentSettings,
  operations: OperationsSettings,
): void {
  Aspects.of(stack).add(new AcknowledgeAwsSolutions(settings, operations));
}
