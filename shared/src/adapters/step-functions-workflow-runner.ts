// WorkflowRunner on AWS Step Functions: StartExecution of the deployed extraction state machine.
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowExecution, WorkflowRunner } from '../ports/workflow-runner';
import { awsSdk } from './aws-sdk';

export class StepFunctionsWorkflowRunner implements WorkflowRunner {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start({ name, input }: { name: string; input: Record<string, unknown> }): Promise<WorkflowExecution> {
    try {
      const out = await this.client.send(
        new (awsSdk.sfn().StartExecutionCommand)({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return { executionId: out.executionArn! };
    } catch (err) {
      // a retried start of the same job: the first one is already running, which is what was asked
      if (err instanceof awsSdk.sfn().ExecutionAlreadyExists)
        return { executionId: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` };
      throw err;
    }
  }
}
