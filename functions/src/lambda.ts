// Lambda entry points, one per route group (API Gateway routes each group's paths to its function).
// Dependencies are built once per container, at module scope, from the environment.
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { routeGroupHandler } from '@tributary/shared/http/route-group';
import { createApiDeps } from './api-deps';
import { ROUTE_GROUPS, type RouteGroupName } from './api-routes';

const deps = createApiDeps(createAdapters(loadConfig()));
const group = (name: RouteGroupName) => routeGroupHandler(ROUTE_GROUPS[name](deps));

export const authHandler = group('auth');
export const projectsHandler = group('projects');
export const membersHandler = group('members');
export const credentialsHandler = group('credentials');
export const dataSourcesHandler = group('data-sources');
export const openApiHandler = group('openapi');
export const webhooksHandler = group('webhooks');
export const dataHandler = group('data');
export const platformsHandler = group('platforms');
