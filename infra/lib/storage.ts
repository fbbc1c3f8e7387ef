// The two S3 buckets:
//  - archive: facts past the archive window, written once by the retention job and read back only by a
//    restore. Versioned (an overwrite or delete can be undone) and moved to Glacier Instant Retrieval as it ages:
//    colder than Standard, yet still readable in milliseconds, so a restore never waits for a thaw.
//  - raw pages: each platform response as the worker received it (gzipped NDJSON), kept for replays and
//    audits, then expired.
// Both: encrypted with the customer-managed key (bucket keys on, so KMS is called once per object batch,
// not per object), no public access, TLS only.
import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  StorageClass,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from './environments';

export interface StorageProps {
  settings: EnvironmentSettings;
  key: IKey;
}

export class Storage extends Construct {
  readonly archiveBucket: IBucket;
  readonly rawPageBucket: IBucket;

  constructor(scope: Construct, id: string, { settings, key }: StorageProps) {
    super(scope, id);
    const { storage } = settings;
    const common = {
      encryption: BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: storage.removalPolicy,
      autoDeleteObjects: storage.autoDeleteObjects,
    } as const;

    this.archiveBucket = new Bucket(this, 'ArchiveBucket', {
      ...common,
      versioned: true,
      lifecycleRules: [
        {
          id: 'archive-to-colder-storage',
          transitions: [
            {
              storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: storage.archiveToColdStorageAfter,
            },
          ],
          noncurrentVersionExpiration: storage.archiveNoncurrentVersionRetention,
          abortIncompleteMultipartUploadAfter: Duration.days(2),
        },
      ],
    });

    this.rawPageBucket = new Bucket(this, 'RawPageBucket', {
      ...common,
      lifecycleRules: [
        {
          id: 'expire-raw-pages',
          expiration: storage.rawPageRetention,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }
}
