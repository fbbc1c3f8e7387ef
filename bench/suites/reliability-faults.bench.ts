// Reliability figure (issue 20): extraction runs through the local state machine against the Google sandbox
// (another process) on a PostgreSQL of the suite's own, each hit by one fault at a seeded random point:
//   worker      the extract worker dies (Runtime.ExitError, what Lambda reports) after a page or after a load
//   connection  the loader's backend is terminated (pg_terminate_backend) in the middle of a load
//   postgres    the server itself stops and starts again
// A run that does not succeed is followed by the next run of its source (what the schedule does), with no
// fault. Then each source must equal the sandbox's truth day by day:
//  - duplicate rows (more rows, or more of a metric, than the truth): goal 0
//  - lost rows (fewer than the truth, after a run that reported success or after the next run): goal 0
//  - runs left `pending`/`running` once their execution ended (the finalize-on-failure path): goal 0
// A failure reproduces with BENCH_FAULTS_SEED. Scale: BENCH_FAULTS_RUNS (20), BENCH_FAULTS_DAYS (21);
// `--quick` runs 6.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SandboxControl } from '@tributary/connectors/sandboxes/base/sandbox-server';
import { GOOGLE_DEMO_CLIENT, GOOGLE_DEMO_DEVELOPER_TOKEN } from '@tributary/connectors/sandboxes/google/google-sandbox';
import { LocalEnvelopeSecretStore } from '@tributary/shared/adapters/local-envelope-secret-store';
import { LocalStepFunctionsRunner } from '@tributary/shared/adapters/local-step-functions-runner';
import {
  freePort,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from '@tributary/shared/local/embedded-postgres';
import { seedDataSource } from '@tributary/shared/testing/seed';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { attachPipeline } from '../../functions/src/pipeline/pipeline';
import type { PipelineDeps } from '../../functions/src/pipeline/pipeline-deps';
import { startExtractionRun } from '../../functions/src/pipeline/start-run';
import { sweepStaleRuns } from '../../functions/src/pipeline/stale-runs';
import { addDays } from '../../functions/src/pipeline/windows';
import { googlePipelineDeps } from '../google-pipeline-deps';
import type { BenchSuite } from '../harness';
import { startRemoteServices } from '../remote-services';
import { createScratchDb } from '../scratch-db';

const QUICK = process.argv.includes('--quick');
const RUNS = Number(process.env.BENCH_FAULTS_RUNS ?? (QUICK ? 6 : 20));
const DAYS = Number(process.env.BENCH_FAULTS_DAYS ?? 21);
const SEED = Number(process.env.BENCH_FAULTS_SEED ?? 2026);
const TODAY = '2026-11-23';
const ACCOUNT = '1234567890';
const RAW_BUCKET = 'tributary-raw';
const FAULTS = ['worker', 'connection', 'postgres'] as const;
type Fault = (typeof FAULTS)[number];

/** A seeded LCG: the same seed gives the same faults at the same points. */
function seeded(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

const suite: BenchSuite = {
  name: 'reliability-faults',
  async run({ log }) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-faults-'));
    const port = await freePort();
    // not under `dir`: as root, PostgreSQL runs as the postgres user, who must reach its data directory
    const pgDir = path.join(os.tmpdir(), `tributary-bench-faults-pg-${process.pid}`);
    let server: EmbeddedPostgresHandle | undefined = await startEmbeddedPostgres({ dataDir: pgDir, port });
    const serverAdminUrl = server.adminUrl;
    const scratch = await createScratchDb(serverAdminUrl, 'bench_faults');
    const remote = await startRemoteServices({ today: TODAY, s3Dir: path.join(dir, 's3'), rawBucket: RAW_BUCKET });
    /** a fresh superuser connection per question: the server goes away and comes back */
    const admin = async <T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> => {
      for (let attempt = 0; ; attempt++) {
        const c = new pg.Client({ connectionString: scratch.adminUrl });
        c.on('error', () => {});
        try {
          await c.connect();
          return (await c.query<T>(text, values)).rows;
        } catch (error) {
          if (attempt >= 40) throw error;
          await new Promise((r) => setTimeout(r, 250));
        } finally {
          await c.end().catch(() => {});
        }
      }
    };
    let restarting: Promise<void> | null = null;
    const restartPostgres = (downMs: number) => {
      restarting ??= (async () => {
        await server?.stop();
        server = undefined;
        await new Promise((r) => setTimeout(r, downMs));
        server = await startEmbeddedPostgres({ dataDir: pgDir, port });
      })().finally(() => (restarting = null));
      return restarting;
    };
    try {
      const secrets = new LocalEnvelopeSecretStore({
        keyFile: path.join(dir, 'master.key'),
        storeDir: path.join(dir, 'secrets'),
      });
      const runner = new LocalStepFunctionsRunner(EXTRACTION_DEFINITION);
      const deps: PipelineDeps = {
        ...googlePipelineDeps({
          db: scratch.db,
          rawBucket: RAW_BUCKET,
          secrets,
          workflow: runner,
          s3Endpoint: remote.s3Endpoint,
          sandboxUrl: remote.sandboxUrl,
          today: TODAY,
        }),
        windowChunkDays: 7,
      };
      attachPipeline(deps);
      const start = addDays(TODAY, -(DAYS - 1));
      const control = new SandboxControl(remote.sandboxUrl);
      const truth = (
        await control.truth<{ groups: Record<string, Record<string, string>> }>({
          api: 'google_ads',
          account: ACCOUNT,
          from: start,
          to: TODAY,
          groupBy: 'date',
        })
      ).groups;
      const truthRows = Object.values(truth).reduce((n, t) => n + Number(t.campaignDays), 0);

      /** rows of the source against the truth: extra (duplicates, or a metric counted twice) and missing */
      const compare = async (dataSourceId: string) => {
        const days = await admin<{ day: string; rows: number; campaigns: number; clicks: string; cost: string }>(
          `SELECT data_date::text AS day, count(*)::int AS rows, count(DISTINCT campaign_id)::int AS campaigns, sum(clicks)::text AS clicks, sum(cost)::text AS cost FROM extracted_data WHERE data_source_id = $1 GROUP BY 1`,
          [dataSourceId],
        );
        const got = new Map(days.map((d) => [d.day, d]));
        let extra = 0;
        let missing = 0;
        for (const [day, t] of Object.entries(truth)) {
          const want = Number(t.campaignDays);
          const d = got.get(day);
          const rows = d?.rows ?? 0;
          extra += Math.max(0, rows - want) + (d ? d.rows - d.campaigns : 0);
          missing += Math.max(0, want - rows);
          // same rows but different sums: a row loaded twice into one key, or one that lost its update
          if (
            d &&
            rows === want &&
            (d.clicks !== t.clicks || Number(d.cost).toFixed(6) !== Number(t.cost).toFixed(6))
          ) {
            if (Number(d.clicks) > Number(t.clicks)) extra++;
            else missing++;
          }
        }
        for (const day of got.keys()) if (!(day in truth)) extra += got.get(day)!.rows;
        return { extra, missing };
      };

      const random = seeded(SEED);
      let duplicates = 0;
      let lost = 0;
      let leftRunning = 0;
      let recoveries = 0;
      const outcomes: Record<string, number> = {};
      log(`faults: ${RUNS} runs of ${DAYS} days (seed ${SEED}), truth ${truthRows} campaign-days a run`);
      for (let i = 0; i < RUNS; i++) {
        const fault: Fault = FAULTS[Math.floor(random() * FAULTS.length)]!;
        // the fault fires at the k-th page or load of the run (1..4), or for postgres at a delay
        const at = 1 + Math.floor(random() * 4);
        const downMs = 300 + Math.floor(random() * 2500);
        const s = await seedDataSource(scratch.adminUrl, { platform: 'google_ads', name: `faults-${i}` });
        const ref = await secrets.create(
          `google-${s.credentialId}`,
          {
            refreshToken: remote.demoRefreshToken,
            clientId: GOOGLE_DEMO_CLIENT.clientId,
            clientSecret: GOOGLE_DEMO_CLIENT.clientSecret,
            developerToken: GOOGLE_DEMO_DEVELOPER_TOKEN,
          },
          { organizationId: s.organizationId, projectId: s.projectId, platform: 'google_ads' },
        );
        await admin(`UPDATE credentials SET secret_ref = $2, key_id = $3 WHERE id = $1`, [
          s.credentialId,
          ref.ref,
          ref.keyId,
        ]);
        await admin(`UPDATE data_sources SET extraction_config = $2 WHERE id = $1`, [
          s.dataSourceId,
          JSON.stringify({ account_id: ACCOUNT, report_types: ['campaign_daily'], start_date: start }),
        ]);

        let calls = 0;
        let fired = false;
        let terminated = 0;
        const strike = (point: string) => {
          fired = true;
          if (fault === 'worker') {
            const killed = new Error(`worker process exited at ${point}`);
            killed.name = 'Runtime.ExitError';
            throw killed;
          }
          if (fault === 'connection') {
            void admin<{ killed: boolean }>(
              `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE usename = 'tributary_bench' AND pid <> pg_backend_pid() AND state <> 'idle'`,
            ).then(
              (rows) => (terminated += rows.filter((r) => r.killed).length),
              () => {},
            );
          } else void restartPostgres(downMs);
        };
        deps.interrupt = (point) => {
          if (!fired && ++calls >= at) strike(point);
        };
        let job: { id: string; status: string } | undefined;
        let outcome = 'NOT_STARTED';
        try {
          const started = await startExtractionRun(deps, {
            dataSourceId: s.dataSourceId,
            organizationId: s.organizationId,
            trigger: 'manual',
          });
          // a fault that never fired (fewer pages than `at`) fires once the run is under way
          const late = setTimeout(
            () => {
              if (!fired && fault !== 'worker') strike('late');
            },
            100 + Math.floor(random() * 300),
          );
          outcome = (await runner.settled(started.executionId)).status;
          clearTimeout(late);
          await restarting;
          // the end listener finalizes a failed execution: give it the moment it needs
          for (let wait = 0; wait < 40; wait++) {
            job = (
              await admin<{ id: string; status: string }>(`SELECT id, status FROM extraction_jobs WHERE id = $1`, [
                started.jobId,
              ])
            )[0];
            if (job && job.status !== 'pending' && job.status !== 'running') break;
            await new Promise((r) => setTimeout(r, 250));
          }
        } catch (error) {
          outcome = `START_FAILED: ${error instanceof Error ? error.message : String(error)}`;
          await restarting;
        }
        delete deps.interrupt;
        const status = job?.status ?? 'none';
        outcomes[`${fault}:${status}`] = (outcomes[`${fault}:${status}`] ?? 0) + 1;
        if (status === 'pending' || status === 'running') leftRunning++;
        let result = await compare(s.dataSourceId);
        if (status === 'succeeded') {
          duplicates += result.extra;
          lost += result.missing;
        } else {
          // the next run of the source, with no fault: it must be allowed to start, and must make it exact
          recoveries++;
          // a run still open is what the sweeper closes (the local runner at start, the daily maintenance in AWS)
          if (status === 'pending' || status === 'running') await sweepStaleRuns(deps, new Date(Date.now() + 1_000));
          const again = await startExtractionRun(deps, {
            dataSourceId: s.dataSourceId,
            organizationId: s.organizationId,
            trigger: 'manual',
          });
          await runner.settled(again.executionId);
          result = await compare(s.dataSourceId);
          duplicates += result.extra;
          lost += result.missing;
        }
        log(
          `faults: run ${i + 1}/${RUNS}: ${fault} at ${fault === 'postgres' ? `the ${at}th page/load, down ${downMs} ms` : `the ${at}th page/load`}${fired ? '' : ' (did not fire)'}${fault === 'connection' && fired ? ` (${terminated} backend(s) terminated)` : ''}: execution ${outcome}, job ${status}${status === 'succeeded' ? '' : ', then the next run'}; ${result.extra} extra, ${result.missing} missing`,
        );
      }
      log(`faults: outcomes ${JSON.stringify(outcomes)}; ${recoveries} runs needed the next run`);
      const total = RUNS * truthRows;
      return [
        {
          figure: `faults: duplicate rows after ${RUNS} runs with the worker, the loader's connection or PostgreSQL killed at random points (seed ${SEED})`,
          ours: duplicates,
          baseline: total,
          unit: 'rows',
          ratio: duplicates / total,
          goal: '0 (ratio 0)',
        },
        {
          figure: `faults: rows lost against the sandbox's truth (after a run that reported success, or after the next run)`,
          ours: lost,
          baseline: total,
          unit: 'rows',
          ratio: lost / total,
          goal: '0 (ratio 0)',
        },
        {
          figure: `faults: runs left pending or running after their execution ended`,
          ours: leftRunning,
          baseline: RUNS,
          unit: 'runs',
          ratio: leftRunning / RUNS,
          goal: '0 (ratio 0)',
        },
      ];
    } finally {
      await restarting;
      await scratch.close().catch(() => {});
      await remote.stop();
      await server?.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
      await rm(pgDir, { recursive: true, force: true });
    }
  },
};
export default suite;
