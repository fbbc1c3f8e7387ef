// Synth test of the Schedules construct in a small stack (bundling skipped): the schedule group, the role
// the schedules assume (invoke the starter only), the API's rights (this group's schedules, PassRole on
// that one role), the starter's right to start the one state machine, the dead-letter queue and its alarm.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Pass, StateMachine, DefinitionBody } from 'aws-cdk-lib/aws-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppEnvironment } from './app-environment';
import type { Database } from './database';
import { environmentSettings } from './environments';
import { Schedules } from './schedules';

let template: Template;
let stack: Stack;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new Stack(app, 'SchedulesTest', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED }],
  });
  const stateMachine = new StateMachine(stack, 'Machine', {
    definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'P')),
  });
  const api = new LambdaFunction(stack, 'DataSourceApi', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {}'),
  });
  // the database's own grants are covered by the stack test; here only that the starter is given them
  const appEnvironment = new AppEnvironment();
  const bystander = new LambdaFunction(stack, 'Bystander', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {}'),
  });
  appEnvironment.apply(bystander);
  const connected: string[] = [];
  const database = {
    allowConnect: (fn: { node: { id: string } }) => void connected.push(fn.node.id),
  } as unknown as Database;
  new Schedules(stack, 'Schedules', {
    settings: environmentSettings('dev'),
    vpc,
    functionSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
    key: new Key(stack, 'Key'),
    database,
    appEnvironment,
    stateMachine,
    managers: [api],
  });
  expect(connected).toEqual(['StarterFunction']);
  template = Template.fromStack(stack);
}, 600_000);

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
function statementsOfRole(logicalPrefix: RegExp): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy') as Record<
    string,
    { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } }
  >;
  return Object.values(policies)
    .filter((p) => p.Properties.Roles.some((r) => logicalPrefix.test(r.Ref)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('data source schedules in AWS', () => {
  it('one schedule group, named for the environment', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'tributary-dev-data-sources' });
  });

  it('the schedules role is assumed by EventBridge Scheduler and may only invoke the starter and dead-letter', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
      },
    });
    const actions = statementsOfRole(/SchedulerRole/)
      .flatMap((s) => [s.Action].flat())
      .sort();
    expect(actions).toEqual(
      ['lambda:InvokeFunction', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort(),
    );
    const invoke = statementsOfRole(/SchedulerRole/).find((s) => [s.Action].flat().includes('lambda:InvokeFunction'))!;
    expect(JSON.stringify(invoke.Resource)).toMatch(/StarterFunction/);
  });

  it('the API may manage schedules in its group only and pass only the schedules role', () => {
    const statements = statementsOfRole(/DataSourceApi/);
    const manage = statements.find((s) => [s.Action].flat().includes('scheduler:CreateSchedule'))!;
    expect([manage.Action].flat().sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'scheduler:GetSchedule',
      'scheduler:UpdateSchedule',
    ]);
    expect(JSON.stringify(manage.Resource)).toContain(':schedule/tributary-dev-data-sources/*');
    const pass = statements.find((s) => [s.Action].flat().includes('iam:PassRole'))!;
    expect(JSON.stringify(pass.Resource)).toMatch(/SchedulerRole/);
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });

  it('the starter may start executions of the one state machine', () => {
    const start = statementsOfRole(/StarterFunction/).find((s) => [s.Action].flat().includes('states:StartExecution'))!;
    expect(JSON.stringify(start.Resource)).toMatch(/Machine/);
  });

  it('only the schedule managers get the schedule settings; the starter does not get its own ARN (a cycle)', () => {
    const functions = template.findResources('AWS::Lambda::Function') as Record<
      string,
      { Properties: { Environment?: { Variables?: Record<string, unknown> } } }
    >;
    const envOf = (prefix: RegExp) =>
      Object.entries(functions).find(([id]) => prefix.test(id))![1].Properties.Environment?.Variables ?? {};
    expect(envOf(/^DataSourceApi/)).toMatchObject({ TRIBUTARY_SCHEDULE_GROUP: 'tributary-dev-data-sources' });
    expect(Object.keys(envOf(/^DataSourceApi/))).toEqual(
      expect.arrayContaining([
        'TRIBUTARY_SCHEDULER_ROLE_ARN',
        'TRIBUTARY_SCHEDULE_TARGET_ARN',
        'TRIBUTARY_SCHEDULER_DLQ_ARN',
      ]),
    );
    expect(envOf(/^SchedulesStarterFunction/)).toHaveProperty('TRIBUTARY_STATE_MACHINE_ARN');
    expect(envOf(/^SchedulesStarterFunction/)).not.toHaveProperty('TRIBUTARY_SCHEDULE_TARGET_ARN');
    // an application function that does not manage schedules does not get them either
    expect(envOf(/^Bystander/)).not.toHaveProperty('TRIBUTARY_SCHEDULE_TARGET_ARN');
  });

  it('dead-lettered events raise an alarm', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});
