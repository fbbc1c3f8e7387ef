// Live progress in AWS: an API Gateway WebSocket API whose $connect is guarded by a Lambda authorizer
// (the Cognito access token, verified with aws-jwt-verify, plus the user's memberships from PostgreSQL),
// $connect/$disconnect functions keeping the connections in their own DynamoDB table (TTL, keyed by
// organization), and the grant that lets the pipeline's functions post to that API's connections only.
// Message contract: shared/src/adapters/progress-message.ts (the same as the local runner's server).
import { RemovalPolicy } from 'aws-cdk-lib';
import { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { AppEnvironment } from './app-environment';
import type { Database } from './database';
import type { EnvironmentSettings } from './environments';
import { TributaryFunction } from './node-function';

export interface ProgressProps {
  settings: EnvironmentSettings;
  vpc: IVpc;
  functionSubnets: SubnetSelection;
  key: IKey;
  database: Database;
  appEnvironment: AppEnvironment;
  /** the functions that publish progress (the pipeline's planner, worker and finalizer) */
  publishers: LambdaFunction[];
}

export class Progress extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly connections: Table;
  readonly authorizerFunction: TributaryFunction;
  readonly connectFunction: TributaryFunction;
  readonly disconnectFunction: TributaryFunction;

  constructor(
    scope: Construct,
    id: string,
    { settings, vpc, functionSubnets, key, database, appEnvironment, publishers }: ProgressProps,
  ) {
    super(scope, id);
    // connections live at most 2 hours (API Gateway's limit); the TTL sweeps the ones $disconnect missed
    this.connections = new Table(this, 'Connections', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const entry = 'functions/src/progress/progress.lambda.ts';
    const common = { settings, entry, vpc, vpcSubnets: functionSubnets, environmentEncryption: key } as const;
    this.authorizerFunction = new TributaryFunction(this, 'AuthorizerFunction', {
      ...common,
      handler: 'authorizeHandler',
      description: 'Live progress: $connect authorizer (Cognito token, memberships)',
    });
    this.connectFunction = new TributaryFunction(this, 'ConnectFunction', {
      ...common,
      handler: 'connectHandler',
      description: 'Live progress: register a connection under its organizations',
    });
    this.disconnectFunction = new TributaryFunction(this, 'DisconnectFunction', {
      ...common,
      handler: 'disconnectHandler',
      description: 'Live progress: forget a connection',
    });

    this.api = new WebSocketApi(this, 'WebSocketApi', {
      apiName: `tributary-${settings.name}-progress`,
      description: `Tributary ${settings.name}: live progress of extraction runs`,
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('Connect', this.connectFunction),
        // browsers cannot set Authorization on a WebSocket: the token rides in Sec-WebSocket-Protocol ("tributary,
        // <token>")
        authorizer: new WebSocketLambdaAuthorizer('Authorizer', this.authorizerFunction, {
          identitySource: ['route.request.header.Sec-WebSocket-Protocol'],
        }),
      },
      disconnectRouteOptions: { integration: new WebSocketLambdaIntegration('Disconnect', this.disconnectFunction) },
    });
    this.stage = new WebSocketStage(this, 'Stage', { webSocketApi: this.api, stageName: 'v1', autoDeploy: true });

    const env = {
      TRIBUTARY_PROGRESS_CALLBACK_URL: this.stage.callbackUrl,
      TRIBUTARY_PROGRESS_CONNECTIONS_TABLE: this.connections.tableName,
    };
    for (const fn of [this.authorizerFunction, this.connectFunction, this.disconnectFunction, ...publishers]) {
      appEnvironment.apply(fn);
      for (const [name, value] of Object.entries(env)) fn.addEnvironment(name, value);
    }
    // only the authorizer reads PostgreSQL (memberships); the others never connect
    database.allowConnect(this.authorizerFunction);
    this.connections.grantWriteData(this.connectFunction);
    this.connections.grantReadWriteData(this.disconnectFunction);
    for (const fn of publishers) {
      // find an organization's connections, drop the gone ones, and post to this API's connections only
      this.connections.grantReadWriteData(fn);
      this.api.grantManageConnections(fn);
    }
  }
}
