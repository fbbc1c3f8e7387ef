// Live progress of an extraction run. The pipeline (planner, worker, finalizer) publishes; delivery to
// clients (API Gateway WebSocket in AWS, a local WebSocket server) subscribes. Every event names its
// organization so delivery can keep one organization's runs away from another's clients.
export interface ProgressEvent {
  type: 'started' | 'progress' | 'completed' | 'failed' | 'data_updated';
  organizationId: string;
  projectId: string;
  dataSourceId: string;
  jobId: string;
  /** 0..100, on 'progress' (and 100 on 'completed') */
  percent?: number;
  /** rows read so far (progress) or in total (completed) */
  rows?: number;
  /** a user-facing message, on 'failed' */
  error?: string;
  /** ISO-8601 */
  at: string;
}

export interface ProgressPublisher {
  publish(e: ProgressEvent): Promise<void>;
}

export type ProgressListener = (e: ProgressEvent) => void | Promise<void>;

/**
 * The default publisher: delivers to in-process listeners (the local runner's WebSocket server, tests).
 * A listener that throws never fails the run that published; progress is best effort by design.
 */
export class InMemoryProgressPublisher implements ProgressPublisher {
  private readonly listeners = new Set<ProgressListener>();

  /** returns the function that unsubscribes */
  subscribe(listener: ProgressListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publish(e: ProgressEvent): Promise<void> {
    await Promise.all(
      [...this.listeners].map(async (listener) => {
        try {
          await listener(e);
        } catch {
          // a broken subscriber must not break extraction
        }
      }),
    );
  }
}
