// CORS for the dashboard's origin only. API Gateway answers preflights in AWS (its corsPreflight is set
// from the same origin); the local runner answers them with preflightHeaders().
import type { MiddlewareObj } from '@middy/core';
import { header, requestState, type HttpEvent, type HttpResponse } from './http-event';

export const CORS_ALLOWED_HEADERS = 'authorization,content-type,x-request-id';
export const CORS_EXPOSED_HEADERS = 'x-ratelimit-limit,x-ratelimit-remaining,x-ratelimit-reset,retry-after';

export function corsHeaders(requestOrigin: string | undefined, allowedOrigin: string): Record<string, string> {
  if (!requestOrigin || requestOrigin !== allowedOrigin) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': allowedOrigin,
    'access-control-expose-headers': CORS_EXPOSED_HEADERS,
    vary: 'Origin',
  };
}

export function preflightHeaders(requestOrigin: string | undefined, allowedOrigin: string): Record<string, string> {
  const base = corsHeaders(requestOrigin, allowedOrigin);
  if (!base['access-control-allow-origin']) return base;
  return {
    ...base,
    'access-control-allow-methods': 'GET,POST,PUT,PATCH,DELETE',
    'access-control-allow-headers': CORS_ALLOWED_HEADERS,
    'access-control-max-age': '600',
  };
}

export function cors(options: { allowedOrigin: string }): MiddlewareObj<HttpEvent, HttpResponse> {
  return {
    before: (request) => {
      Object.assign(
        requestState(request.event).responseHeaders,
        corsHeaders(header(request.event, 'origin'), options.allowedOrigin),
      );
    },
  };
}
