// The API Gateway WebSocket API's handlers as factories over their dependencies (progress.lambda.ts binds
// them to the composition root): the $connect authorizer, $connect and $disconnect.
import type { APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult } from 'aws-lambda';
import type { DynamoDbProgressConnections } from '@tributary/shared/adapters/dynamodb-progress-connections';
import {
  authorizeSubscriber,
  ProgressAuthError,
  PROGRESS_SUBPROTOCOL,
  tokenFromHandshake,
  type ProgressAuthDeps,
} from './progress-auth';

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
    const token = tokenFromHandshake(
      header(event.headers, 'Sec-WebSocket-Protocol'),
      (event.queryStringParameters ?? {}) as Record<string, string | undefined>,
    );
    try {
      const subscriber = await authorizeSubscriber(deps, token);
      return {
        principalId: subscriber.userId,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
        },
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
      const orgs = String(event.requestContext.authorizer?.organizationIds ?? '')
        .split(',')
        .filter(Boolean);
      if (orgs.length === 0) return { statusCode: 403, body: '' };
      await connections.add(event.requestContext.connectionId, orgs);
      const offered = (header(event.headers, 'Sec-WebSocket-Protocol') ?? '').split(',').map((p) => p.trim());
      // a browser that offered subprotocols closes the connection unless the server picks one of them
      return {
        statusCode: 200,
        headers: offered.includes(PROGRESS_SUBPROTOCOL) ? { 'Sec-WebSocket-Protocol': PROGRESS_SUBPROTOCOL } : {},
        body: '',
      };
    },
    disconnect: async (event: WebSocketConnectionEvent): Promise<APIGatewayProxyResult> => {
      await connections.remove(event.requestContext.connectionId);
      return { statusCode: 200, body: '' };
    },
  };
}
