// The local runner's scheduler, in place of EventBridge Scheduler: the process's in-process registry (the
// one the API's data-source handlers put schedules into) is armed with every data source that has a
// schedule, and each firing calls startExtractionRun through the same ASL file and pipeline handlers as
// `extract` (a run still going is logged and skipped). Registered after the API.
import { structuredLogger } from '@tributary/shared/adapters/structured-logger';
import { inProcessScheduleRegistry } from '@tributary/shared/adapters/in-process-schedule-registry';
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { attachPipeline } from '../../functions/src/pipeline/pipeline';
import { createPipelineDeps } from '../../functions/src/pipeline/pipeline-deps';
import { sweepStaleRuns } from '../../functions/src/pipeline/stale-runs';
import { fireSchedule, registerAllSchedules } from '../../functions/src/schedules/schedule-sync';
import type { LocalService } from './runner';

export const schedulesService: LocalService = {
  name: 'schedules',
  async start(ctx) {
    // the schedule starter is pipeline work (it reads every organization's sources as the loader)
    const config = loadConfig({
      ...ctx.env,
      DATABASE_URL: ctx.env.TRIBUTARY_PIPELINE_DATABASE_URL ?? ctx.env.DATABASE_URL,
    });
    const adapters = createAdapters(config);
    const pipeline = createPipelineDeps(adapters);
    attachPipeline(pipeline);
    const logger = structuredLogger('tributary-scheduler', config.logLevel);
    // runs execute inside this process: any run still open from before it started (a killed `npm start`)
    // has no execution left, and would hold its data source's one-running-job slot (409) for good
    const processStarted = new Date(Date.now() - process.uptime() * 1000);
    const { closed } = await sweepStaleRuns(pipeline, processStarted);
    if (closed.length) ctx.log('schedules', `${closed.length} run(s) left open by an earlier start closed as failed`);
    const registry = inProcessScheduleRegistry();
    registry.setTarget(async (dataSourceId) => {
      const result = await fireSchedule({ db: adapters.db, workflow: adapters.workflow, logger }, dataSourceId);
      ctx.log(
        'schedules',
        'skipped' in result
          ? `data source ${dataSourceId}: a run is still going, skipped`
          : `data source ${dataSourceId}: scheduled run ${result.jobId} started`,
      );
    });
    const count = await registerAllSchedules(adapters.db, registry);
    ctx.log('schedules', `${count} data source schedule(s) armed`);
    return {
      stop: async () => {
        registry.setTarget(undefined);
        registry.stopAll();
        await adapters.close();
      },
    };
  },
};
