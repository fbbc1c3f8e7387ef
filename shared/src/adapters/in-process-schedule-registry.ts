// The local runner's scheduler: each data source's expression armed as a croner job in this process, firing
// the same instants EventBridge Scheduler would. Schedules live in memory; the runner re-registers every
// active data source at start (functions/src/schedules/sync.ts), as AWS keeps its own.
// The API's adapters and the runner's scheduler service share one registry per process (like one
// EventBridge), through inProcessScheduleRegistry(); tests make their own.
import type { Cron } from 'croner';
import { cronFor } from './schedule-expression';
import type { ScheduleRegistry, ScheduleSpec, ScheduleTarget } from '../ports/schedule-registry';

export class InProcessScheduleRegistry implements ScheduleRegistry {
  private readonly jobs = new Map<string, { spec: ScheduleSpec; job: Cron | undefined }>();
  private target: ScheduleTarget | undefined;

  constructor(private readonly onError: (dataSourceId: string, error: unknown) => void = () => {}) {}

  /** what a firing schedule calls (until set, a firing schedule does nothing) */
  setTarget(target: ScheduleTarget | undefined): void {
    this.target = target;
  }

  async put(spec: ScheduleSpec): Promise<void> {
    // validated before the old job goes: a bad expression leaves the schedule as it was
    const job = spec.enabled
      ? cronFor(spec.expression, spec.timezone, () => void this.fire(spec.dataSourceId))
      : undefined;
    this.jobs.get(spec.dataSourceId)?.job?.stop();
    this.jobs.set(spec.dataSourceId, { spec: { ...spec }, job });
  }

  async remove(dataSourceId: string): Promise<void> {
    this.jobs.get(dataSourceId)?.job?.stop();
    this.jobs.delete(dataSourceId);
  }

  async get(dataSourceId: string): Promise<ScheduleSpec | undefined> {
    const entry = this.jobs.get(dataSourceId);
    return entry ? { ...entry.spec } : undefined;
  }

  /** the next instant the data source's schedule fires, if it is armed */
  nextRun(dataSourceId: string): Date | undefined {
    return this.jobs.get(dataSourceId)?.job?.nextRun() ?? undefined;
  }

  /** stops every job (the runner's shutdown, tests) */
  stopAll(): void {
    for (const { job } of this.jobs.values()) job?.stop();
    this.jobs.clear();
  }

  private async fire(dataSourceId: string): Promise<void> {
    if (!this.target) return;
    try {
      await this.target(dataSourceId);
    } catch (error) {
      this.onError(dataSourceId, error);
    }
  }
}

let shared: InProcessScheduleRegistry | undefined;
/** The process's one in-process scheduler (the API and the runner's scheduler service both use it). */
export function inProcessScheduleRegistry(): InProcessScheduleRegistry {
  return (shared ??= new InProcessScheduleRegistry());
}
