// One schedule per data source: EventBridge Scheduler in AWS (it fires the starter Lambda), or the local
// runner's in-process scheduler (it fires the same expressions). Created, changed and removed together with
// the data source; a disabled data source keeps its schedule, disabled.

export interface ScheduleSpec {
  dataSourceId: string;
  /** EventBridge syntax: cron(minutes hours day-of-month month day-of-week year) */
  expression: string;
  /** IANA time zone the expression is read in */
  timezone: string;
  enabled: boolean;
}

/** What a schedule does when it fires: start a run of its data source. */
export type ScheduleTarget = (dataSourceId: string) => Promise<void>;

export interface ScheduleRegistry {
  /** creates the data source's schedule, or replaces it */
  put(spec: ScheduleSpec): Promise<void>;
  /** removes it; removing one that does not exist is not an error */
  remove(dataSourceId: string): Promise<void>;
  /** the schedule as the registry holds it, or undefined */
  get(dataSourceId: string): Promise<ScheduleSpec | undefined>;
}

/** EventBridge schedule names allow [0-9a-zA-Z-_.] up to 64 characters: `ds-<uuid>` fits. */
export const scheduleName = (dataSourceId: string) => `ds-${dataSourceId}`;
