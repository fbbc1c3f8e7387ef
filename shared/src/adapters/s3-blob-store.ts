// BlobStore on S3 (s3rver locally, reached through the same client with an endpoint and path-style URLs).
import type { NotFound, ObjectIdentifier, S3Client } from '@aws-sdk/client-s3';
import type { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../ports/blob-store';
import { awsSdk } from './aws-sdk';

export class S3BlobStore implements BlobStore {
  constructor(private readonly s3: S3Client) {}

  async put(
    bucket: string,
    key: string,
    body: Buffer | Uint8Array | string | Readable,
    options: { contentType?: string; contentEncoding?: string; metadata?: Record<string, string> } = {},
  ): Promise<void> {
    // Upload streams in parts, so a large archive file never has to sit in memory whole
    await new (awsSdk.s3Storage().Upload)({
      client: this.s3,
      params: {
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        ContentEncoding: options.contentEncoding,
        Metadata: options.metadata,
      },
    }).done();
  }

  async get(bucket: string, key: string): Promise<Buffer> {
    const res = await this.s3.send(new (awsSdk.s3().GetObjectCommand)({ Bucket: bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  async head(bucket: string, key: string): Promise<{ size: number; metadata: Record<string, string> } | null> {
    try {
      const res = await this.s3.send(new (awsSdk.s3().HeadObjectCommand)({ Bucket: bucket, Key: key }));
      return { size: res.ContentLength ?? 0, metadata: res.Metadata ?? {} };
    } catch (err) {
      if (
        err instanceof awsSdk.s3().NotFound ||
        (err as { name?: string }).name === 'NotFound' ||
        (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
      )
        return null;
      throw err;
    }
  }

  async list(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.s3.send(
        new (awsSdk.s3().ListObjectsV2Command)({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async delete(bucket: string, key: string): Promise<void> {
    await this.s3.send(new (awsSdk.s3().DeleteObjectCommand)({ Bucket: bucket, Key: key }));
  }

  async purgePrefix(bucket: string, prefix: string): Promise<number> {
    let versions: ObjectIdentifier[];
    try {
      versions = await this.listVersions(bucket, prefix);
    } catch (error) {
      // a store that keeps no versions (s3rver) does not know ListObjectVersions: its objects are all there is
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 405 && status !== 501 && (error as { name?: string }).name !== 'NotImplemented') throw error;
      const keys = await this.list(bucket, prefix);
      for (const key of keys) await this.delete(bucket, key);
      return keys.length;
    }
    // DeleteObjects takes up to 1,000 keys per call
    for (let i = 0; i < versions.length; i += 1000) {
      const out = await this.s3.send(
        new (awsSdk.s3().DeleteObjectsCommand)({
          Bucket: bucket,
          Delete: { Objects: versions.slice(i, i + 1000), Quiet: true },
        }),
      );
      if (out.Errors?.length)
        throw new Error(
          `S3 refused to delete ${out.Errors.length} object versions under ${prefix} (${out.Errors[0]?.Code ?? 'unknown'})`,
        );
    }
    return versions.length;
  }

  /** every version and delete marker under the prefix */
  private async listVersions(bucket: string, prefix: string): Promise<ObjectIdentifier[]> {
    const out: ObjectIdentifier[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    do {
      const res = await this.s3.send(
        new (awsSdk.s3().ListObjectVersionsCommand)({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          VersionIdMarker: versionIdMarker,
        }),
      );
      for (const v of [...(res.Versions ?? []), ...(res.DeleteMarkers ?? [])])
        if (v.Key) out.push({ Key: v.Key, ...(v.VersionId ? { VersionId: v.VersionId } : {}) });
      keyMarker = res.IsTruncated ? res.NextKeyMarker : undefined;
      versionIdMarker = res.IsTruncated ? res.NextVersionIdMarker : undefined;
    } while (keyMarker);
    return out;
  }
}
