// The access rule of every project route, said once. A route under /projects/{project_id} declares the least
// role it needs (route.minimumRole); projectHandler resolves the caller's role on that project (404 without
// membership, exactly as for a missing project; 403 below the minimum), then hands the handler a scope whose
// transactions carry the project's organization, so row-level security applies to everything it reads.
// httpHandler refuses project routes, so a new one cannot be bound without this check.
import type { MiddlewareObj } from '@middy/core';
import type { Transaction } from 'kysely';
import type pg from 'pg';
import type { Database, DbContext } from '../db/database';
import type { DB, MembershipRole } from '../db/schema';
import { projectAccessAtLeast, type ProjectAccess } from '../identity/access';
import { requestState, type HttpEvent, type HttpResponse } from './http-event';
import { bindHttpHandler, type HttpDeps, type LambdaHttpHandler, type RouteInput } from './http-handler';
import { isProjectRoute, type HttpResult, type Route, type RouteParams } from './route';

type ScopeOptions = Pick<DbContext, 'statementTimeoutMs'>;

/** The caller's access to one project, and the only way a project handler opens a transaction. */
export interface ProjectScope extends ProjectAccess {
  /** one transaction as the caller in the project's organization (RLS applies) */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>, options?: ScopeOptions): Promise<T>;
  /** the same with a raw pg client (cursors, COPY) */
  withClient<T>(fn: (client: pg.PoolClient) => Promise<T>, options?: ScopeOptions): Promise<T>;
}

export type ProjectRoute = Route & { auth: 'user'; minimumRole: MembershipRole };
export type ProjectRouteFn<R extends ProjectRoute> = (input: RouteInput<R>, scope: ProjectScope) => Promise<HttpResult>;
export interface ProjectScopeDeps extends HttpDeps {
  db: Database;
}

export function projectScope(db: Database, access: ProjectAccess): ProjectScope {
  const ctx: DbContext = { orgId: access.organizationId, userId: access.userId };
  return {
    ...access,
    transaction: (fn, options) => db.transaction({ ...ctx, ...options }, fn),
    withClient: (fn, options) => db.withClient({ ...ctx, ...options }, fn),
  };
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks the caller's role before the input is parsed: an outsider gets the same 404 and a viewer the same 403
 * whatever the body says. A malformed id is left to parseRequest's 400 (it names no project anyone holds).
 */
function requireProjectRole(db: Database, minimum: MembershipRole): MiddlewareObj<HttpEvent, HttpResponse> {
  return {
    before: async (request) => {
      const state = requestState(request.event);
      const projectId = request.event.pathParameters?.project_id;
      if (!state.user || !projectId || !UUID.test(projectId)) return;
      state.project = await projectAccessAtLeast(db, state.user.userId, projectId, minimum);
    },
  };
}

const scoped = new WeakSet<LambdaHttpHandler>();

/** True for a handler bound by projectHandler: the route-table test holds every project route to it. */
export const isProjectScoped = (handler: LambdaHttpHandler): boolean => scoped.has(handler);

export function projectHandler<R extends ProjectRoute>(
  route: R & (RouteParams<R> extends { project_id: string } ? unknown : never),
  fn: ProjectRouteFn<R>,
  deps: ProjectScopeDeps,
): LambdaHttpHandler {
  // the types say the same; this holds for routes built without defineRoute's literal types too
  if (!isProjectRoute(route) || route.auth !== 'user' || !route.minimumRole)
    throw new Error(`${route.operationId}: a project route names {project_id}, needs a user and a minimumRole`);
  const handler = bindHttpHandler(
    route,
    async (input) => {
      const projectId = (input.params as { project_id: string }).project_id;
      const checked = requestState(input.event).project;
      const access =
        checked?.projectId === projectId
          ? checked
          : await projectAccessAtLeast(deps.db, input.user!.userId, projectId, route.minimumRole);
      return fn(input, projectScope(deps.db, access));
    },
    deps,
    requireProjectRole(deps.db, route.minimumRole),
  );
  scoped.add(handler);
  return handler;
}
