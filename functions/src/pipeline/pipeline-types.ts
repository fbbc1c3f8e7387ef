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

/**
 * Only lane numbers: the items themselves are rows of extraction_work_items, so a backfill of any length
 * stays far below Step Functions' 256 KiB payload limit (an inline item list hit it at about 990 items).
 */
export interface PlanOutput {
  lanes: number[];
  items: number;
  maxConcurrency: number;
}

/** A caught error as Step Functions hands it to the next state. */
export interface StateFailure {
  Error: string;
  Cause?: string;
}

/** Each lane works through the run's items one at a time: the item it holds, else the next pending one. */
export type WorkerInput =
  | { action: 'extract'; job: RunRef; lane: number; refreshFirst: boolean; rateLimitWaits: number }
  | { action: 'fail_credential'; job: RunRef; lane: number; failure: StateFailure }
  | { action: 'record_failure'; job: RunRef; lane: number; failure: StateFailure };

export type WorkerOutput =
  | { status: 'done'; item: string; rowsRead: number; inserted: number; updated: number; unchanged: number; pages: number }
  | { status: 'rate_limited'; item: string; retryAfterSeconds: number; rateLimitWaits: number }
  | { status: 'drained' };

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
