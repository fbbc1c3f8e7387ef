// The in-process pipeline's deps as the state-machine tests set them up: an s3rver for raw pages, the local
// secret store under a temp dir, an in-memory rate budget, and retries, windows and concurrency cut short.
import path from 'node:path';
import type pg from 'pg';
import { MemoryLogger } from '@tributary/connectors/runtime/test-support';
import { getConnector } from '@tributary/connectors/registry';
import { LocalEnvelopeSecretStore } from '@tributary/shared/adapters/local-envelope-secret-store';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import { S3BlobStore } from '@tributary/shared/adapters/s3-blob-store';
import { s3Client } from '@tributary/shared/config/adapters';
import type { BlobStore } from '@tributary/shared/ports/blob-store';
import type { SecretStore } from '@tributary/shared/ports/secret-store';
import { seedDataSource, type SeededSource } from '@tributary/shared/testing/seed';
import type { PipelineDeps } from '../pipeline/pipeline-deps';

export const TEST_RAW_BUCKET = 'tributary-raw';

export function testPipelineDeps(
  options: Pick<PipelineDeps, 'db' | 'clock' | 'progress' | 'workflow' | 'connectorBaseUrls'> & {
    s3Endpoint: string;
    /** the temp dir that holds the secret store's master key and secrets */
    home: string;
  },
): PipelineDeps {
  const { s3Endpoint, home, ...given } = options;
  return {
    ...given,
    blobs: s3rverBlobs(s3Endpoint, { archiveBucket: 'a', rawBucket: TEST_RAW_BUCKET }),
    rawBucket: TEST_RAW_BUCKET,
    secrets: new LocalEnvelopeSecretStore({
      keyFile: path.join(home, 'master.key'),
      storeDir: path.join(home, 'secrets'),
    }),
    kv: new MemoryKeyValueStore(),
    logger: new MemoryLogger(),
    findConnector: getConnector,
    retry: { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 },
    maxInProcessRateLimitWaitMs: 0,
    initialHistoryDays: 30,
    windowChunkDays: 7,
    maxConcurrency: { google_ads: 3 },
    accountInfoMaxAgeHours: 24,
  };
}

/** The blob store the adapters build, on an s3rver stand-in. */
export function s3rverBlobs(endpoint: string, buckets: { archiveBucket: string; rawBucket: string }): BlobStore {
  return new S3BlobStore(s3Client({ kind: 's3', region: 'us-east-1', endpoint, forcePathStyle: true, ...buckets }));
}

/** A seeded data source whose credential's secret is in the pipeline's secret store, as the API would store it. */
export async function seedSourceWithSecret(
  admin: pg.ClientBase,
  adminUrl: string,
  secrets: SecretStore,
  credential: { platform: string; secretName: (credentialId: string) => string; secret: Record<string, unknown> },
): Promise<SeededSource> {
  const source = await seedDataSource(adminUrl, { platform: credential.platform });
  const ref = await secrets.create(credential.secretName(source.credentialId), credential.secret, {
    organizationId: source.organizationId,
    projectId: source.projectId,
    platform: credential.platform,
  });
  await admin.query(`UPDATE credentials SET secret_ref = $2, key_id = $3 WHERE id = $1`, [
    source.credentialId,
    ref.ref,
    ref.keyId,
  ]);
  return source;
}
