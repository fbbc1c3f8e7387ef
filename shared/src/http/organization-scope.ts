// The access rule of every organization route (members, invitations), said once, as project-scope.ts says it for
// projects: a route under /organizations/{organization_id} declares the least role it needs (route.minimumRole);
// organizationHandler checks the caller's role there (404 for a non-member, exactly as for a missing
// organization; 403 below the minimum) before the input is parsed, and hands the handler a scope whose
// transactions carry that organization. Rules that are not a simple minimum (only an owner grants ownership, the
// last owner stays) remain in the handlers, which read the caller's role from the scope.
import { organizationAccessAtLeast, type OrganizationAccess } from '../identity/access';
import type { LambdaHttpHandler, RouteInput } from './http-handler';
import type { HttpResult, RouteParams } from './route';
import {
  bindScopedHandler,
  boundScopeOf,
  type DbScope,
  type ScopeDeps,
  type ScopeKind,
  type ScopedRoute,
} from './scoped-handler';

/** The caller's role in one organization, and the only way an organization handler opens a transaction. */
export interface OrganizationScope extends OrganizationAccess, DbScope {}

export type OrganizationRoute = ScopedRoute;
export type OrganizationRouteFn<R extends OrganizationRoute> = (
  input: RouteInput<R>,
  scope: OrganizationScope,
) => Promise<HttpResult>;

const ORGANIZATION: ScopeKind<OrganizationAccess> = { param: 'organization_id', check: organizationAccessAtLeast };

/** True for a handler bound by organizationHandler: the route-table test holds every organization route to it. */
export const isOrganizationScoped = (handler: LambdaHttpHandler): boolean =>
  boundScopeOf(handler) === 'organization_id';

export function organizationHandler<R extends OrganizationRoute>(
  route: R & (RouteParams<R> extends { organization_id: string } ? unknown : never),
  fn: OrganizationRouteFn<R>,
  deps: ScopeDeps,
): LambdaHttpHandler {
  return bindScopedHandler(ORGANIZATION, route, fn, deps);
}
