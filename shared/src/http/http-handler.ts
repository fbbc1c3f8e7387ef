// The one place the middleware order lives. errorEnvelope is used first, so its onError runs last and
// formats every failure (an error middleware used later would end the chain early and skip the onError of
// every layer before it); its `after` also runs last, attaching the CORS and rate-limit headers.
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { Context } from 'aws-lambda';
import type { KeyValueStore } from '../ports/key-value-store';
import type { TokenVerifier, UserResolver } from '../ports/token-verifier';
import { authenticate } from './authenticate';
import { cors } from './cors';
import { errorEnvelope, requestIdOf } from './error-envelope';
import { header, requestState, type AuthenticatedUser, type HttpEvent, type HttpResponse } from './http-event';
import { parseRequest } from './parse-request';
import { DEFAULT_RATE_LIMITS, rateLimit, type RateLimitPolicies } from './rate-limit';
import { scopeParamOf, type HttpResult, type Route, type RouteBody, type RouteParams, type RouteQuery } from './route';

/** What every HTTP handler needs from outside, whatever its feature. */
export interface HttpDeps {
  logger: Logger;
  verifier: TokenVerifier;
  users: UserResolver;
  kv: KeyValueStore;
  /** the dashboard's origin: the only one CORS allows */
  allowedOrigin: string;
  rateLimits?: RateLimitPolicies;
}

export interface RouteInput<R extends Route> {
  params: RouteParams<R>;
  query: RouteQuery<R>;
  body: RouteBody<R>;
  user: R['auth'] extends 'user' ? AuthenticatedUser : undefined;
  requestId: string;
  sourceIp: string | undefined;
  userAgent: string | undefined;
  event: HttpEvent;
}

export type RouteFn<R extends Route> = (input: RouteInput<R>) => Promise<HttpResult>;

export type LambdaHttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

/** Parses JSON only when there is a body: a GET has none and must not be refused for its missing content type. */
function jsonBody(): MiddlewareObj<HttpEvent, HttpResponse> {
  const parser = httpJsonBodyParser<HttpEvent>();
  return {
    before: async (request) => {
      const body = request.event.body;
      if (body === undefined || body === null || body === '') {
        delete request.event.body;
        return;
      }
      await parser.before?.(request as never);
    },
  };
}

export function toHttpResponse(result: HttpResult): HttpResponse {
  const headers: Record<string, string> = { ...result.headers };
  if (result.rawBody)
    return { statusCode: result.status, headers, body: result.rawBody.toString('base64'), isBase64Encoded: true };
  if (result.body === undefined) return { statusCode: result.status, headers };
  return {
    statusCode: result.status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(result.body),
  };
}

/**
 * Binds a route outside any project or organization. A route under /projects/{project_id} or
 * /organizations/{organization_id} is refused here, when the module loads: it must go through projectHandler or
 * organizationHandler, which check the caller's role there first.
 */
export function httpHandler<R extends Route>(route: R, fn: RouteFn<R>, deps: HttpDeps): LambdaHttpHandler {
  const scope = scopeParamOf(route);
  if (scope === 'project_id')
    throw new Error(`${route.operationId} is a project route: bind it with projectHandler, which checks access`);
  if (scope === 'organization_id')
    throw new Error(
      `${route.operationId} is an organization route: bind it with organizationHandler, which checks access`,
    );
  return bindHttpHandler(route, fn, deps);
}

/**
 * The middleware chain itself; only httpHandler and bindScopedHandler call it. `access` runs once the caller is
 * known and before the input is parsed, so a caller without access learns nothing from validation errors.
 */
export function bindHttpHandler<R extends Route>(
  route: R,
  fn: RouteFn<R>,
  deps: HttpDeps,
  access?: MiddlewareObj<HttpEvent, HttpResponse>,
): LambdaHttpHandler {
  const tier = route.rateLimit ?? 'standard';
  const limiter = rateLimit({
    kv: deps.kv,
    policies: deps.rateLimits ?? DEFAULT_RATE_LIMITS,
    tier,
    logger: deps.logger,
  });
  const base = async (event: HttpEvent, context: Context): Promise<HttpResponse> => {
    const state = requestState(event);
    const input = state.input ?? { params: {}, query: {}, body: undefined };
    const requestId = requestIdOf(event, context);
    deps.logger.appendKeys({
      request_id: requestId,
      route: route.operationId,
      ...(state.user ? { user_id: state.user.userId } : {}),
    });
    const result = await fn({
      params: input.params as RouteParams<R>,
      query: input.query as RouteQuery<R>,
      body: input.body as RouteBody<R>,
      user: state.user as RouteInput<R>['user'],
      requestId,
      sourceIp: event.requestContext?.http?.sourceIp,
      userAgent: header(event, 'user-agent'),
      event,
    });
    return toHttpResponse(result);
  };
  const chain = middy<HttpEvent, HttpResponse>(base)
    .use(errorEnvelope({ logger: deps.logger }))
    // logEvent stays off: events carry Authorization headers and request bodies with credentials
    .use(injectLambdaContext(deps.logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .use(cors({ allowedOrigin: deps.allowedOrigin }));
  // authentication routes are limited before anything else runs, by IP; the rest by user, after the token check
  if (tier === 'auth') chain.use(limiter);
  chain.use(jsonBody()).use(authenticate({ verifier: deps.verifier, users: deps.users, mode: route.auth }));
  if (tier !== 'auth') chain.use(limiter);
  if (access) chain.use(access);
  chain.use(parseRequest(route.request));
  return chain as unknown as LambdaHttpHandler;
}
