// Lambda entry of the daily maintenance job (EventBridge Scheduler invokes it once a day).
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadFunctionConfig } from '@tributary/shared/config/config';
import { createTracer, traced } from '@tributary/shared/observability/tracing';
import { runDailyMaintenance } from './daily-maintenance';

const adapters = createAdapters(loadFunctionConfig('maintenance'));

export const handler = traced(createTracer(adapters.config), async () => {
  const result = await runDailyMaintenance(adapters);
  console.log(JSON.stringify({ level: 'INFO', message: 'daily maintenance done', ...result }));
  return result;
});
