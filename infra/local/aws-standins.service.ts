// The local stand-ins for S3 (s3rver) and DynamoDB (dynalite), with data under .tributary/ kept across
// restarts. They publish the endpoints the shared Config reads (TRIBUTARY_S3_ENDPOINT, ...).
import path from 'node:path';
import { startDynalite } from '@tributary/shared/local/dynalite';
import { startS3rver } from '@tributary/shared/local/s3rver';
import type { LocalService } from './runner';
import { loadLocalRunnerSettings } from '@tributary/shared/config/config';

export const LOCAL_S3_PORT = 4569;
export const LOCAL_DYNAMODB_PORT = 4567;
const BUCKETS = { archive: 'tributary-archive', raw: 'tributary-raw' };
const KV_TABLE = 'tributary-kv';

export const s3Service: LocalService = {
  name: 's3rver',
  async start(ctx) {
    const s3 = await startS3rver({
      port: loadLocalRunnerSettings().ports.s3 ?? LOCAL_S3_PORT,
      directory: path.join(ctx.homeDir, 's3'),
      buckets: Object.values(BUCKETS),
    });
    ctx.log('s3rver', `S3 on ${s3.endpoint}, buckets ${Object.values(BUCKETS).join(', ')}`);
    return {
      publish: { s3: { endpoint: s3.endpoint, buckets: BUCKETS } },
      env: {
        TRIBUTARY_S3_ENDPOINT: s3.endpoint,
        TRIBUTARY_ARCHIVE_BUCKET: BUCKETS.archive,
        TRIBUTARY_RAW_BUCKET: BUCKETS.raw,
      },
      stop: s3.stop,
    };
  },
};

export const dynamoDbService: LocalService = {
  name: 'dynalite',
  async start(ctx) {
    const ddb = await startDynalite({
      port: loadLocalRunnerSettings().ports.dynamodb ?? LOCAL_DYNAMODB_PORT,
      path: path.join(ctx.homeDir, 'dynamodb'),
      tables: [KV_TABLE],
    });
    ctx.log('dynalite', `DynamoDB on ${ddb.endpoint}, table ${KV_TABLE}`);
    return {
      publish: { dynamodb: { endpoint: ddb.endpoint, table: KV_TABLE } },
      env: { TRIBUTARY_DYNAMODB_ENDPOINT: ddb.endpoint, TRIBUTARY_KV_TABLE: KV_TABLE },
      stop: ddb.stop,
    };
  },
};
