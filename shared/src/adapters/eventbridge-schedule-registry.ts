// One EventBridge Scheduler schedule per data source, named after it, in the deployment's schedule group.
// Its target is the starter Lambda (functions/src/schedules/schedule-starter.lambda.ts), which calls
// startExtractionRun: the run needs its job row before the state machine starts, so the state machine is
// not the direct target. Failed deliveries go to the dead-letter queue.
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { scheduleName, type ScheduleRegistry, type ScheduleSpec } from '../ports/schedule-registry';
import { awsSdk } from './aws-sdk';

export interface EventBridgeScheduleOptions {
  groupName: string;
  /** the role EventBridge Scheduler assumes to invoke the target */
  roleArn: string;
  /** the starter Lambda */
  targetArn: string;
  deadLetterQueueArn?: string;
}

export class EventBridgeScheduleRegistry implements ScheduleRegistry {
  constructor(
    private readonly client: SchedulerClient,
    private readonly options: EventBridgeScheduleOptions,
  ) {}

  /** The request both CreateSchedule and UpdateSchedule take (UpdateSchedule replaces every field). */
  request(spec: ScheduleSpec) {
    return {
      Name: scheduleName(spec.dataSourceId),
      GroupName: this.options.groupName,
      ScheduleExpression: spec.expression,
      ScheduleExpressionTimezone: spec.timezone,
      State: spec.enabled ? ('ENABLED' as const) : ('DISABLED' as const),
      FlexibleTimeWindow: { Mode: 'OFF' as const },
      Description: `Extraction schedule of data source ${spec.dataSourceId}`,
      Target: {
        Arn: this.options.targetArn,
        RoleArn: this.options.roleArn,
        Input: JSON.stringify({ data_source_id: spec.dataSourceId }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        ...(this.options.deadLetterQueueArn ? { DeadLetterConfig: { Arn: this.options.deadLetterQueueArn } } : {}),
      },
    };
  }

  async put(spec: ScheduleSpec): Promise<void> {
    const request = this.request(spec);
    try {
      await this.client.send(new (awsSdk.scheduler().UpdateScheduleCommand)(request));
    } catch (error) {
      if (!(error instanceof awsSdk.scheduler().ResourceNotFoundException)) throw error;
      try {
        await this.client.send(new (awsSdk.scheduler().CreateScheduleCommand)(request));
      } catch (createError) {
        // created meanwhile by a concurrent request: update it to this spec
        if (!(createError instanceof awsSdk.scheduler().ConflictException)) throw createError;
        await this.client.send(new (awsSdk.scheduler().UpdateScheduleCommand)(request));
      }
    }
  }

  async remove(dataSourceId: string): Promise<void> {
    try {
      await this.client.send(
        new (awsSdk.scheduler().DeleteScheduleCommand)({
          Name: scheduleName(dataSourceId),
          GroupName: this.options.groupName,
        }),
      );
    } catch (error) {
      if (!(error instanceof awsSdk.scheduler().ResourceNotFoundException)) throw error;
    }
  }

  async get(dataSourceId: string): Promise<ScheduleSpec | undefined> {
    try {
      const s = await this.client.send(
        new (awsSdk.scheduler().GetScheduleCommand)({
          Name: scheduleName(dataSourceId),
          GroupName: this.options.groupName,
        }),
      );
      return {
        dataSourceId,
        expression: s.ScheduleExpression ?? '',
        timezone: s.ScheduleExpressionTimezone ?? 'UTC',
        enabled: s.State === 'ENABLED',
      };
    } catch (error) {
      if (error instanceof awsSdk.scheduler().ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
