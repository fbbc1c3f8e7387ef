// Starts an extraction run: one execution of the extraction state machine (shared/src/workflow/
// extraction.asl.json). Step Functions in AWS; aws-local-stepfunctions in process on the local runner,
// executing the very same definition.

/** The Lambda ARN placeholders in the definition, substituted by infra/ and by the local runner alike. */
export const EXTRACTION_TASK_PLACEHOLDERS = ['PlanFunctionArn', 'ExtractFunctionArn', 'FinalizeFunctionArn'] as const;
export type ExtractionTaskPlaceholder = (typeof EXTRACTION_TASK_PLACEHOLDERS)[number];

/** What a state's Task runs: the same handler a Lambda wraps, fed the state's effective input. */
export type WorkflowTaskHandler = (input: unknown) => Promise<unknown>;

export interface WorkflowExecution {
  /** the Step Functions execution ARN, or the local runner's id for it */
  executionId: string;
}

export interface WorkflowRunner {
  /**
   * Starts one execution. `name` is unique per run (the job id): Step Functions refuses a second
   * execution of the same name, so a retried start cannot run a job twice.
   */
  start(args: { name: string; input: Record<string, unknown> }): Promise<WorkflowExecution>;
  /**
   * Runners that execute Task states in this process need the handlers behind each ARN placeholder;
   * the pipeline hands them over once at start-up. Runners that call deployed Lambdas ignore them.
   */
  useTaskHandlers?(handlers: Record<ExtractionTaskPlaceholder, WorkflowTaskHandler>): void;
  /**
   * Runners that execute in this process report every execution's end, as EventBridge reports Step Functions
   * status changes in AWS: the pipeline finalizes one that failed or was stopped before its Finalize state.
   */
  onExecutionEnded?(listener: (ended: WorkflowExecutionEnded) => void | Promise<void>): void;
  /** Stops a running execution (StopExecution in AWS); it ends ABORTED. */
  stop?(executionId: string): Promise<void>;
}

export interface WorkflowExecutionEnded {
  executionId: string;
  name: string;
  input: Record<string, unknown>;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  error?: string;
}

/** Replaces every `${Name}` of the definition text with its value; an unknown name is an error, not a gap. */
export function substituteDefinition(definition: string, substitutions: Readonly<Record<string, string>>): string {
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = substitutions[name];
    if (value === undefined)
      throw new Error(`the state machine definition names \${${name}} but no value was given for it`);
    return value;
  });
}
