// bench/remote-services-process.ts in a child process (the Google sandbox and s3rver, as they run on other
// machines in production): for the reliability suites, which drive the pipeline as the pipeline bench does.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface RemoteServices {
  sandboxUrl: string;
  demoRefreshToken: string;
  s3Endpoint: string;
  stop(): Promise<void>;
}

export async function startRemoteServices(options: {
  today: string;
  s3Dir: string;
  rawBucket: string;
  adGroups?: number;
  ads?: number;
}): Promise<RemoteServices> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(path.dirname(fileURLToPath(import.meta.url)), 'remote-services-process.ts')],
    {
      env: {
        ...process.env,
        BENCH_TODAY: options.today,
        BENCH_AD_GROUPS: String(options.adGroups ?? 2),
        BENCH_ADS: String(options.ads ?? 2),
        BENCH_S3_DIR: options.s3Dir,
        BENCH_RAW_BUCKET: options.rawBucket,
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('the remote services process exited');
  const info = JSON.parse(first.value) as Omit<RemoteServices, 'stop'>;
  return {
    ...info,
    stop: async () => {
      child.stdin.end('stop\n');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
