// Alarms that reach someone, and one CloudWatch dashboard per environment. Built last in the stack and
// found by walking the construct tree, so a function, queue or API another construct adds later is
// watched without a line here: every Lambda function (errors, throttles), every SQS queue (a message in a
// dead-letter queue is a lost invocation), every HTTP API (5xx, p99 latency), WebSocket API (integration
// errors), state machine (failures, timeouts), Aurora cluster (CPU, ACU, connections, free local storage),
// RDS Proxy (borrow latency, failed IAM logins) and WAF web ACL (blocked requests). Every alarm in the stack,
// including those other constructs made, notifies one SNS topic; an email subscription comes from the
// environment's deploy settings (alarmEmail).
import { Annotations, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { HttpApi, WebSocketApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { DatabaseCluster, DatabaseProxy } from 'aws-cdk-lib/aws-rds';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct, type IConstruct } from 'constructs';
import type { EnvironmentSettings } from './environments';
import type { OperationsSettings } from './operations-settings';

export interface MonitoringProps {
  settings: EnvironmentSettings;
  operations: OperationsSettings;
  /** encrypts the alarm topic; CloudWatch is allowed to use it for that topic's messages */
  key: IKey;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * Aurora PostgreSQL's default max_connections for an instance of this many ACUs (2 GiB each): memory / 9,531,392, at
 * most 5,000.
 */
export function auroraMaxConnections(acus: number): number {
  return Math.min(Math.floor((acus * 2 * 1024 ** 3) / 9_531_392), 5000);
}

export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  /** the alarms this construct made (others' alarms are in the stack too, all notifying the topic) */
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, { settings, operations, key }: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const all = stack.node.findAll();
    const ofType = <T>(type: abstract new (...args: never[]) => T): T[] =>
      all.filter((c: IConstruct): c is IConstruct & T => c instanceof type);

    this.topic = new Topic(this, 'AlarmTopic', {
      topicName: `tributary-${settings.name}-alarms`,
      displayName: `Tributary ${settings.name} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    // CloudWatch publishes the alarm notifications, so it must be able to encrypt them with the topic's key
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsToEncryptedTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    if (operations.alarmEmail) this.topic.addSubscription(new EmailSubscription(operations.alarmEmail));
    else if (settings.name !== 'dev')
      Annotations.of(this).addWarningV2(
        'tributary:noAlarmEmail',
        `no alarmEmail in infra/deploy-settings.json for ${settings.name}: alarms reach nobody`,
      );

    const existingAlarms = ofType(Alarm);
    // a metric another construct already alarms on keeps that alarm (one alarm per metric)
    const metricKey = (m: IMetric) => {
      const { metricStat } = m.toMetricConfig();
      return metricStat
        ? JSON.stringify(stack.resolve([metricStat.namespace, metricStat.metricName, metricStat.dimensions ?? []]))
        : undefined;
    };
    const watched = new Set<string | undefined>(
      existingAlarms.map((a) => metricKey(a.metric)).filter((k) => k !== undefined),
    );
    const alarm = (
      name: string,
      description: string,
      metric: IMetric,
      threshold: number,
      options: { below?: boolean; periods?: number } = {},
    ) => {
      if (watched.has(metricKey(metric))) return undefined;
      const a = new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: options.periods ?? 1,
        comparisonOperator: options.below
          ? ComparisonOperator.LESS_THAN_THRESHOLD
          : ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      this.alarms.push(a);
      return a;
    };
    const label = (c: IConstruct) => c.node.path.split('/').slice(1).join('/');
    const idOf = (c: IConstruct) => label(c).replace(/[^A-Za-z0-9]/g, '');

    // every AWS::Lambda::Function, also the deploy-time ones CDK adds (custom resource providers)
    const functions = all
      .filter((c): c is CfnResource => c instanceof CfnResource && c.cfnResourceType === 'AWS::Lambda::Function')
      .map((resource) => ({ scope: resource.node.scope as IConstruct, name: resource.ref }));
    // labelled for the dashboard only: an alarm on a labelled metric renders as a metric query
    const lambdaMetric = (fn: (typeof functions)[number], metricName: string, statistic: string, labelled = true) =>
      new Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { FunctionName: fn.name },
        period: FIVE_MINUTES,
        statistic,
        ...(labelled ? { label: label(fn.scope) } : {}),
      });
    for (const fn of functions) {
      alarm(
        `${idOf(fn.scope)}Errors`,
        `${label(fn.scope)}: invocations failed`,
        lambdaMetric(fn, 'Errors', 'Sum', false),
        1,
      );
      alarm(
        `${idOf(fn.scope)}Throttles`,
        `${label(fn.scope)}: invocations throttled`,
        lambdaMetric(fn, 'Throttles', 'Sum', false),
        1,
      );
    }

    const queues = ofType(Queue);
    for (const queue of queues) {
      alarm(
        `${idOf(queue)}Messages`,
        `${label(queue)}: an invocation or event was dead-lettered`,
        queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        1,
      );
    }

    const httpApis = ofType(HttpApi);
    for (const api of httpApis) {
      alarm(
        `${idOf(api)}ServerErrors`,
        `${label(api)}: 5xx answers`,
        api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
        5,
      );
      alarm(
        `${idOf(api)}Latency`,
        `${label(api)}: p99 latency above 5 s for 15 minutes`,
        api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
        5000,
        { periods: 3 },
      );
    }
    const webSocketApis = ofType(WebSocketApi);
    const webSocketMetric = (api: WebSocketApi, metricName: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: api.apiId },
        period: FIVE_MINUTES,
        statistic: 'Sum',
      });
    for (const api of webSocketApis) {
      alarm(
        `${idOf(api)}IntegrationErrors`,
        `${label(api)}: $connect/$disconnect integration errors`,
        webSocketMetric(api, 'IntegrationError'),
        5,
      );
    }

    const stateMachines = ofType(StateMachine);
    for (const sm of stateMachines) {
      alarm(
        `${idOf(sm)}TimedOut`,
        `${label(sm)}: an execution timed out`,
        sm.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
      );
      alarm(
        `${idOf(sm)}Failed`,
        `${label(sm)}: an execution failed`,
        sm.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
      );
    }

    const clusters = ofType(DatabaseCluster);
    const maxConnections = auroraMaxConnections(settings.database.maxCapacity);
    for (const cluster of clusters) {
      alarm(
        `${idOf(cluster)}Cpu`,
        `${label(cluster)}: CPU above 80% for 15 minutes`,
        cluster.metricCPUUtilization({ period: FIVE_MINUTES, statistic: 'Average' }),
        80,
        { periods: 3 },
      );
      alarm(
        `${idOf(cluster)}Acu`,
        `${label(cluster)}: above 90% of its maximum capacity (${settings.database.maxCapacity} ACU) for 15 minutes`,
        cluster.metricACUUtilization({ period: FIVE_MINUTES, statistic: 'Average' }),
        90,
        { periods: 3 },
      );
      alarm(
        `${idOf(cluster)}Connections`,
        `${label(cluster)}: connections above 80% of max_connections (${maxConnections})`,
        cluster.metricDatabaseConnections({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        Math.floor(maxConnections * 0.8),
      );
      // local storage (temporary files, sorts) scales with capacity; 1 GiB left is close to queries failing
      alarm(
        `${idOf(cluster)}FreeLocalStorage`,
        `${label(cluster)}: less than 1 GiB of free local storage`,
        cluster.metricFreeLocalStorage({ period: FIVE_MINUTES, statistic: 'Minimum' }),
        1024 ** 3,
        { below: true },
      );
    }
    const proxies = ofType(DatabaseProxy);
    const proxyMetric = (proxy: DatabaseProxy, metricName: string, statistic: string) =>
      new Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { ProxyName: proxy.dbProxyName },
        period: FIVE_MINUTES,
        statistic,
      });
    for (const proxy of proxies) {
      // microseconds: waiting half a second for a database connection means the pool is exhausted
      alarm(
        `${idOf(proxy)}BorrowLatency`,
        `${label(proxy)}: p99 connection borrow latency above 0.5 s for 15 minutes`,
        proxyMetric(proxy, 'DatabaseConnectionsBorrowLatency', 'p99'),
        500_000,
        { periods: 3 },
      );
      alarm(
        `${idOf(proxy)}FailedAuth`,
        `${label(proxy)}: IAM logins refused`,
        proxyMetric(proxy, 'ClientConnectionsSetupFailedAuth', 'Sum'),
        5,
      );
    }

    const webAcls = ofType(CfnWebACL);
    const wafMetric = (acl: CfnWebACL) =>
      new Metric({
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensionsMap: { WebACL: (acl.visibilityConfig as CfnWebACL.VisibilityConfigProperty).metricName, Rule: 'ALL' },
        period: FIVE_MINUTES,
        statistic: 'Sum',
      });
    for (const acl of webAcls) {
      alarm(
        `${idOf(acl)}Blocked`,
        `${label(acl)}: more than 100 requests blocked in 5 minutes (a client over its rate, or an attack)`,
        wafMetric(acl),
        100,
      );
    }

    const action = new SnsAction(this.topic);
    for (const a of [...existingAlarms, ...this.alarms]) {
      a.addAlarmAction(action);
      a.addOkAction(action);
    }

    // one graph per concern; functions share graphs (one line each), so the dashboard stays one screen
    const graph = (title: string, metrics: IMetric[], width = 12) =>
      new GraphWidget({ title, left: metrics, width, height: 6 });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `tributary-${settings.name}`,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Tributary ${settings.name}\nAlarms notify SNS topic \`tributary-${settings.name}-alarms\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'HTTP API: requests, 4xx, 5xx',
        httpApis.flatMap((api) => [
          api.metricCount({ period: FIVE_MINUTES }),
          api.metricClientError({ period: FIVE_MINUTES }),
          api.metricServerError({ period: FIVE_MINUTES }),
        ]),
      ),
      graph(
        'HTTP API: latency p50 / p99 (ms)',
        httpApis.flatMap((api) => [
          api.metricLatency({ period: FIVE_MINUTES, statistic: 'p50' }),
          api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
        ]),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Functions: errors',
        functions.map((fn) => lambdaMetric(fn, 'Errors', 'Sum')),
      ),
      graph(
        'Functions: throttles',
        functions.map((fn) => lambdaMetric(fn, 'Throttles', 'Sum')),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Functions: duration p99 (ms)',
        functions.map((fn) => lambdaMetric(fn, 'Duration', 'p99')),
      ),
      graph(
        'Extraction runs',
        stateMachines.flatMap((sm) => [
          sm.metricStarted({ period: FIVE_MINUTES }),
          sm.metricSucceeded({ period: FIVE_MINUTES }),
          sm.metricFailed({ period: FIVE_MINUTES }),
          sm.metricTimedOut({ period: FIVE_MINUTES }),
        ]),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Aurora: CPU % and ACU utilization %',
        clusters.flatMap((c) => [
          c.metricCPUUtilization({ period: FIVE_MINUTES }),
          c.metricACUUtilization({ period: FIVE_MINUTES }),
        ]),
      ),
      graph(
        'Aurora: connections and capacity (ACU)',
        clusters.flatMap((c) => [
          c.metricDatabaseConnections({ period: FIVE_MINUTES }),
          c.metricServerlessDatabaseCapacity({ period: FIVE_MINUTES }),
        ]),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'RDS Proxy: client connections, borrow latency p99 (µs)',
        proxies.flatMap((p) => [
          proxyMetric(p, 'ClientConnections', 'Maximum'),
          proxyMetric(p, 'DatabaseConnectionsBorrowLatency', 'p99'),
        ]),
      ),
      graph(
        'Dead-letter queues: messages',
        queues.map((q) =>
          q.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: label(q) }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'WebSocket: connects, messages, errors',
        webSocketApis.flatMap((api) =>
          ['ConnectCount', 'MessageCount', 'IntegrationError'].map((m) => webSocketMetric(api, m)),
        ),
      ),
      graph(
        'WAF: blocked requests',
        webAcls.map((acl) => wafMetric(acl)),
      ),
    );
    // the share of API requests answered with a 5xx: the first number to look at
    if (httpApis[0]) {
      const api = httpApis[0];
      this.dashboard.addWidgets(
        graph(
          'HTTP API: 5xx rate %',
          [
            new MathExpression({
              expression: '100 * errors / MAX([requests, 1])',
              usingMetrics: {
                errors: api.metricServerError({ period: FIVE_MINUTES }),
                requests: api.metricCount({ period: FIVE_MINUTES }),
              },
              label: '5xx %',
              period: FIVE_MINUTES,
            }),
          ],
          24,
        ),
      );
    }
  }
}
