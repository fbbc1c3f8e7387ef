// What the management API's handlers need (api-deps-core.ts), with every registered connector and the
// pipeline's task handlers attached to an in-process workflow runner: the local runner and the tests.
import { findConnector as findRegisteredConnector, listConnectors } from '@tributary/connectors/registry';
import { logApiVersionWarnings } from '@tributary/connectors/runtime/api-versions';
import type { Adapters } from '@tributary/shared/config/adapters';
import { buildApiDeps, type ApiDeps, type ApiDepsOptions } from './api-deps-core';
import { attachPipeline } from './pipeline/pipeline';
import { createPipelineDeps } from './pipeline/pipeline-deps';

export type { ApiDeps } from './api-deps-core';

export function createApiDeps(
  adapters: Adapters,
  options: ApiDepsOptions & { findConnector?: ApiDeps['findConnector'] } = {},
): ApiDeps {
  const { findConnector, ...rest } = options;
  const connectorBaseUrls = options.connectorBaseUrls ?? adapters.config.platforms.baseUrls;
  // an in-process runner needs the pipeline's task handlers; a Step Functions runner ignores them
  attachPipeline(createPipelineDeps(adapters, { connectorBaseUrls }));
  const deps = buildApiDeps(adapters, findConnector ?? findRegisteredConnector, rest);
  // once per start: a pinned platform API version within 90 days of its sunset
  logApiVersionWarnings(
    { warn: (message, fields) => deps.logger.warn(message, fields ?? {}) },
    listConnectors(),
    adapters.clock.now(),
  );
  return deps;
}
