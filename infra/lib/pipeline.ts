// The extraction pipeline in AWS: the state machine from the one ASL definition (shared/src/workflow/
// extraction.asl.json, inlined at synth; the local runner executes the same), its planner, worker and finalizer
// Lambdas (functions/src/pipeline/pipeline.lambda.ts) substituted for the definition's ARN placeholders,
// an alarm on failed executions, and least-privilege grants: the state machine may invoke those three
// functions only; the planner and the worker may read and update credential secrets under their prefix
// (both persist a refreshed token), the worker may write raw pages.
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import type { AppEnvironment } from './app-environment';
import type { Database } from './database';
import type { EnvironmentSettings } from './environments';
import { PAGE_ENCODER_THREAD_BUNDLE, PAGE_ENCODER_THREAD_ENTRY } from '../../functions/src/pipeline/page-encoder';
import { threadBundleCommand, TributaryFunction } from './node-function';

export interface PipelineProps {
  settings: EnvironmentSettings;
  vpc: IVpc;
  functionSubnets: SubnetSelection;
  key: IKey;
  database: Database;
  rawBucket: IBucket;
  /**
   * the key-value table: the connectors' shared rate limiter (per credential, across concurrent workers) lives there
   */
  keyValueTable: ITable;
  appEnvironment: AppEnvironment;
}

export class Pipeline extends Construct {
  readonly planFunction: TributaryFunction;
  readonly extractFunction: TributaryFunction;
  readonly finalizeFunction: TributaryFunction;
  readonly stateMachine: StateMachine;
  readonly failedRunsAlarm: Alarm;
  readonly unfinishedRunsRule: Rule;

  constructor(
    scope: Construct,
    id: string,
    { settings, vpc, functionSubnets, key, database, rawBucket, keyValueTable, appEnvironment }: PipelineProps,
  ) {
    super(scope, id);
    const entry = 'functions/src/pipeline/pipeline.lambda.ts';
    // the platform SDKs from the stack's layer: each run loads one platform's, on its first call
    const common = {
      settings,
      entry,
      vpc,
      vpcSubnets: functionSubnets,
      environmentEncryption: key,
      platformSdks: 'layer',
    } as const;
    this.planFunction = new TributaryFunction(this, 'PlanFunction', {
      ...common,
      handler: 'planHandler',
      description: 'Extraction run: plan windows',
      timeout: Duration.minutes(2),
    });
    // the worker streams a window's pages into one load. The definition's Extract TimeoutSeconds is 900: the
    // function stops a minute earlier, so a task the state machine retries never overlaps a live invocation
    // 1,024 MB is 0.58 vCPU: pages are normalized on the worker's own thread. From 3,538 MB (two vCPUs) the
    // page encoder thread bundled beside the handler takes that work (shared/src/config/config.ts).
    this.extractFunction = new TributaryFunction(this, 'ExtractFunction', {
      ...common,
      handler: 'extractHandler',
      description: 'Extraction run: extract, archive and load one window',
      timeout: Duration.minutes(14),
      memorySize: 1024,
      afterBundling: (outputDir) => [
        threadBundleCommand(PAGE_ENCODER_THREAD_ENTRY, outputDir, PAGE_ENCODER_THREAD_BUNDLE),
      ],
    });
    this.finalizeFunction = new TributaryFunction(this, 'FinalizeFunction', {
      ...common,
      handler: 'finalizeHandler',
      description: 'Extraction run: finalize job and data source',
      timeout: Duration.minutes(2),
    });

    const secretArns = Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `tributary/${settings.name}/credentials/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    for (const fn of [this.planFunction, this.extractFunction, this.finalizeFunction]) {
      database.allowConnect(fn, 'pipeline');
      appEnvironment.apply(fn);
      keyValueTable.grantReadWriteData(fn);
    }
    // planner (discover) and worker (extract) read the credential, and both write a refreshed token back
    // (PutSecretValue: Secrets Manager encrypts the new version with a data key from the key)
    for (const fn of [this.planFunction, this.extractFunction]) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
          resources: [secretArns],
        }),
      );
      key.grantEncryptDecrypt(fn);
    }
    rawBucket.grantPut(this.extractFunction);

    const logs = new LogGroup(this, 'ExecutionLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.storage.removalPolicy,
    });
    this.stateMachine = new StateMachine(this, 'ExtractionStateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(EXTRACTION_DEFINITION),
      definitionSubstitutions: {
        PlanFunctionArn: this.planFunction.functionArn,
        ExtractFunctionArn: this.extractFunction.functionArn,
        FinalizeFunctionArn: this.finalizeFunction.functionArn,
      },
      logs: { destination: logs, level: LogLevel.ERROR },
      tracingEnabled: true,
    });
    for (const fn of [this.planFunction, this.extractFunction, this.finalizeFunction])
      fn.grantInvoke(this.stateMachine);

    // An execution that fails, times out or is stopped before its Finalize state (States.DataLimitExceeded,
    // the 24 h timeout, the history limit, StopExecution, Finalize out of retries) would leave its job running
    // and its data source refusing every start: its status-change event runs the finalize function, which
    // closes the job unless Finalize already did (functions/src/pipeline/stale-runs.ts).
    this.unfinishedRunsRule = new Rule(this, 'UnfinishedRunsRule', {
      description: 'Finalize an extraction run whose execution ended without reaching its Finalize state',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [new LambdaFunction(this.finalizeFunction, { retryAttempts: 8, maxEventAge: Duration.hours(24) })],
    });

    // a run that ends failed or partial fails its execution (the definition's RunFailed state)
    this.failedRunsAlarm = new Alarm(this, 'FailedRunsAlarm', {
      alarmDescription: 'An extraction run failed (some or all of its windows failed after retries)',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /** A function that starts runs: the state machine's ARN (loadConfig requires it) and StartExecution on it only. */
  allowStartingRuns(fn: TributaryFunction): void {
    fn.addEnvironment('TRIBUTARY_STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(fn);
  }
}
