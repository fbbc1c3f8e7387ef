// Covers the DynamoDB key-value store and the S3 blob store through the real AWS SDK clients against the
// local stand-ins (dynalite, s3rver) that the runner uses, reached by the same adapters as in AWS.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoDbClient, s3Client } from '../config/adapters';
import { freePort } from '../local/embedded-postgres';
import { startDynalite, type DynaliteHandle } from '../local/dynalite';
import { startS3rver, type S3rverHandle } from '../local/s3rver';
import { DynamoDbKeyValueStore } from './dynamodb-key-value-store';
import { S3BlobStore } from './s3-blob-store';

let ddb: DynaliteHandle;
let s3: S3rverHandle;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-aws-'));
  ddb = await startDynalite({ port: await freePort(), tables: ['kv-test'] });
  s3 = await startS3rver({ port: await freePort(), directory: dir, buckets: ['b'] });
});
afterAll(async () => {
  await ddb.stop();
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('DynamoDbKeyValueStore', () => {
  let now = 1_700_000_000_000;
  const kv = () =>
    new DynamoDbKeyValueStore(
      dynamoDbClient({ kind: 'dynamodb', region: 'us-east-1', endpoint: ddb.endpoint, table: 'kv-test' }),
      'kv-test',
      () => now,
    );

  it('when a value is put, get returns it and take returns it once', async () => {
    const store = kv();
    await store.put('oauth:abc', { verifier: 'v1' }, { ttlSeconds: 600 });
    expect(await store.get('oauth:abc')).toEqual({ verifier: 'v1' });
    expect(await store.take('oauth:abc')).toEqual({ verifier: 'v1' });
    expect(await store.take('oauth:abc')).toBeNull();
  });

  it('when a record has expired, reads treat it as absent and onlyIfAbsent may replace it', async () => {
    const store = kv();
    expect(await store.put('lock', { owner: 'a' }, { ttlSeconds: 10, onlyIfAbsent: true })).toBe(true);
    expect(await store.put('lock', { owner: 'b' }, { ttlSeconds: 10, onlyIfAbsent: true })).toBe(false);
    now += 11_000;
    expect(await store.get('lock')).toBeNull();
    expect(await store.put('lock', { owner: 'b' }, { ttlSeconds: 10, onlyIfAbsent: true })).toBe(true);
    expect(await store.get('lock')).toEqual({ owner: 'b' });
  });

  it('when a counter is incremented concurrently, no increment is lost, and it restarts after expiry', async () => {
    const store = kv();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.increment('rl:x', 1, { ttlSeconds: 60 })));
    expect(Math.max(...results)).toBe(20);
    expect(new Set(results).size).toBe(20);
    now += 61_000;
    expect(await store.increment('rl:x', 1, { ttlSeconds: 60 })).toBe(1);
  });

  it('when counters are read in a batch (more than one request holds), each shows its live count in order, 0 when absent or expired', async () => {
    const store = kv();
    const keys = Array.from({ length: 130 }, (_, i) => `rl:batch:${i}`);
    expect(await store.getCounters(keys.slice(0, 3))).toEqual([0, 0, 0]);
    expect(await store.increment(keys[0]!, 1, { ttlSeconds: 5 })).toBe(1); // the read did not create it
    await store.increment(keys[0]!, -1, { ttlSeconds: 5 });
    await store.increment(keys[0]!, 3, { ttlSeconds: 5 });
    await store.increment(keys[120]!, 2, { ttlSeconds: 60 });
    const counts = await store.getCounters([...keys, keys[0]!]);
    expect(counts.length).toBe(131);
    expect([counts[0], counts[120], counts[130], counts.filter((n) => n === 0).length]).toEqual([3, 2, 3, 128]);
    now += 6_000;
    expect(await store.getCounters([keys[0]!, keys[120]!])).toEqual([0, 2]);
  });
});

describe('S3BlobStore', () => {
  const store = () =>
    new S3BlobStore(
      s3Client({
        kind: 's3',
        region: 'us-east-1',
        endpoint: s3.endpoint,
        forcePathStyle: true,
        archiveBucket: 'b',
        rawBucket: 'b',
      }),
    );

  it('when objects are put (buffer or stream), get, head and list see them, and delete removes them', async () => {
    const blobs = store();
    await blobs.put('b', 'org/p/one.ndjson.gz', Buffer.from('hello'), {
      contentType: 'application/x-ndjson',
      metadata: { rows: '1' },
    });
    await blobs.put('b', 'org/p/two', Readable.from([Buffer.from('str'), Buffer.from('eam')]));
    expect((await blobs.get('b', 'org/p/one.ndjson.gz')).toString()).toBe('hello');
    expect((await blobs.get('b', 'org/p/two')).toString()).toBe('stream');
    expect(await blobs.head('b', 'org/p/one.ndjson.gz')).toEqual({ size: 5, metadata: { rows: '1' } });
    expect((await blobs.list('b', 'org/p/')).sort()).toEqual(['org/p/one.ndjson.gz', 'org/p/two']);
    await blobs.delete('b', 'org/p/two');
    expect(await blobs.head('b', 'org/p/two')).toBeNull();
  });
});
