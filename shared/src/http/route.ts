// A route is a value, as in Hono's zod-openapi: method, path, who may call it, the zod schemas of its
// input and its responses keyed by status. The same value drives request parsing (parse-request.ts),
// the OpenAPI document (functions/src/openapi.ts), the local runner's router and API Gateway's routes,
// so none of them can drift from the others.
import type * as z from 'zod';
import type { MembershipRole } from '../db/schema';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * 'user': a Cognito access token in `Authorization: Bearer …`.
 * 'none': public (sign-up, sign-in, the OAuth callback, the OpenAPI document).
 */
export type AuthMode = 'user' | 'none';

/** Authentication endpoints get the stricter budget: they are what a password-guessing script hits. */
export type RateLimitTier = 'auth' | 'standard';

export interface RouteResponse {
  description: string;
  /** absent for bodiless responses (204, 302) */
  schema?: z.ZodType;
}

export interface RouteRequest {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
}

export interface Route {
  /** unique, camelCase; the OpenAPI operationId */
  operationId: string;
  method: HttpMethod;
  /** API Gateway style: /api/v1/projects/{project_id} */
  path: string;
  summary: string;
  tags: readonly string[];
  auth: AuthMode;
  rateLimit?: RateLimitTier;
  /**
   * The least role on the project (or organization) a caller needs. Every route under /projects/{project_id}
   * or /organizations/{organization_id} declares it, and only projectHandler (project-scope.ts) or
   * organizationHandler (organization-scope.ts) binds such a route: it enforces the role before the handler runs.
   */
  minimumRole?: MembershipRole;
  request: RouteRequest;
  responses: Record<number, RouteResponse>;
}

/** A route inside one project: its path names the project, so access to that project decides everything. */
export const isProjectRoute = (route: Pick<Route, 'path'>): boolean => route.path.includes('{project_id}');

/** A route inside one organization (its members, its invitations): the caller's role there decides. */
export const isOrganizationRoute = (route: Pick<Route, 'path'>): boolean =>
  !isProjectRoute(route) && route.path.includes('{organization_id}');

export type ScopeParam = 'project_id' | 'organization_id';

/** The path parameter whose access decides a route (the project first), or undefined for an unscoped route. */
export const scopeParamOf = (route: Pick<Route, 'path'>): ScopeParam | undefined =>
  isProjectRoute(route) ? 'project_id' : isOrganizationRoute(route) ? 'organization_id' : undefined;

/** Keeps the literal type of a route so handlers see its exact input types. */
export const defineRoute = <const R extends Route>(route: R): R => route;

/** API Gateway HTTP API route key ("GET /api/v1/projects/{project_id}"), as it arrives in event.routeKey. */
export const routeKey = (route: Pick<Route, 'method' | 'path'>): string =>
  `${route.method.toUpperCase()} ${route.path}`;

type InferOr<T, Fallback> = T extends z.ZodType ? z.infer<T> : Fallback;
export type RouteParams<R extends Route> = InferOr<R['request']['params'], Record<string, never>>;
export type RouteQuery<R extends Route> = InferOr<R['request']['query'], Record<string, never>>;
export type RouteBody<R extends Route> = InferOr<R['request']['body'], undefined>;

/** What a handler answers: the status is always stated, even for 200, as Hono's handlers do. */
export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** a body that is not JSON (a file download): sent as is, base64 on the wire as API Gateway wants binary */
  rawBody?: Buffer;
}
