// The one place that builds the standard error body (original design, section 4.5):
//   {"error":{"code","message","details","request_id","timestamp"}}
// Used first in http-handler.ts, so its onError runs last and sees every failure, and its `after`
// runs last too, which is where the collected response headers (CORS, rate limits) are attached.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { ZodError } from 'zod';
import { AppError, RateLimitExceededError, ServiceUnavailableError, type ErrorCode } from '../domain/errors';
import { requestState, type HttpEvent, type HttpResponse } from './http-event';

export const ErrorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
    request_id: z.string(),
    timestamp: z.string(),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'AUTHENTICATION_REQUIRED',
  403: 'AUTHORIZATION_FAILED',
  404: 'RESOURCE_NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMIT_EXCEEDED',
  501: 'NOT_IMPLEMENTED',
};

interface Classified {
  status: number;
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

/** Issue paths and messages only: zod 4 leaves the offending input out, and so do we (it may be a secret). */
export function zodIssueDetails(error: ZodError, prefix?: string): Record<string, unknown> {
  return {
    issues: error.issues.map((issue) => ({
      path: [...(prefix ? [prefix] : []), ...issue.path.map(String)].join('.'),
      code: issue.code,
      message: issue.message,
    })),
  };
}

export function classifyError(error: unknown): Classified {
  if (error instanceof AppError)
    return { status: error.status, code: error.code, message: error.message, details: error.details };
  if (error instanceof ZodError)
    return {
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'Invalid request parameters',
      details: zodIssueDetails(error),
    };
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 400 && status < 500) {
    const message = error instanceof Error ? error.message : 'Bad request';
    // @middy/http-json-body-parser reports malformed JSON as a 415; to a client it is a bad request body.
    if (/malformed JSON/i.test(message))
      return { status: 400, code: 'VALIDATION_ERROR', message: 'The request body is not valid JSON', details: {} };
    return { status, code: CODE_BY_STATUS[status] ?? 'VALIDATION_ERROR', message, details: {} };
  }
  return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'An unexpected error occurred', details: {} };
}

function httpStatusOf(error: unknown): number | undefined {
  if (error && typeof error === 'object') {
    const status =
      (error as { statusCode?: unknown; status?: unknown }).statusCode ?? (error as { status?: unknown }).status;
    if (typeof status === 'number') return status;
  }
  return undefined;
}

export function requestIdOf(event: HttpEvent | undefined, context: Context | undefined): string {
  return event?.requestContext?.requestId ?? context?.awsRequestId ?? 'unknown';
}

export function errorResponse(classified: Classified, requestId: string, now = new Date()): HttpResponse {
  const body: ErrorEnvelope = {
    error: {
      code: classified.code,
      message: classified.message,
      details: classified.details,
      request_id: requestId,
      timestamp: now.toISOString(),
    },
  };
  return { statusCode: classified.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

export function errorEnvelope(options: { logger: Logger }): MiddlewareObj<HttpEvent, HttpResponse> {
  const withCollectedHeaders = (request: Request<HttpEvent, HttpResponse>) => {
    if (!request.response) return;
    const extra = requestState(request.event).responseHeaders;
    request.response = { ...request.response, headers: { ...request.response.headers, ...extra } };
  };
  return {
    after: withCollectedHeaders,
    onError: (request) => {
      const classified = classifyError(request.error);
      if (classified.status >= 500) {
        // the stack goes to the log only; the client gets the generic message and the request id
        options.logger.error('request failed', { error: request.error as Error });
      } else {
        options.logger.info('request rejected', { status: classified.status, code: classified.code });
      }
      const error = request.error;
      if (error instanceof RateLimitExceededError || error instanceof ServiceUnavailableError) {
        requestState(request.event).responseHeaders['retry-after'] = String(error.retryAfterSeconds);
      }
      request.response = errorResponse(classified, requestIdOf(request.event, request.context));
      withCollectedHeaders(request);
    },
  };
}
