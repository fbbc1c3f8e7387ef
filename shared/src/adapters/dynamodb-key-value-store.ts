// KeyValueStore on DynamoDB (dynalite locally): one table, partition key `pk`, value under `v`, expiry in
// `expiresAt` (epoch seconds, the table's TTL attribute). DynamoDB deletes expired items lazily (up to days
// later; dynalite never), so every read also treats an expired item as absent.
import type { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { KeyValueStore } from '../ports/key-value-store';
import { awsSdk } from './aws-sdk';

interface Item {
  pk: string;
  v?: Record<string, unknown>;
  n?: number;
  expiresAt?: number;
}

export class DynamoDbKeyValueStore implements KeyValueStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.doc = awsSdk
      .dynamoDbDocument()
      .DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  private nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  private live(item: Item | undefined): Item | null {
    if (!item) return null;
    if (item.expiresAt !== undefined && item.expiresAt <= this.nowSeconds()) return null;
    return item;
  }

  async get<T>(key: string): Promise<T | null> {
    const res = await this.doc.send(
      new (awsSdk.dynamoDbDocument().GetCommand)({ TableName: this.table, Key: { pk: key }, ConsistentRead: true }),
    );
    return (this.live(res.Item as Item | undefined)?.v as T | undefined) ?? null;
  }

  /** BatchGetItem, 100 keys a request (its limit); keys DynamoDB leaves unprocessed are asked again. */
  async getCounters(keys: readonly string[]): Promise<number[]> {
    const found = new Map<string, number>();
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += 100) {
      let request:
        | Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: boolean; ProjectionExpression: string }>
        | undefined = {
        [this.table]: {
          Keys: unique.slice(i, i + 100).map((pk) => ({ pk })),
          ConsistentRead: true,
          ProjectionExpression: 'pk, n, expiresAt',
        },
      };
      for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        const res: BatchGetCommandOutput = await this.doc.send(
          new (awsSdk.dynamoDbDocument().BatchGetCommand)({ RequestItems: request }),
        );
        for (const item of (res.Responses?.[this.table] ?? []) as Item[]) {
          const live = this.live(item);
          if (live) found.set(live.pk, Number(live.n ?? 0));
        }
        request = res.UnprocessedKeys as typeof request;
      }
    }
    return keys.map((key) => found.get(key) ?? 0);
  }

  async put(
    key: string,
    value: Record<string, unknown>,
    options: { ttlSeconds?: number; onlyIfAbsent?: boolean } = {},
  ): Promise<boolean> {
    const item: Item = {
      pk: key,
      v: value,
      ...(options.ttlSeconds ? { expiresAt: this.nowSeconds() + options.ttlSeconds } : {}),
    };
    try {
      await this.doc.send(
        new (awsSdk.dynamoDbDocument().PutCommand)({
          TableName: this.table,
          Item: item,
          ...(options.onlyIfAbsent
            ? {
                ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
                ExpressionAttributeValues: { ':now': this.nowSeconds() },
              }
            : {}),
        }),
      );
      return true;
    } catch (err) {
      if (
        err instanceof awsSdk.dynamoDb().ConditionalCheckFailedException ||
        (err as Error).name === 'ConditionalCheckFailedException'
      )
        return false;
      throw err;
    }
  }

  async take<T>(key: string): Promise<T | null> {
    const res = await this.doc.send(
      new (awsSdk.dynamoDbDocument().DeleteCommand)({
        TableName: this.table,
        Key: { pk: key },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return (this.live(res.Attributes as Item | undefined)?.v as T | undefined) ?? null;
  }

  async delete(key: string): Promise<void> {
    await this.doc.send(new (awsSdk.dynamoDbDocument().DeleteCommand)({ TableName: this.table, Key: { pk: key } }));
  }

  async increment(key: string, by: number, options: { ttlSeconds?: number } = {}): Promise<number> {
    const now = this.nowSeconds();
    const expiresAt = options.ttlSeconds ? now + options.ttlSeconds : undefined;
    try {
      // add to a live counter (or create one); an expired one fails the condition and is restarted below
      const res = await this.doc.send(
        new (awsSdk.dynamoDbDocument().UpdateCommand)({
          TableName: this.table,
          Key: { pk: key },
          UpdateExpression: expiresAt ? 'ADD n :by SET expiresAt = if_not_exists(expiresAt, :exp)' : 'ADD n :by',
          ConditionExpression: 'attribute_not_exists(pk) OR attribute_not_exists(expiresAt) OR expiresAt > :now',
          ExpressionAttributeValues: { ':by': by, ':now': now, ...(expiresAt ? { ':exp': expiresAt } : {}) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(res.Attributes?.n ?? by);
    } catch (err) {
      if (!(
        err instanceof awsSdk.dynamoDb().ConditionalCheckFailedException ||
        (err as Error).name === 'ConditionalCheckFailedException'
      ))
        throw err;
      await this.doc.send(
        new (awsSdk.dynamoDbDocument().PutCommand)({
          TableName: this.table,
          Item: { pk: key, n: by, ...(expiresAt ? { expiresAt } : {}) },
        }),
      );
      return by;
    }
  }
}
