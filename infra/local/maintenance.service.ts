// The daily maintenance job on the local runner: the same function the scheduled Lambda runs (ECB rates
// from the ECB sandbox, then retention), once shortly after start, so conversions work at once, and then
// every 24 hours while the runner is up.
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { runDailyMaintenance } from '../../functions/src/maintenance/daily-maintenance';
import { runPurgeJobs } from '../../functions/src/maintenance/purge';
import type { LocalService } from './runner';

const DAY_MS = 24 * 60 * 60 * 1000;
const PURGE_INTERVAL_MS = 60_000;

export const maintenanceService: LocalService = {
  name: 'maintenance',
  async start(ctx) {
    // maintenance (retention) is pipeline work: it logs in as the pipeline, which may become the loader
    const adapters = createAdapters(
      loadConfig({ ...ctx.env, DATABASE_URL: ctx.env.TRIBUTARY_PIPELINE_DATABASE_URL ?? ctx.env.DATABASE_URL }),
    );
    let running: Promise<void> = Promise.resolve();
    const runOnce = () => {
      running = runDailyMaintenance(adapters).then(
        (r) =>
          ctx.log(
            'maintenance',
            `daily maintenance done: ${'error' in r.fx ? 'fx failed' : `${r.fx.publications} ECB publications, ${r.fx.rowsWritten} rates written`}; retention ${JSON.stringify(r.retention)}`,
          ),
        (err: Error) => ctx.log('maintenance', `daily maintenance failed: ${err.message}`),
      );
    };
    const first = setTimeout(runOnce, 2_000);
    const daily = setInterval(runOnce, DAY_MS);
    // a deleted project's objects go within a minute, not at the next daily run
    const { objectStore } = adapters.config;
    const purge = setInterval(() => {
      running = running.then(() =>
        runPurgeJobs(adapters.db, adapters.blobs, {
          raw: objectStore.rawBucket,
          archive: objectStore.archiveBucket,
        }).then(
          (r) =>
            r.done || r.failed
              ? ctx.log(
                  'maintenance',
                  `purged ${r.objectsDeleted} object(s) of deleted projects and data sources (${r.done} job(s) done, ${r.failed} failed)`,
                )
              : undefined,
          (err: Error) => ctx.log('maintenance', `purge failed: ${err.message}`),
        ),
      );
    }, PURGE_INTERVAL_MS);
    return {
      stop: async () => {
        clearTimeout(first);
        clearInterval(daily);
        clearInterval(purge);
        await running;
        await adapters.close();
      },
    };
  },
};
