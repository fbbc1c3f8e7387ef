// Every management-API route bound to its handler. The local runner serves this list; in AWS each
// route group is its own Lambda (lambda.ts) and API Gateway does the routing.
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { ApiDeps } from './api-deps';
import { authRoutes } from './auth/auth.handlers';
import { credentialRoutes } from './credentials/credential.handlers';
import { dataRoutes } from './data/data.handlers';
import { dataSourceRoutes } from './data-sources/data-source.handlers';
import { memberRoutes } from './members/member.handlers';
import { openApiRoutes } from './openapi';
import { platformRoutes } from './platforms/platform.handlers';
import { projectRoutes } from './projects/project.handlers';
import { webhookRoutes } from './webhooks/webhook.handlers';

export const ROUTE_GROUPS = {
  auth: authRoutes,
  projects: projectRoutes,
  members: memberRoutes,
  credentials: credentialRoutes,
  'data-sources': dataSourceRoutes,
  webhooks: webhookRoutes,
  data: dataRoutes,
  openapi: openApiRoutes,
  platforms: platformRoutes,
} as const satisfies Record<string, (deps: ApiDeps) => BoundRoute[]>;

export type RouteGroupName = keyof typeof ROUTE_GROUPS;

export function managementApiRoutes(deps: ApiDeps): BoundRoute[] {
  return Object.values(ROUTE_GROUPS).flatMap((group) => group(deps));
}
