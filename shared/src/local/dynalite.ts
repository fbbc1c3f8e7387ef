// dynalite: DynamoDB's API on loopback, persisted in LevelDB under .tributary/. Used by the local runner
// and by tests; creates the key-value table the way infra/ does (partition key pk, TTL on expiresAt).
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { Server } from 'node:http';
import { assertPortFree } from './embedded-postgres';

import { LOCAL_AWS_CREDENTIALS } from './stand-in-credentials';
export { LOCAL_AWS_CREDENTIALS };

export interface DynaliteHandle {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startDynalite(opts: { port: number; path?: string; tables: string[] }): Promise<DynaliteHandle> {
  await assertPortFree(opts.port, 'dynalite (local DynamoDB)');
  const server: Server = dynalite({ path: opts.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${opts.port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_AWS_CREDENTIALS });
  for (const table of opts.tables) await ensureKeyValueTable(client, table);
  client.destroy();
  return { endpoint, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function ensureKeyValueTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException || (err as Error).name === 'ResourceNotFoundException')) throw err;
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
}
