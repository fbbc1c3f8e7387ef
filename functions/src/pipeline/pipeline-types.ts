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
  | {
      action: 'extract';
      job: RunRef;
      lane: number;
      refreshFirst: boolean;
      rateLimitWaits: number;
      reportWaits?: number;
    }
  | { action: 'fail_credential'; job: RunRef; lane: number; failure: StateFailure }
  | { action: 'record_failure'; job: RunRef; lane: number; failure: StateFailure };

export type WorkerOutput =
  | {
      status: 'done';
      item: string;
      rowsRead: number;
      inserted: number;
      updated: number;
      unchanged: number;
      pages: number;
    }
  | { status: 'rate_limited'; item: string; retryAfterSeconds: number; rateLimitWaits: number }
  /**
   * the item's platform job (a report) is still running: the state machine waits retryAfterSeconds, then extracts it
   * again
   */
  | { status: 'report_pending'; item: string; retryAfterSeconds: number; reportWaits: number }
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

/**
 * How the state machine waits for a platform job that is still running (ReportNotReadyError): 30 s, doubling up
 * to 15 min a wait, at most `maxWaits` waits for one item (about five hours: Amazon says a report can take up
 * to three). The ASL's ReportPending choice holds the same bound (a test reads it).
 */
export const REPORT_WAIT = { firstSeconds: 30, maxSeconds: 900, maxWaits: 24 } as const;

/** The wait before extract number `waitsSoFar + 1`: the connector's hint at least, doubling per wait, capped. */
export function reportWaitSeconds(waitsSoFar: number, hintMs: number): number {
  const doubled = REPORT_WAIT.firstSeconds * 2 ** Math.min(waitsSoFar, 16);
  return Math.min(REPORT_WAIT.maxSeconds, Math.max(1, Math.ceil(hintMs / 1000), doubled));
}

export const workItemKey = (accountId: string, reportType: string, window: DateWindow) =>
  `${accountId}|${reportType}|${window.start}|${window.end}`;
