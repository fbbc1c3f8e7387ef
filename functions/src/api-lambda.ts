// What every management-API Lambda entry (functions/src/<group>/<group>.lambda.ts) does at module scope:
// its config (only what its kind uses), the adapters, the API's deps, and its group's routes. Each group
// is its own entry, so its bundle carries only its own routes and what they import: the connector
// registry only where the routes reach a platform, and never the pipeline (Step Functions runs it).
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadFunctionConfig } from '@tributary/shared/config/config';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import { routeGroupHandler } from '@tributary/shared/http/route-group';
import { createTracer, traced } from '@tributary/shared/observability/tracing';
import { logApiVersionWarnings } from '@tributary/connectors/runtime/api-versions';
import type { Connector } from '@tributary/connectors/contract';
import { PLATFORMS } from '@tributary/shared/domain/platform';
import { buildApiDeps, noConnectors, type ApiDeps } from './api-deps-core';

export interface ApiGroupOptions {
  /** 'api-extract' for the group whose routes start extraction runs (it needs the state machine) */
  kind?: 'api' | 'api-extract';
  /** the registry's lookup, for groups whose routes reach a platform */
  findConnector?: ApiDeps['findConnector'];
}

export function apiGroupLambda(routes: (deps: ApiDeps) => BoundRoute[], options: ApiGroupOptions = {}) {
  const adapters = createAdapters(loadFunctionConfig(options.kind ?? 'api'));
  const deps = buildApiDeps(adapters, options.findConnector ?? noConnectors);
  // at cold start, in the groups that carry the connectors: a pinned API version within 90 days of its sunset
  const connectors = PLATFORMS.map((p) => deps.findConnector(p)).filter(
    (c): c is Connector<unknown> => c !== undefined,
  );
  logApiVersionWarnings(
    { warn: (message, fields) => deps.logger.warn(message, fields ?? {}) },
    connectors,
    adapters.clock.now(),
  );
  return traced(createTracer(adapters.config), routeGroupHandler(routes(deps)));
}
