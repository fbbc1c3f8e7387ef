// One Lambda per route group: API Gateway names the matched route in event.routeKey, and the group's
// handler passes the event to that route's handler. The local runner routes the same way.
import type { Context } from 'aws-lambda';
import { NotFoundError } from '../domain/errors';
import { errorResponse, classifyError, requestIdOf } from './error-envelope';
import type { LambdaHttpHandler } from './http-handler';
import type { HttpEvent, HttpResponse } from './http-event';
import { routeKey, type Route } from './route';

export interface BoundRoute {
  route: Route;
  handler: LambdaHttpHandler;
}

export function routeGroupHandler(bound: readonly BoundRoute[]): LambdaHttpHandler {
  const byKey = new Map(bound.map((b) => [routeKey(b.route), b.handler]));
  return async (event: HttpEvent, context: Context): Promise<HttpResponse> => {
    const handler = byKey.get(event.routeKey);
    if (!handler) return errorResponse(classifyError(new NotFoundError('Route')), requestIdOf(event, context));
    return handler(event, context);
  };
}
