// Data sources' schedules in AWS: one EventBridge Scheduler schedule per data source (made by the API's
// data-source handlers through shared/src/adapters/eventbridge-schedule-registry.ts) in one schedule group.
// Each schedule invokes the starter Lambda (functions/src/schedules/schedule-starter.lambda.ts), which
// inserts the job row and starts the one state machine. Least privilege:
// - the schedules' role may invoke the starter only (and dead-letter into the queue);
// - the managers (the API's data-source function) may manage schedules in this group only, and pass
//   that one role only;
// - the starter may start executions of the one state machine only.
// Events Scheduler could not deliver after its retries land in the dead-letter queue; an alarm watches it.
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AppEnvironment } from './app-environment';
import type { Database } from './database';
import type { EnvironmentSettings } from './environments';
import { TributaryFunction } from './node-function';

export interface SchedulesProps {
  settings: EnvironmentSettings;
  vpc: IVpc;
  functionSubnets: SubnetSelection;
  key: IKey;
  database: Database;
  appEnvironment: AppEnvironment;
  stateMachine: IStateMachine;
  /** functions that create, change and delete schedules (the API's data-source handlers) */
  managers: LambdaFunction[];
}

export class Schedules extends Construct {
  readonly group: CfnScheduleGroup;
  readonly starterFunction: TributaryFunction;
  readonly schedulerRole: Role;
  readonly deadLetterQueue: Queue;
  readonly deadLetterAlarm: Alarm;

  constructor(
    scope: Construct,
    id: string,
    { settings, vpc, functionSubnets, key, database, appEnvironment, stateMachine, managers }: SchedulesProps,
  ) {
    super(scope, id);
    const stack = Stack.of(this);
    const groupName = `tributary-${settings.name}-data-sources`;
    this.group = new CfnScheduleGroup(this, 'Group', { name: groupName });

    this.starterFunction = new TributaryFunction(this, 'StarterFunction', {
      settings,
      entry: 'functions/src/schedules/schedule-starter.lambda.ts',
      handler: 'handler',
      description: 'A data source schedule fired: start its extraction run',
      vpc,
      vpcSubnets: functionSubnets,
      environmentEncryption: key,
      timeout: Duration.seconds(30),
      environment: { TRIBUTARY_STATE_MACHINE_ARN: stateMachine.stateMachineArn },
    });
    database.allowConnect(this.starterFunction, 'pipeline');
    appEnvironment.apply(this.starterFunction);
    stateMachine.grantStartExecution(this.starterFunction);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
    });

    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler: invoke the extraction starter for data source schedules',
    });
    this.schedulerRole.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.starterFunction.functionArn] }),
    );
    this.deadLetterQueue.grantSendMessages(this.schedulerRole);

    const scheduleArns = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${groupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    for (const manager of managers) {
      manager.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [
            'scheduler:CreateSchedule',
            'scheduler:UpdateSchedule',
            'scheduler:DeleteSchedule',
            'scheduler:GetSchedule',
          ],
          resources: [scheduleArns],
        }),
      );
      manager.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.schedulerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
    }

    // Only the managers are told the schedule settings, not every application function: the target is the
    // starter's ARN, and the starter starts the state machine that invokes the pipeline functions, so the
    // pipeline functions holding it would be a dependency cycle.
    for (const manager of managers) {
      manager.addEnvironment('TRIBUTARY_SCHEDULE_GROUP', groupName);
      manager.addEnvironment('TRIBUTARY_SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);
      manager.addEnvironment('TRIBUTARY_SCHEDULE_TARGET_ARN', this.starterFunction.functionArn);
      manager.addEnvironment('TRIBUTARY_SCHEDULER_DLQ_ARN', this.deadLetterQueue.queueArn);
    }

    this.deadLetterAlarm = new Alarm(this, 'DeadLetteredAlarm', {
      alarmDescription: 'Scheduled extractions could not be started (events in the scheduler dead-letter queue)',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
