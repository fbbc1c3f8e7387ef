// The composition root: the one place that turns a Config into implementations. It branches on what the
// config says to build (an endpoint, a store kind), never on "am I local?". Lambdas call
// createAdapters(loadConfig()) once at module scope; tests and the local runner pass their own Config.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { Config, KeyValueConfig, ObjectStoreConfig } from './config';
import { createDatabase, type Database } from '../db/database';
import { DynamoDbKeyValueStore } from '../adapters/dynamodb-key-value-store';
import { S3BlobStore } from '../adapters/s3-blob-store';
import type { BlobStore } from '../ports/blob-store';
import type { KeyValueStore } from '../ports/key-value-store';
import { LOCAL_AWS_CREDENTIALS } from '../local/dynalite';
import { S3RVER_CREDENTIALS } from '../local/s3rver';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface Adapters {
  config: Config;
  db: Database;
  kv: KeyValueStore;
  blobs: BlobStore;
  clock: Clock;
  /** releases pools and clients (tests, the local runner's shutdown) */
  close(): Promise<void>;
}

export function s3Client(config: ObjectStoreConfig): S3Client {
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    // a configured endpoint is a stand-in (s3rver) that accepts only its own fixed credentials
    ...(config.endpoint ? { endpoint: config.endpoint, credentials: S3RVER_CREDENTIALS } : {}),
  });
}

export function dynamoDbClient(config: KeyValueConfig): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint, credentials: LOCAL_AWS_CREDENTIALS } : {}),
  });
}

export function createAdapters(config: Config): Adapters {
  const db = createDatabase(config.database);
  const s3 = s3Client(config.objectStore);
  const ddb = dynamoDbClient(config.keyValue);
  return {
    config,
    db,
    kv: new DynamoDbKeyValueStore(ddb, config.keyValue.table),
    blobs: new S3BlobStore(s3),
    clock: systemClock,
    close: async () => {
      await db.close();
      s3.destroy();
      ddb.destroy();
    },
  };
}
