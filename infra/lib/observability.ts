// What lets an operator reconstruct what happened: access logs, flow logs, traces, failed asynchronous
// invocations, and a retention on every log. Built near the end of the stack and applied by walking the
// construct tree, so buckets, distributions, API stages and functions other constructs add are covered:
//  - one access-log bucket (SSE-S3: S3 server access logging and CloudFront standard logs cannot write to a
//    KMS-encrypted bucket) expiring after the environment's accessLogRetentionDays; it receives every other
//    bucket's server access logs, every CloudFront distribution's logs and the VPC flow logs;
//  - every API Gateway v2 stage (HTTP and WebSocket) writes JSON access logs to its own log group;
//  - every Lambda function is traced by X-Ray (active tracing; our handlers' Powertools tracer adds their
//    subsegments) and, if invoked asynchronously (EventBridge Scheduler invokes the starter and the
//    maintenance job that way), sends what still fails after its retries to one on-failure queue, which
//    Monitoring alarms on;
//  - every function's logs, also those of CDK's deploy-time helpers, go to a log group with a retention.
import { CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnAccount, CfnStage as CfnRestStage } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Distribution, type CfnDistribution } from 'aws-cdk-lib/aws-cloudfront';
import { FlowLogDestination, FlowLogTrafficType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import type { EnvironmentSettings } from './environments';
import { TributaryFunction } from './node-function';
import type { OperationsSettings } from './operations-settings';

export interface ObservabilityProps {
  settings: EnvironmentSettings;
  operations: OperationsSettings;
}

/** API Gateway v2 access log line (JSON), the same fields for HTTP and WebSocket stages where they exist. */
const HTTP_ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
});
const WEBSOCKET_ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  connectionId: '$context.connectionId',
  status: '$context.status',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
});

export class Observability extends Construct {
  readonly logBucket: Bucket;
  /** what an asynchronously invoked function could not process after its retries */
  readonly asyncFailures: Queue;

  constructor(scope: Construct, id: string, { settings, operations }: ObservabilityProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const all = stack.node.findAll();
    const ofType = <T>(type: abstract new (...args: never[]) => T): T[] =>
      all.filter((c: IConstruct): c is IConstruct & T => c instanceof type);
    const label = (c: IConstruct) => c.node.path.split('/').slice(1).join('/');
    const retentionDays = operations.accessLogRetentionDays ?? 90;

    this.logBucket = new Bucket(this, 'AccessLogBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logging writes with an ACL granted to its log delivery account
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: settings.storage.removalPolicy,
      autoDeleteObjects: settings.storage.autoDeleteObjects,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    for (const bucket of ofType(Bucket)) {
      if (bucket === this.logBucket) continue;
      const prefix = `s3/${label(bucket)}/`;
      (bucket.node.defaultChild as CfnBucket).loggingConfiguration = {
        destinationBucketName: this.logBucket.bucketName,
        logFilePrefix: prefix,
      };
      this.logBucket.addToResourcePolicy(
        new PolicyStatement({
          sid: `ServerAccessLogs${label(bucket).replace(/[^A-Za-z0-9]/g, '')}`,
          principals: [new ServicePrincipal('logging.s3.amazonaws.com')],
          actions: ['s3:PutObject'],
          resources: [this.logBucket.arnForObjects(`${prefix}*`)],
          conditions: {
            ArnLike: { 'aws:SourceArn': bucket.bucketArn },
            StringEquals: { 'aws:SourceAccount': stack.account },
          },
        }),
      );
    }

    for (const distribution of ofType(Distribution)) {
      (distribution.node.defaultChild as CfnDistribution).addPropertyOverride('DistributionConfig.Logging', {
        Bucket: this.logBucket.bucketRegionalDomainName,
        Prefix: `cloudfront/${label(distribution)}/`,
        IncludeCookies: false,
      });
    }

    for (const vpc of ofType(Vpc)) {
      vpc.addFlowLog('FlowLogs', {
        destination: FlowLogDestination.toS3(this.logBucket, 'vpc-flow-logs/'),
        trafficType: FlowLogTrafficType.ALL,
      });
    }

    const stages = ofType(CfnStage);
    for (const stage of stages) {
      const webSocket = stage.node.scope instanceof WebSocketStage;
      const logs = new LogGroup(this, `${label(stage).replace(/[^A-Za-z0-9]/g, '')}AccessLogs`, {
        retention: settings.logRetention,
        removalPolicy: settings.storage.removalPolicy,
      });
      stage.accessLogSettings = {
        destinationArn: logs.logGroupArn,
        format: webSocket ? WEBSOCKET_ACCESS_LOG_FORMAT : HTTP_ACCESS_LOG_FORMAT,
      };
    }
    // WebSocket (like REST) stages log through the account's API Gateway CloudWatch role; HTTP APIs need none.
    // The role is kept on teardown: another stack in the account (dev beside staging) may be using it.
    if (stages.some((s) => s.node.scope instanceof WebSocketStage) && !all.some((c) => c instanceof CfnRestStage)) {
      const role = new Role(this, 'ApiGatewayLogsRole', {
        assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
        description: 'API Gateway (account setting): writes WebSocket access logs to CloudWatch Logs',
        managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
      });
      role.applyRemovalPolicy(RemovalPolicy.RETAIN);
      const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
      for (const stage of stages) stage.node.addDependency(account);
    }

    this.asyncFailures = new Queue(this, 'AsyncInvocationFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
    });
    const onFailure = new SqsDestination(this.asyncFailures);

    for (const fn of ofType(LambdaFunction)) {
      const cfn = fn.node.defaultChild as CfnFunction;
      cfn.tracingConfig = { mode: 'Active' };
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
      );
      if (fn instanceof TributaryFunction) {
        fn.addEnvironment('POWERTOOLS_SERVICE_NAME', `tributary-${label(fn).replace(/\//g, '-')}`);
        // the handler's Powertools tracer records into the invocation's trace (config reads it; off elsewhere)
        fn.addEnvironment('TRIBUTARY_TRACING', 'active');
        fn.configureAsyncInvoke({ onFailure, retryAttempts: 2, maxEventAge: Duration.hours(6) });
      }
    }

    // functions CDK adds without a log group of their own (custom resource providers, the log retention
    // helper) would log into an implicit /aws/lambda group that never expires
    for (const resource of all) {
      if (!(resource instanceof CfnResource) || resource.cfnResourceType !== 'AWS::Lambda::Function') continue;
      if (resource.node.scope instanceof TributaryFunction) continue;
      const logs = new LogGroup(this, `${label(resource).replace(/[^A-Za-z0-9]/g, '')}Logs`, {
        retention: settings.logRetention,
        removalPolicy: settings.storage.removalPolicy,
      });
      resource.addPropertyOverride('LoggingConfig.LogGroup', logs.logGroupName);
    }
  }
}
