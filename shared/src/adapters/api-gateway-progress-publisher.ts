// ProgressPublisher in AWS: posts each event (progress-message.ts) to every WebSocket connection registered
// under its organization, through the API Gateway Management API; a connection that is gone (410) is
// forgotten. Best effort: a failed post never fails the run that published.
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ProgressEvent, ProgressPublisher } from '../ports/progress-events';
import type { DynamoDbProgressConnections } from './dynamodb-progress-connections';
import { toProgressMessage } from './progress-message';
import { awsSdk } from './aws-sdk';

export class ApiGatewayProgressPublisher implements ProgressPublisher {
  constructor(
    private readonly api: ApiGatewayManagementApiClient,
    private readonly connections: Pick<DynamoDbProgressConnections, 'list' | 'remove'>,
  ) {}

  async publish(e: ProgressEvent): Promise<void> {
    let ids: string[];
    try {
      ids = await this.connections.list(e.organizationId);
    } catch {
      return;
    }
    const data = Buffer.from(JSON.stringify(toProgressMessage(e)));
    await Promise.all(
      ids.map(async (ConnectionId) => {
        try {
          await this.api.send(
            new (awsSdk.apiGatewayManagementApi().PostToConnectionCommand)({ ConnectionId, Data: data }),
          );
        } catch (err) {
          const gone =
            err instanceof awsSdk.apiGatewayManagementApi().GoneException ||
            (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;
          if (gone) await this.connections.remove(ConnectionId).catch(() => undefined);
        }
      }),
    );
  }
}
