// Creating DynamoDB tables on a stand-in (dynalite) the way infra/ declares them: the local runner's and
// the rehearsal's set-up. In AWS, CloudFormation creates the tables; nothing at run time calls this.
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type AttributeDefinition,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from '../config/adapters';

export interface TableSpec {
  name: string;
  /** default: partition key `pk` (a string), as the key-value table */
  keySchema?: KeySchemaElement[];
  attributes?: AttributeDefinition[];
}

export async function ensureDynamoDbTables(endpoint: string, tables: readonly TableSpec[]): Promise<void> {
  const client = dynamoDbClient({
    kind: 'dynamodb',
    region: 'us-east-1',
    endpoint,
    table: tables[0]?.name ?? 'unused',
  });
  try {
    for (const table of tables) {
      try {
        await client.send(new DescribeTableCommand({ TableName: table.name }));
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException || (err as Error).name === 'ResourceNotFoundException'))
          throw err;
        await client.send(
          new CreateTableCommand({
            TableName: table.name,
            AttributeDefinitions: table.attributes ?? [{ AttributeName: 'pk', AttributeType: 'S' }],
            KeySchema: table.keySchema ?? [{ AttributeName: 'pk', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
      }
    }
  } finally {
    client.destroy();
  }
}
