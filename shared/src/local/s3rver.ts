// s3rver: S3's API on loopback, objects kept as files under .tributary/s3. Used by the runner and tests.
import S3rver from 's3rver';
import { assertPortFree } from './embedded-postgres';

export { S3RVER_CREDENTIALS } from './stand-in-credentials';

export interface S3rverHandle {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startS3rver(opts: { port: number; directory: string; buckets: string[] }): Promise<S3rverHandle> {
  await assertPortFree(opts.port, 's3rver (local S3)');
  const server = new S3rver({
    port: opts.port,
    address: '127.0.0.1',
    directory: opts.directory,
    silent: true,
    configureBuckets: opts.buckets.map((name) => ({ name, configs: [] })),
  });
  await server.run();
  return { endpoint: `http://127.0.0.1:${opts.port}`, stop: () => server.close() };
}
