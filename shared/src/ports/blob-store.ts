// Object storage (S3 in AWS, s3rver locally): raw page archive and long-term fact archive.
import type { Readable } from 'node:stream';

export interface BlobStore {
  put(
    bucket: string,
    key: string,
    body: Buffer | Uint8Array | string | Readable,
    options?: { contentType?: string; contentEncoding?: string; metadata?: Record<string, string> },
  ): Promise<void>;
  get(bucket: string, key: string): Promise<Buffer>;
  /** null when the object does not exist */
  head(bucket: string, key: string): Promise<{ size: number; metadata: Record<string, string> } | null>;
  list(bucket: string, prefix: string): Promise<string[]>;
  delete(bucket: string, key: string): Promise<void>;
  /**
   * Deletes every object under `prefix`, every version and delete marker of each where the bucket keeps
   * versions, so nothing of it can be restored. Returns how many versions (or objects) went.
   */
  purgePrefix(bucket: string, prefix: string): Promise<number>;
}
