// The access rule of every project route, said once. A route under /projects/{project_id} declares the least
// role it needs (route.minimumRole); projectHandler resolves the caller's role on that project (404 without
// membership, exactly as for a missing project; 403 below the minimum), then hands the handler a scope whose
// transactions carry the project's organization, so row-level security applies to everything it reads.
// httpHandler refuses project routes, so a new one cannot be bound without this check. The binding itself is
// shared with organizationHandler (scoped-handler.ts).
import type { Database } from '../db/database';
import type { MembershipRole } from '../db/schema';
import { projectAccessAtLeast, type ProjectAccess } from '../identity/access';
import type { LambdaHttpHandler, RouteInput } from './http-handler';
import type { HttpResult, RouteParams } from './route';
import {
  bindScopedHandler,
  boundScopeOf,
  dbScope,
  type DbScope,
  type ScopeDeps,
  type ScopeKind,
  type ScopedRoute,
} from './scoped-handler';

/** The caller's access to one project, and the only way a project handler opens a transaction. */
export interface ProjectScope extends ProjectAccess, DbScope {}

export type ProjectRoute = ScopedRoute;
export type ProjectRouteFn<R extends ProjectRoute> = (input: RouteInput<R>, scope: ProjectScope) => Promise<HttpResult>;
export type ProjectScopeDeps = ScopeDeps;

const PROJECT: ScopeKind<ProjectAccess> = { param: 'project_id', check: projectAccessAtLeast };

export function projectScope(db: Database, access: ProjectAccess): ProjectScope {
  return dbScope(db, access);
}

/** Resolves the caller's role on the project (at least `minimum`) and opens its scope. */
export async function openProjectScope(
  db: Database,
  userId: string,
  projectId: string,
  minimum: MembershipRole,
): Promise<ProjectScope> {
  return projectScope(db, await projectAccessAtLeast(db, userId, projectId, minimum));
}

/** True for a handler bound by projectHandler: the route-table test holds every project route to it. */
export const isProjectScoped = (handler: LambdaHttpHandler): boolean => boundScopeOf(handler) === 'project_id';

export function projectHandler<R extends ProjectRoute>(
  route: R & (RouteParams<R> extends { project_id: string } ? unknown : never),
  fn: ProjectRouteFn<R>,
  deps: ProjectScopeDeps,
): LambdaHttpHandler {
  return bindScopedHandler(PROJECT, route, fn, deps);
}
