// The daily maintenance job in AWS: one Lambda (functions/src/maintenance/maintenance.lambda.ts) that loads
// the ECB's reference rates and applies retention, invoked by EventBridge Scheduler after the ECB's 16:00
// CET publication, with its own invoke-only role, retries, a dead-letter queue, and alarms on failures and
// on dead-lettered invocations.
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { AppEnvironment } from './app-environment';
import type { Database } from './database';
import type { EnvironmentSettings } from './environments';
import { TributaryFunction } from './node-function';

export interface MaintenanceProps {
  settings: EnvironmentSettings;
  vpc: IVpc;
  functionSubnets: SubnetSelection;
  key: IKey;
  database: Database;
  archiveBucket: IBucket;
  /** raw pages: the purge of deleted projects and data sources empties their prefixes here too */
  rawBucket?: IBucket;
  appEnvironment: AppEnvironment;
}

export class Maintenance extends Construct {
  readonly function: TributaryFunction;
  readonly schedule: CfnSchedule;
  readonly deadLetters: Queue;
  readonly failuresAlarm: Alarm;
  readonly deadLettersAlarm: Alarm;

  constructor(
    scope: Construct,
    id: string,
    { settings, vpc, functionSubnets, key, database, archiveBucket, rawBucket, appEnvironment }: MaintenanceProps,
  ) {
    super(scope, id);
    this.function = new TributaryFunction(this, 'Function', {
      settings,
      entry: 'functions/src/maintenance/maintenance.lambda.ts',
      handler: 'handler',
      description: 'Daily: ECB reference rates, then retention (hot to warm to S3), then the purge queue',
      vpc,
      vpcSubnets: functionSubnets,
      environmentEncryption: key,
      timeout: Duration.minutes(15),
      memorySize: 1024,
    });
    database.allowConnect(this.function, 'pipeline');
    appEnvironment.apply(this.function);
    // writes, re-reads to verify, and (after a restore) deletes archive objects; nothing else in S3
    archiveBucket.grantReadWrite(this.function);
    archiveBucket.grantDelete(this.function);
    // the purge queue (maintenance/purge.ts): every version of a deleted project's or data source's objects
    for (const bucket of [archiveBucket, ...(rawBucket ? [rawBucket] : [])]) {
      this.function.addToRolePolicy(
        new PolicyStatement({
          sid: `PurgeList${bucket === archiveBucket ? 'Archive' : 'Raw'}`,
          actions: ['s3:ListBucket', 's3:ListBucketVersions'],
          resources: [bucket.bucketArn],
        }),
      );
      this.function.addToRolePolicy(
        new PolicyStatement({
          sid: `PurgeDelete${bucket === archiveBucket ? 'Archive' : 'Raw'}`,
          actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: [bucket.arnForObjects('*')],
        }),
      );
    }

    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
    });
    const invokeRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'EventBridge Scheduler: invoke the daily maintenance function only',
    });
    this.function.grantInvoke(invokeRole);
    this.deadLetters.grantSendMessages(invokeRole);
    key.grantEncryptDecrypt(invokeRole);

    this.schedule = new CfnSchedule(this, 'Daily', {
      description: 'Tributary daily maintenance, after the ECB publishes its reference rates (about 16:00 CET)',
      scheduleExpression: 'cron(30 16 * * ? *)',
      scheduleExpressionTimezone: 'Europe/Berlin',
      flexibleTimeWindow: { mode: 'FLEXIBLE', maximumWindowInMinutes: 15 },
      target: {
        arn: this.function.functionArn,
        roleArn: invokeRole.roleArn,
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 6 * 3600 },
        deadLetterConfig: { arn: this.deadLetters.queueArn },
      },
    });

    const alarm = (
      name: string,
      description: string,
      metric: ReturnType<Queue['metricApproximateNumberOfMessagesVisible']>,
    ) =>
      new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    this.failuresAlarm = alarm(
      'FailuresAlarm',
      'The daily maintenance job failed (exchange rates or retention)',
      this.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
    );
    this.deadLettersAlarm = alarm(
      'DeadLettersAlarm',
      'A scheduled maintenance invocation was dead-lettered',
      this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    );
  }
}
