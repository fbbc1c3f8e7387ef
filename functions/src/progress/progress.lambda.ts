// Live progress in AWS: the API Gateway WebSocket API's Lambdas. The $connect authorizer verifies the
// Cognito access token (aws-jwt-verify, through the verifier of the composition root) and resolves the
// user's organizations; $connect registers the connection under each of them in the connections table;
// $disconnect forgets it. The pipeline posts through ApiGatewayProgressPublisher.
import type { APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult } from 'aws-lambda';
import { DynamoDbProgressConnections } from '@tributary/shared/adapters/dynamodb-progress-connections';
import { createAdapters, dynamoDbClient } from '@tributary/shared/config/adapters';
import { ConfigError, loadConfig } from '@tributary/shared/config/config';
import { UserDirectory } from '@tributary/shared/identity/user-directory';
import { authorizeSubscriber, ProgressAuthError, PROGRESS_SUBPROTOCOL, tokenFromHandshake, type ProgressAuthDeps } from './progress-auth';

/** The WebSocket event of $connect / $disconnect: the fields these handlers read. */
export interface WebSocketConnectionEvent {
  headers?: Record<string, string | undefined> | null;
  requestContext: { connectionId: string; authorizer?: Record<string, unknown> | null };
}

function header(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? headers![key] : undefined;
}

export function makeProgressAuthorizer(deps: ProgressAuthDeps) {
  return async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
    const token = tokenFromHandshake(header(event.headers, 'Sec-WebSocket-Protocol'), (event.queryStringParameters ?? {}) as Record<string, string | undefined>);
    try {
      const subscriber = await authorizeSubscriber(deps, token);
      return {
        principalId: subscriber.userId,
        policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
        context: { userId: subscriber.userId, organizationIds: subscriber.organizationIds.join(',') },
      };
    } catch (err) {
      // API Gateway answers 401 to exactly this error
      if (err instanceof ProgressAuthError) throw new Error('Unauthorized');
      throw err;
    }
  };
}

export function makeConnectionHandlers(connections: Pick<DynamoDbProgressConnections, 'add' | 'remove'>) {
  return {
    connect: async (event: WebSocketConnectionEvent): Promise<APIGatewayProxyResult> => {
      const orgs = String(event.requestContext.authorizer?.organizationIds ?? '').split(',').filter(Boolean);
      if (orgs.length === 0) return { statusCode: 403, body: '' };
      await connections.add(event.requestContext.connectionId, orgs);
      const offered = (header(event.headers, 'Sec-WebSocket-Protocol') ?? '').split(',').map((p) => p.trim());
      // a browser that offered subprotocols closes the connection unless the server picks one of them
      return { statusCode: 200, headers: offered.includes(PROGRESS_SUBPROTOCOL) ? { 'Sec-WebSocket-Protocol': PROGRESS_SUBPROTOCOL } : {}, body: '' };
    },
    disconnect: async (event: WebSocketConnectionEvent): Promise<APIGatewayProxyResult> => {
      await connections.remove(event.requestContext.connectionId);
      return { statusCode: 200, body: '' };
    },
  };
}

const config = loadConfig();
if (config.progress.kind !== 'api-gateway') throw new ConfigError('TRIBUTARY_PROGRESS_CALLBACK_URL', 'is missing (the WebSocket API functions need it and TRIBUTARY_PROGRESS_CONNECTIONS_TABLE)');
const handlers = makeConnectionHandlers(new DynamoDbProgressConnections(dynamoDbClient(config.keyValue), config.progress.connectionsTable));
// only the authorizer reads PostgreSQL and Cognito: its adapters are built on its first event
let authorize: ReturnType<typeof makeProgressAuthorizer> | undefined;

export const authorizeHandler = (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  if (!authorize) {
    const adapters = createAdapters(config);
    authorize = makeProgressAuthorizer({ db: adapters.db, verifier: adapters.verifier, users: new UserDirectory(adapters.db, adapters.identity) });
  }
  return authorize(event);
};
export const connectHandler = handlers.connect;
export const disconnectHandler = handlers.disconnect;
