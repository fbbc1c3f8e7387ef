// Builds an API Gateway HTTP API payload 2.0 event from plain request parts, the way API Gateway does:
// lower-cased headers, repeated query keys joined with commas, cookies split out, a fresh request id.
// The local runner's adapter and the tests use it, so handlers only ever see the real shape.
import { randomUUID } from 'node:crypto';
import type { HttpEvent } from './http-event';

export interface PlainRequest {
  method: string;
  /** path without the query string */
  path: string;
  rawQueryString?: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer | string;
  sourceIp?: string;
  /** "GET /api/v1/projects/{project_id}", when a router matched one */
  routeKey?: string;
  pathParameters?: Record<string, string>;
  requestId?: string;
  now?: Date;
}

const TEXT_TYPES = /^(application\/(json|x-www-form-urlencoded|[\w.+-]*\+json)|text\/)/i;

export function apiGatewayEvent(request: PlainRequest): HttpEvent {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (key === 'cookie') {
      cookies = (Array.isArray(value) ? value.join('; ') : value).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[key] = Array.isArray(value) ? value.join(',') : value;
  }
  const rawQueryString = request.rawQueryString ?? '';
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString))
    query[key] = key in query ? `${query[key]},${value}` : value;

  const now = request.now ?? new Date();
  const requestId = request.requestId ?? randomUUID();
  const bodyBuffer =
    request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
  const isText = !headers['content-type'] || TEXT_TYPES.test(headers['content-type']);
  const hasBody = bodyBuffer !== undefined && bodyBuffer.length > 0;
  const method = request.method.toUpperCase();

  return {
    version: '2.0',
    routeKey: request.routeKey ?? '$default',
    rawPath: request.path,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(request.pathParameters && Object.keys(request.pathParameters).length
      ? { pathParameters: request.pathParameters }
      : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: request.routeKey ?? '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: isText ? bodyBuffer.toString('utf8') : bodyBuffer.toString('base64') } : {}),
    isBase64Encoded: hasBody && !isText,
  };
}

/** A Lambda context for running a handler outside Lambda. */
export function localLambdaContext(functionName: string, requestId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
