// What every management-API Lambda entry (functions/src/<group>/<group>.lambda.ts) does at module scope:
// its config (only what its kind uses), the adapters, the API's deps, and its group's routes. Each group
// is its own entry, so its bundle carries only its own routes and what they import.
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadFunctionConfig } from '@tributary/shared/config/config';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import { routeGroupHandler } from '@tributary/shared/http/route-group';
import { createApiDeps, type ApiDeps } from './api-deps';

/** 'api-extract' for the group whose routes start extraction runs (it needs the state machine). */
export function apiGroupLambda(routes: (deps: ApiDeps) => BoundRoute[], kind: 'api' | 'api-extract' = 'api') {
  return routeGroupHandler(routes(createApiDeps(createAdapters(loadFunctionConfig(kind)))));
}
