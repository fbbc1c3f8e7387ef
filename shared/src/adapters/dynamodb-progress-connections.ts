// The WebSocket connections of live progress, in their own DynamoDB table (partition key pk, sort key sk,
// TTL on expiresAt; API Gateway closes a connection after 2 hours at most):
//   pk "org#<organizationId>"  sk "conn#<connectionId>"   one item per organization the user belongs to
//   pk "conn#<connectionId>"   sk "orgs"                  which organizations it was registered under
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BatchWriteCommandInput, BatchWriteCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsSdk } from './aws-sdk';

export const CONNECTION_TTL_SECONDS = 3 * 60 * 60;

export class DynamoDbProgressConnections {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.doc = awsSdk.dynamoDbDocument().DynamoDBDocumentClient.from(client);
  }

  async add(connectionId: string, organizationIds: readonly string[]): Promise<void> {
    const expiresAt = Math.floor(this.nowMs() / 1000) + CONNECTION_TTL_SECONDS;
    const items = [
      { pk: `conn#${connectionId}`, sk: 'orgs', organizationIds: [...organizationIds], expiresAt },
      ...organizationIds.map((org) => ({ pk: `org#${org}`, sk: `conn#${connectionId}`, connectionId, expiresAt })),
    ];
    for (let i = 0; i < items.length; i += 25) {
      let pending: NonNullable<BatchWriteCommandInput['RequestItems']>[string] | undefined = items
        .slice(i, i + 25)
        .map((Item) => ({ PutRequest: { Item } }));
      while (pending?.length) {
        const r: BatchWriteCommandOutput = await this.doc.send(
          new (awsSdk.dynamoDbDocument().BatchWriteCommand)({ RequestItems: { [this.table]: pending } }),
        );
        pending = r.UnprocessedItems?.[this.table];
      }
    }
  }

  /** live connection ids registered under an organization */
  async list(organizationId: string): Promise<string[]> {
    const now = Math.floor(this.nowMs() / 1000);
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(
        new (awsSdk.dynamoDbDocument().QueryCommand)({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `org#${organizationId}` },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const item of r.Items ?? []) if (Number(item.expiresAt) > now) ids.push(String(item.connectionId));
      start = r.LastEvaluatedKey;
    } while (start);
    return ids;
  }

  /** forgets a connection under every organization it was registered with */
  async remove(connectionId: string): Promise<void> {
    const r = await this.doc.send(
      new (awsSdk.dynamoDbDocument().GetCommand)({
        TableName: this.table,
        Key: { pk: `conn#${connectionId}`, sk: 'orgs' },
        ConsistentRead: true,
      }),
    );
    const orgs = (r.Item?.organizationIds as string[] | undefined) ?? [];
    for (const org of orgs)
      await this.doc.send(
        new (awsSdk.dynamoDbDocument().DeleteCommand)({
          TableName: this.table,
          Key: { pk: `org#${org}`, sk: `conn#${connectionId}` },
        }),
      );
    await this.doc.send(
      new (awsSdk.dynamoDbDocument().DeleteCommand)({
        TableName: this.table,
        Key: { pk: `conn#${connectionId}`, sk: 'orgs' },
      }),
    );
  }
}
