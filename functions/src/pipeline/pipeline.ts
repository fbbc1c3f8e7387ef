// The pipeline's three tasks behind the state machine's ARN placeholders. In AWS each is its own Lambda
// (pipeline.lambda.ts); locally they are handed to the in-process workflow runner.
import type { ExtractionTaskPlaceholder, WorkflowTaskHandler } from '@tributary/shared/ports/workflow-runner';
import { makeFinalizer } from './finalizer';
import type { PipelineDeps } from './pipeline-deps';
import { makePlanner } from './planner';
import { finalizeEndedExecution, finalizeFromStatusChange, isExecutionStatusChange } from './stale-runs';
import { makeWorker } from './worker';

export function pipelineTaskHandlers(deps: PipelineDeps): Record<ExtractionTaskPlaceholder, WorkflowTaskHandler> {
  const plan = makePlanner(deps);
  const extract = makeWorker(deps);
  const finalize = makeFinalizer(deps);
  return {
    PlanFunctionArn: (input) => plan(input as Parameters<typeof plan>[0]),
    ExtractFunctionArn: (input) => extract(input as Parameters<typeof extract>[0]),
    // the state machine's Finalize state, or EventBridge's status-change event of an execution that never reached it
    FinalizeFunctionArn: (input) =>
      isExecutionStatusChange(input)
        ? finalizeFromStatusChange(deps, input)
        : finalize(input as Parameters<typeof finalize>[0]),
  };
}

/** Gives an in-process workflow runner the handlers; a runner of deployed Lambdas has no use for them. */
export function attachPipeline(deps: PipelineDeps): void {
  deps.workflow.useTaskHandlers?.(pipelineTaskHandlers(deps));
  // an execution that fails or is stopped before Finalize is finalized here, as EventBridge does in AWS
  deps.workflow.onExecutionEnded?.((ended) => finalizeEndedExecution(deps, ended).then(() => undefined));
}
