// ProgressPublisher of the local runner: hands each event to the local WebSocket server
// (functions/src/progress/local-progress-server.ts), which fans it out to the connections of the event's
// organization, as API Gateway's @connections endpoint does in AWS. Best effort: an unreachable server
// never fails the run that published.
import type { ProgressEvent, ProgressPublisher } from '../ports/progress-events';

export const PROGRESS_PUBLISH_KEY_HEADER = 'x-tributary-progress-key';

export class LocalWebSocketProgressPublisher implements ProgressPublisher {
  constructor(private readonly options: { publishUrl: string; publishKey: string; timeoutMs?: number }) {}

  async publish(e: ProgressEvent): Promise<void> {
    try {
      await fetch(this.options.publishUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [PROGRESS_PUBLISH_KEY_HEADER]: this.options.publishKey },
        body: JSON.stringify(e),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2_000),
      }).then((r) => r.arrayBuffer());
    } catch {
      // progress is best effort by design (ports/progress-events.ts)
    }
  }
}
