// Live progress in AWS: the API Gateway WebSocket API's Lambdas. The $connect authorizer verifies the
// Cognito access token (aws-jwt-verify, through the verifier of the composition root) and resolves the
// user's organizations; $connect registers the connection under each of them in the connections table;
// $disconnect forgets it. The pipeline posts through ApiGatewayProgressPublisher.
import type { APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult } from 'aws-lambda';
import { DynamoDbProgressConnections } from '@tributary/shared/adapters/dynamodb-progress-connections';
import { createAdapters, dynamoDbClient } from '@tributary/shared/config/adapters';
import { ConfigError, loadFunctionConfig } from '@tributary/shared/config/config';
import { UserDirectory } from '@tributary/shared/identity/user-directory';
import { createTracer, traced } from '@tributary/shared/observability/tracing';
import { makeConnectionHandlers, makeProgressAuthorizer, type WebSocketConnectionEvent } from './progress-handlers';

const config = loadFunctionConfig('progress');
if (config.progress.kind !== 'api-gateway')
  throw new ConfigError(
    'TRIBUTARY_PROGRESS_CALLBACK_URL',
    'is missing (the WebSocket API functions need it and TRIBUTARY_PROGRESS_CONNECTIONS_TABLE)',
  );
const { connectionsTable } = config.progress;
// the three handlers share this module: the DynamoDB client is made by $connect or $disconnect, not the authorizer
type ConnectionHandlers = ReturnType<typeof makeConnectionHandlers>;
let handlers: ConnectionHandlers | undefined;
const connectionHandlers = () =>
  (handlers ??= makeConnectionHandlers(
    new DynamoDbProgressConnections(dynamoDbClient(config.keyValue), connectionsTable),
  ));
const tracer = createTracer(config);
// only the authorizer reads PostgreSQL and Cognito: its adapters are built on its first event
let authorize: ReturnType<typeof makeProgressAuthorizer> | undefined;

export const authorizeHandler = traced(
  tracer,
  (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    if (!authorize) {
      const adapters = createAdapters(config);
      authorize = makeProgressAuthorizer({
        db: adapters.db,
        verifier: adapters.verifier,
        users: new UserDirectory(adapters.db, adapters.identity),
      });
    }
    return authorize(event);
  },
);
export const connectHandler = traced(tracer, (event: WebSocketConnectionEvent) => connectionHandlers().connect(event));
export const disconnectHandler = traced(tracer, (event: WebSocketConnectionEvent) =>
  connectionHandlers().disconnect(event),
);
