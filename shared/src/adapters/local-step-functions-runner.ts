// WorkflowRunner in process: aws-local-stepfunctions executes the same ASL Step Functions runs in AWS.
// Each Task state's Resource is a `${…FunctionArn}` placeholder; we substitute a local ARN for each (the
// library validates ARNs) and route every Task state to the in-process handler behind its placeholder,
// which is the very handler the Lambda wraps in AWS.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { StateMachine } from 'aws-local-stepfunctions';
import {
  EXTRACTION_TASK_PLACEHOLDERS,
  substituteDefinition,
  type ExtractionTaskPlaceholder,
  type WorkflowExecution,
  type WorkflowRunner,
  type WorkflowExecutionEnded,
  type WorkflowTaskHandler,
} from '../ports/workflow-runner';

// Required by name when the first run starts, so no bundle carries it: only the laptop and the tests run the
// state machine in process (a Lambda's config never asks for it), and it would load AWS SDK clients at start.
const load = createRequire(import.meta.url);
const stateMachine = () => {
  // aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+); on Node 20 the shim goes in first
  load('promise.withresolvers/auto');
  return (load('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions')).StateMachine;
};

export interface LocalStepFunctionsOptions {
  /** milliseconds per Retry attempt instead of the definition's backoff (tests) */
  retryIntervalMs?: number;
  /** milliseconds for every Wait state instead of the time it names (tests) */
  waitMs?: number;
  onExecutionSettled?: (
    executionId: string,
    outcome: { status: 'SUCCEEDED' | 'FAILED'; output?: unknown; error?: string },
  ) => void;
}

type Definition = { States: Record<string, State> };
type State = {
  Type: string;
  Resource?: string;
  ItemProcessor?: Definition;
  Iterator?: Definition;
  Branches?: Definition[];
};

export const localFunctionArn = (placeholder: ExtractionTaskPlaceholder) =>
  `arn:aws:lambda:us-east-1:000000000000:function:tributary-local-${placeholder.replace(/FunctionArn$/, '').toLowerCase()}`;

export class LocalStepFunctionsRunner implements WorkflowRunner {
  private handlers: Record<ExtractionTaskPlaceholder, WorkflowTaskHandler> | null = null;
  private readonly definition: Definition;
  /** Task and Wait/Retry-bearing state names found in the definition, by kind */
  private readonly taskStates = new Map<string, ExtractionTaskPlaceholder>();
  private readonly waitStates: string[] = [];
  private readonly executions = new Map<string, Promise<unknown>>();
  private readonly aborts = new Map<string, () => void>();
  private readonly endListeners: ((ended: WorkflowExecutionEnded) => void | Promise<void>)[] = [];
  /** built once: its constructor validates the definition (an ajv schema compile of ~100 ms) */
  private machine: StateMachine | null = null;

  constructor(
    /** the ASL text (shared/src/workflow/extraction-definition.ts), placeholders unsubstituted */
    text: string,
    private readonly options: LocalStepFunctionsOptions = {},
  ) {
    const byArn = new Map(EXTRACTION_TASK_PLACEHOLDERS.map((p) => [localFunctionArn(p), p] as const));
    this.definition = JSON.parse(
      substituteDefinition(text, Object.fromEntries(EXTRACTION_TASK_PLACEHOLDERS.map((p) => [p, localFunctionArn(p)]))),
    ) as Definition;
    // aws-local-stepfunctions overrides Task states by state name: map each name to its ARN's handler
    const walk = (d: Definition) => {
      for (const [name, state] of Object.entries(d.States)) {
        if (state.Type === 'Task') {
          const placeholder = byArn.get(state.Resource ?? '');
          if (!placeholder) throw new Error(`state ${name} runs ${state.Resource}, which has no local handler`);
          if (this.taskStates.has(name))
            throw new Error(`state name ${name} is used twice; local overrides are by name`);
          this.taskStates.set(name, placeholder);
        }
        if (state.Type === 'Wait') this.waitStates.push(name);
        for (const inner of [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])]) if (inner) walk(inner);
      }
    };
    walk(this.definition);
  }

  useTaskHandlers(handlers: Record<ExtractionTaskPlaceholder, WorkflowTaskHandler>): void {
    this.handlers = handlers;
  }

  onExecutionEnded(listener: (ended: WorkflowExecutionEnded) => void | Promise<void>): void {
    this.endListeners.push(listener);
  }

  async stop(executionId: string): Promise<void> {
    this.aborts.get(executionId)?.();
  }

  /** Tells the listeners, and settles only once they are done (a test or a shutdown then sees the job closed). */
  private async ended(ended: WorkflowExecutionEnded): Promise<void> {
    for (const listener of this.endListeners) await Promise.resolve(listener(ended)).catch(() => {});
  }

  async start({ name, input }: { name: string; input: Record<string, unknown> }): Promise<WorkflowExecution> {
    const handlers = this.handlers;
    if (!handlers)
      throw new Error('the local workflow runner has no task handlers; the pipeline must call useTaskHandlers first');
    const executionId = `local:${name}:${randomUUID()}`;
    const machine = (this.machine ??= new (stateMachine())(this.definition as never, {
      validationOptions: { checkArn: true, checkPaths: true },
    }));
    const taskResourceLocalHandlers = Object.fromEntries(
      [...this.taskStates].map(([state, placeholder]) => [state, (i: unknown) => handlers[placeholder](i)]),
    );
    const retryIntervalOverrides =
      this.options.retryIntervalMs === undefined
        ? undefined
        : Object.fromEntries([...this.taskStates.keys()].map((s) => [s, this.options.retryIntervalMs!]));
    const waitTimeOverrides =
      this.options.waitMs === undefined
        ? undefined
        : Object.fromEntries(this.waitStates.map((s) => [s, this.options.waitMs!]));
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: taskResourceLocalHandlers as never,
        ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
        ...(waitTimeOverrides ? { waitTimeOverrides } : {}),
      },
      context: { Execution: { Id: executionId, Name: name } },
    });
    this.aborts.set(executionId, () => execution.abort());
    const settled = execution.result.then(
      async (output) => {
        this.aborts.delete(executionId);
        await this.ended({ executionId, name, input, status: 'SUCCEEDED' });
        this.options.onExecutionSettled?.(executionId, { status: 'SUCCEEDED', output });
        return { status: 'SUCCEEDED' as const, output };
      },
      async (err: unknown) => {
        this.aborts.delete(executionId);
        const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        const aborted = err instanceof Error && err.name === 'ExecutionAbortedError';
        await this.ended({ executionId, name, input, status: aborted ? 'ABORTED' : 'FAILED', error });
        this.options.onExecutionSettled?.(executionId, { status: 'FAILED', error });
        return { status: 'FAILED' as const, error };
      },
    );
    this.executions.set(executionId, settled);
    return { executionId };
  }

  /** Resolves when the execution ends (never rejects): the local runner's DescribeExecution. */
  async settled(executionId: string): Promise<{ status: 'SUCCEEDED' | 'FAILED'; output?: unknown; error?: string }> {
    const p = this.executions.get(executionId);
    if (!p) throw new Error(`no local execution ${executionId}`);
    return p as Promise<{ status: 'SUCCEEDED' | 'FAILED'; output?: unknown; error?: string }>;
  }
}
