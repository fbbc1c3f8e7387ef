// The JSON the state machine passes between the pipeline's handlers (shared/src/workflow/extraction.asl.json).
import type { AccountInfo, DateWindow } from '@tributary/connectors/contract';

/** The execution's input, passed to every task: RLS needs the organization before anything is read. */
export interface RunRef {
  jobId: string;
  organizationId: string;
}

export interface WorkItem {
  /** unique within the job: account|report type|window */
  key: string;
  account: AccountInfo;
  reportType: string;
  window: DateWindow;
}

export interface PlanOutput {
  items: WorkItem[];
  maxConcurrency: number;
}

/** A caught error as Step Functions hands it to the next state. */
export interface StateFailure {
  Error: string;
  Cause?: string;
}

export type WorkerInput =
  | { action: 'extract'; job: RunRef; item: WorkItem; refreshFirst: boolean; rateLimitWaits: number }
  | { action: 'fail_credential'; job: RunRef; item: WorkItem; failure: StateFailure }
  | { action: 'record_failure'; job: RunRef; item: WorkItem; failure: StateFailure };

export type WorkerOutput =
  | { status: 'done'; rowsRead: number; inserted: number; updated: number; unchanged: number; pages: number }
  | { status: 'rate_limited'; retryAfterSeconds: number; rateLimitWaits: number };

export interface FinalizeInput {
  job: RunRef;
  /** the whole execution state: `failure` is set when planning or the Map itself failed */
  run: { failure?: StateFailure };
}

export interface FinalizeOutput {
  status: 'succeeded' | 'partial' | 'failed';
  summary: string;
}

export const workItemKey = (accountId: string, reportType: string, window: DateWindow) => `${accountId}|${reportType}|${window.start}|${window.end}`;
