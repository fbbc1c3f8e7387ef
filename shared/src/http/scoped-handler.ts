// What projectHandler and organizationHandler share: a route whose path names a project or an organization
// declares the least role it needs (route.minimumRole); the binder checks the caller's role on that resource
// after authentication and before the input is parsed (404 without membership, exactly as for a missing one;
// 403 below the minimum), then hands the handler a scope whose transactions carry the resource's organization,
// so row-level security applies to everything it reads. httpHandler refuses such routes.
import type { MiddlewareObj } from '@middy/core';
import type { Transaction } from 'kysely';
import type pg from 'pg';
import type { Database, DbContext } from '../db/database';
import type { DB, MembershipRole } from '../db/schema';
import { requestState, type HttpEvent, type HttpResponse } from './http-event';
import { bindHttpHandler, type HttpDeps, type LambdaHttpHandler, type RouteInput } from './http-handler';
import { scopeParamOf, type HttpResult, type Route, type ScopeParam } from './route';

type ScopeOptions = Pick<DbContext, 'statementTimeoutMs'>;

/** The only way a scoped handler opens a transaction: as the caller, in the resource's organization. */
export interface DbScope {
  /** one transaction as the caller in the organization (RLS applies) */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>, options?: ScopeOptions): Promise<T>;
  /** the same with a raw pg client (cursors, COPY) */
  withClient<T>(fn: (client: pg.PoolClient) => Promise<T>, options?: ScopeOptions): Promise<T>;
}

/** What every access check returns: whose it is, in which organization, with which role. */
export interface GrantedAccess {
  organizationId: string;
  userId: string;
  role: MembershipRole;
}

export interface ScopeKind<A extends GrantedAccess> {
  /** the path parameter that names the resource */
  param: ScopeParam;
  /** the caller's access, refused below `minimum` (404 without membership, 403 below it) */
  check(db: Database, userId: string, id: string, minimum: MembershipRole): Promise<A>;
}

export type ScopedRoute = Route & { auth: 'user'; minimumRole: MembershipRole };
export interface ScopeDeps extends HttpDeps {
  db: Database;
}

export function dbScope<A extends GrantedAccess>(db: Database, access: A): A & DbScope {
  const ctx: DbContext = { orgId: access.organizationId, userId: access.userId };
  return {
    ...access,
    transaction: (fn, options) => db.transaction({ ...ctx, ...options }, fn),
    withClient: (fn, options) => db.withClient({ ...ctx, ...options }, fn),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks the caller's role before the input is parsed: an outsider gets the same 404 and a viewer the same 403
 * whatever the body says. A malformed id is left to parseRequest's 400 (it names nothing anyone holds).
 */
function requireRole<A extends GrantedAccess>(
  db: Database,
  kind: ScopeKind<A>,
  minimum: MembershipRole,
): MiddlewareObj<HttpEvent, HttpResponse> {
  return {
    before: async (request) => {
      const state = requestState(request.event);
      const id = request.event.pathParameters?.[kind.param];
      if (!state.user || !id || !UUID.test(id)) return;
      state.access = { param: kind.param, id, granted: await kind.check(db, state.user.userId, id, minimum) };
    },
  };
}

const bound = new WeakMap<LambdaHttpHandler, ScopeParam>();

/** Which scope a handler was bound with ('project_id', 'organization_id'), for the route-table tests. */
export const boundScopeOf = (handler: LambdaHttpHandler): ScopeParam | undefined => bound.get(handler);

/** Binds a scoped route; projectHandler and organizationHandler are the only callers. */
export function bindScopedHandler<R extends ScopedRoute, A extends GrantedAccess>(
  kind: ScopeKind<A>,
  route: R,
  fn: (input: RouteInput<R>, scope: A & DbScope) => Promise<HttpResult>,
  deps: ScopeDeps,
): LambdaHttpHandler {
  // the types say the same; this holds for routes built without defineRoute's literal types too
  if (scopeParamOf(route) !== kind.param || route.auth !== 'user' || !route.minimumRole)
    throw new Error(`${route.operationId}: a route scoped by {${kind.param}} needs a user and a minimumRole`);
  const handler = bindHttpHandler(
    route,
    async (input) => {
      const id = (input.params as Record<string, string>)[kind.param]!;
      const checked = requestState(input.event).access;
      const access =
        checked?.param === kind.param && checked.id === id
          ? (checked.granted as A)
          : await kind.check(deps.db, input.user!.userId, id, route.minimumRole);
      return fn(input, dbScope(deps.db, access));
    },
    deps,
    requireRole(deps.db, kind, route.minimumRole),
  );
  bound.set(handler, kind.param);
  return handler;
}
