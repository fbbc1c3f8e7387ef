// Lambda entry points of the extraction state machine's tasks. Deps are built once per container.
// A thrown connector error keeps its class name as the Lambda errorType, which is what the definition's
// Retry and Catch match on.
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadFunctionConfig } from '@tributary/shared/config/config';
import { createTracer, traced } from '@tributary/shared/observability/tracing';
import { createPipelineDeps } from './pipeline-deps';
import { pipelineTaskHandlers } from './pipeline';

const adapters = createAdapters(loadFunctionConfig('pipeline'));
const handlers = pipelineTaskHandlers(createPipelineDeps(adapters));
const tracer = createTracer(adapters.config);

export const planHandler = traced(tracer, handlers.PlanFunctionArn);
export const extractHandler = traced(tracer, handlers.ExtractFunctionArn);
export const finalizeHandler = traced(tracer, handlers.FinalizeFunctionArn);
