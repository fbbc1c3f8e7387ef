// zod → typed params, query and body, as Powertools' parser middleware does for whole events. Issue paths
// are prefixed with where the value came from (params., query., body.), so a client can find its mistake.
import type { MiddlewareObj } from '@middy/core';
import * as z from 'zod';
import { ValidationError } from '../domain/errors';
import { zodIssueDetails } from './error-envelope';
import { requestState, type HttpEvent, type HttpResponse } from './http-event';
import type { RouteRequest } from './route';

const EMPTY = z.object({}).passthrough();

export function parseRequest(schemas: RouteRequest): MiddlewareObj<HttpEvent, HttpResponse> {
  return {
    before: (request) => {
      const event = request.event;
      const parts = {
        params: parse(schemas.params ?? EMPTY, event.pathParameters ?? {}, 'params'),
        query: parse(schemas.query ?? EMPTY, event.queryStringParameters ?? {}, 'query'),
        body: schemas.body ? parse(schemas.body, event.body ?? {}, 'body') : undefined,
      };
      requestState(event).input = parts;
    },
  };
}

function parse(schema: z.ZodType, value: unknown, where: string): unknown {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError('Invalid request parameters', zodIssueDetails(result.error, where));
  return result.data;
}
