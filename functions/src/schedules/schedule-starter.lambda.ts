// The target of every EventBridge Scheduler schedule: { "data_source_id": "…" } → startExtractionRun with
// trigger "schedule". A run still going is logged and skipped (not an error, so no retry and no
// dead-letter); any other failure is thrown, so Scheduler retries and finally dead-letters the event.
import { structuredLogger } from '@tributary/shared/adapters/structured-logger';
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadFunctionConfig } from '@tributary/shared/config/config';
import { createTracer, traced } from '@tributary/shared/observability/tracing';
import * as z from 'zod';
import { fireSchedule } from './schedule-sync';

const adapters = createAdapters(loadFunctionConfig('schedule-starter'));
const logger = structuredLogger('tributary-schedule-starter', adapters.config.logLevel);
const EventSchema = z.object({ data_source_id: z.string().uuid() });

export const handler = traced(createTracer(adapters.config), async (event: unknown) => {
  const { data_source_id } = EventSchema.parse(event);
  return fireSchedule({ db: adapters.db, workflow: adapters.workflow, logger }, data_source_id);
});
