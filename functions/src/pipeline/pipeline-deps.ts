// What the extraction pipeline's handlers (planner, worker, finalizer) and startExtractionRun need, built
// from the composition root's Adapters. Lambdas build it once at module scope; the local runner and tests
// build it from their own Config and hand the handlers to the in-process workflow runner.
import { oauthClientsFromConfig, type OAuthClients } from '../credentials/oauth-apps';
import { structuredLogger } from '@tributary/shared/adapters/structured-logger';
import type { Connector, Logger } from '@tributary/connectors/contract';
import { findConnector, getConnector } from '@tributary/connectors/registry';
import type { RetryOptions } from '@tributary/connectors/runtime/call';
import type { Adapters, Clock } from '@tributary/shared/config/adapters';
import type { Database } from '@tributary/shared/db/database';
import type { Platform } from '@tributary/shared/domain/platform';
import type { BlobStore } from '@tributary/shared/ports/blob-store';
import type { KeyValueStore } from '@tributary/shared/ports/key-value-store';
import type { ProgressPublisher } from '@tributary/shared/ports/progress-events';
import type { SecretStore } from '@tributary/shared/ports/secret-store';
import type { WorkflowRunner } from '@tributary/shared/ports/workflow-runner';
import { createPageEncoder, type PageEncoder } from './page-encoder';

export interface PipelineDeps {
  db: Database;
  blobs: BlobStore;
  /** the S3 bucket raw pages are archived to */
  rawBucket: string;
  secrets: SecretStore;
  /** the shared rate budget of every worker of a credential */
  kv: KeyValueStore;
  clock: Clock;
  progress: ProgressPublisher;
  workflow: WorkflowRunner;
  logger: Logger;
  findConnector(platform: Platform): Connector<unknown>;
  /** where each connector reaches its platform: the real APIs in AWS (empty), the sandboxes locally */
  connectorBaseUrls: Readonly<Record<string, string>>;
  /** the deployment's OAuth apps, handed to connectors per call (never stored in a tenant's secret) */
  oauthClients?: OAuthClients;
  /** in-process retry policy of each platform call (connectors/src/runtime/retry.ts defaults when absent) */
  retry?: RetryOptions;
  /** a platform wait longer than this is handed to the state machine's Wait instead of slept in the worker */
  maxInProcessRateLimitWaitMs: number;
  /** days extracted on a data source's first run when its extraction_config has no start_date */
  initialHistoryDays: number;
  /** tests only: windows of this many days instead of each connector's declared windowDays */
  windowChunkDays?: number;
  /** a run plans from the data source's stored account while it was checked this recently, else asks the platform */
  accountInfoMaxAgeHours: number;
  /** tests only: Map MaxConcurrency per platform instead of each connector's declared maxConcurrency */
  maxConcurrency?: Partial<Record<Platform, number>>;
  /**
   * normalizes and encodes pages on other threads where a core is free (see page-encoder.ts); absent: on the worker's
   * own
   */
  pageEncoder?: PageEncoder;
  /** test hook: called at named points of the worker, so a test can kill it there */
  interrupt?: (point: 'after_page' | 'before_load_commit' | 'after_load', item: string) => void;
}

/**
 * The production settings of a run. Platform facts (window size, MaxConcurrency, rate budget) are the
 * connectors' own declarations, not settings here.
 */
export const PIPELINE_DEFAULTS = {
  maxInProcessRateLimitWaitMs: 60_000,
  initialHistoryDays: 30,
  // a daily run re-checks the account (and that the credential still sees it); hourly runs ask once a day
  accountInfoMaxAgeHours: 24,
} satisfies Partial<PipelineDeps>;

export function createPipelineDeps(adapters: Adapters, options: Partial<PipelineDeps> = {}): PipelineDeps {
  const logger = options.logger ?? structuredLogger('tributary-pipeline', adapters.config.logLevel);
  return {
    // the pipeline's login: the only kind that may become the loader role
    db: adapters.pipelineDb,
    blobs: adapters.blobs,
    rawBucket: adapters.config.objectStore.rawBucket,
    secrets: adapters.secrets,
    kv: adapters.kv,
    clock: adapters.clock,
    progress: adapters.progress,
    workflow: adapters.workflow,
    logger,
    findConnector: getConnector,
    // the real APIs in AWS (nothing configured), the sandboxes on the local runner (TRIBUTARY_PLATFORM_BASE_URLS)
    connectorBaseUrls: adapters.config.platforms.baseUrls,
    oauthClients: oauthClientsFromConfig(adapters.config.platforms, findConnector),
    // threads start with the first page that needs one, and never keep an idle process alive
    ...(adapters.config.pipeline.pageEncoderThreads > 0
      ? { pageEncoder: createPageEncoder(adapters.config.pipeline.pageEncoderThreads) }
      : {}),
    ...PIPELINE_DEFAULTS,
    ...options,
  };
}
