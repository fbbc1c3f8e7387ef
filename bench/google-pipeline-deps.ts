// The in-process pipeline of the reliability suites: production defaults, the remote services' s3rver for raw
// pages, the Google sandbox as Google Ads and its OAuth, and a clock frozen at the suite's "today".
import { getConnector } from '@tributary/connectors/registry';
import { MemoryLogger } from '@tributary/connectors/runtime/test-support';
import { MemoryKeyValueStore } from '@tributary/shared/adapters/memory-key-value-store';
import { InMemoryProgressPublisher } from '@tributary/shared/ports/progress-events';
import { PIPELINE_DEFAULTS, type PipelineDeps } from '../functions/src/pipeline/pipeline-deps';
import { s3rverBlobs } from '../functions/src/testing/pipeline-test-deps';

export function googlePipelineDeps(
  options: Pick<PipelineDeps, 'db' | 'secrets' | 'workflow' | 'rawBucket'> & {
    s3Endpoint: string;
    sandboxUrl: string;
    today: string;
  },
): PipelineDeps {
  const { s3Endpoint, sandboxUrl, today, ...given } = options;
  return {
    ...PIPELINE_DEFAULTS,
    ...given,
    kv: new MemoryKeyValueStore(),
    blobs: s3rverBlobs(s3Endpoint, { archiveBucket: given.rawBucket, rawBucket: given.rawBucket }),
    clock: { now: () => new Date(`${today}T12:00:00Z`) },
    progress: new InMemoryProgressPublisher(),
    logger: new MemoryLogger(),
    findConnector: getConnector,
    connectorBaseUrls: {
      google_ads: sandboxUrl,
      google_oauth_token: sandboxUrl,
      google_oauth_authorize: sandboxUrl,
    },
  };
}
