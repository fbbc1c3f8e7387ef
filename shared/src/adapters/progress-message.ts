// The wire contract of live progress (section 4.4 of the design): the same JSON on the local WebSocket
// server and on the API Gateway WebSocket API.
//   {"type":"extraction_progress","data":{"job_id","data_source_id","project_id","organization_id","progress","records_processed"},"timestamp"}
import type { ProgressEvent } from '../ports/progress-events';

export type ProgressMessageType =
  'extraction_started' | 'extraction_progress' | 'extraction_completed' | 'extraction_failed' | 'data_updated';

export interface ProgressMessage {
  type: ProgressMessageType;
  data: {
    job_id: string;
    data_source_id: string;
    project_id: string;
    organization_id: string;
    /** percent, 0..100 */
    progress?: number;
    /** rows read so far (progress), in total (completed, failed) or rows changed (data_updated) */
    records_processed?: number;
    error?: string;
  };
  timestamp: string;
}

export function toProgressMessage(e: ProgressEvent): ProgressMessage {
  return {
    type: e.type === 'data_updated' ? 'data_updated' : `extraction_${e.type}`,
    data: {
      job_id: e.jobId,
      data_source_id: e.dataSourceId,
      project_id: e.projectId,
      organization_id: e.organizationId,
      ...(e.percent !== undefined ? { progress: e.percent } : {}),
      ...(e.rows !== undefined ? { records_processed: e.rows } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
    },
    timestamp: e.at,
  };
}
