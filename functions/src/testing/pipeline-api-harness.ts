// The API harness for tests that extract: the platforms at the given sandbox URLs, an S3 stand-in in a temp dir
// (the in-process pipeline archives each raw page before it loads it), and polling of a run until it ends.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startS3rver, type S3rverHandle } from '@tributary/shared/local/s3rver';
import * as dsR from '../data-sources/data-source.routes';
import { startApiHarness, type ApiHarness } from './api-harness';

export interface PipelineApiHarness {
  h: ApiHarness;
  s3: S3rverHandle;
  stop(): Promise<void>;
}

/** `platformUrls` maps a platform to its sandbox; `tmpPrefix` names the S3 stand-in's temp dir. */
export async function startPipelineApiHarness(
  platformUrls: Record<string, string>,
  tmpPrefix: string,
): Promise<PipelineApiHarness> {
  const s3Dir = await mkdtemp(path.join(os.tmpdir(), tmpPrefix));
  let s3: S3rverHandle | undefined;
  try {
    s3 = await startS3rver({
      port: await freePort(),
      directory: s3Dir,
      buckets: ['tributary-archive', 'tributary-raw'],
    });
    const h = await startApiHarness({
      TRIBUTARY_PLATFORM_BASE_URLS: JSON.stringify(platformUrls),
      TRIBUTARY_S3_ENDPOINT: s3.endpoint,
    });
    const started = s3;
    return {
      h,
      s3,
      async stop() {
        await h.stop();
        await started.stop();
        await rm(s3Dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await s3?.stop();
    await rm(s3Dir, { recursive: true, force: true });
    throw err;
  }
}

export interface JobStatus {
  id: string;
  status: string;
  rows_inserted: number;
  error_message: string | null;
}

/** Polls the data source's status (as a script would) until the job has ended; throws if it never does. */
export async function waitForJob(
  h: ApiHarness,
  token: string,
  params: { project_id: string; source_id: string },
  jobId: string,
): Promise<JobStatus> {
  for (let i = 0; i < 600; i++) {
    const status = await h.call(dsR.dataSourceStatusRoute, { token, params });
    const job = (status.body as { jobs: JobStatus[] }).jobs.find((j) => j.id === jobId);
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`run ${jobId} did not end`);
}
