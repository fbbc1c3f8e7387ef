// Lambda entry points of the extraction state machine's tasks. Deps are built once per container.
// A thrown connector error keeps its class name as the Lambda errorType, which is what the definition's
// Retry and Catch match on.
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadFunctionConfig } from '@tributary/shared/config/config';
import { createPipelineDeps } from './pipeline-deps';
import { pipelineTaskHandlers } from './pipeline';

const handlers = pipelineTaskHandlers(createPipelineDeps(createAdapters(loadFunctionConfig('pipeline'))));

export const planHandler = handlers.PlanFunctionArn;
export const extractHandler = handlers.ExtractFunctionArn;
export const finalizeHandler = handlers.FinalizeFunctionArn;
