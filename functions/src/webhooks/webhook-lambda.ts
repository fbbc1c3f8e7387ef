// The AWS shell around serveWebhook: a Lambda function URL with response streaming. API Gateway's HTTP API
// stops at 30 s and 10 MB, too little for a year of ads; a streamed function URL (behind CloudFront) sends
// rows as PostgreSQL produces them, for up to 15 minutes.
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { createAdapters, webhookSigningSecret } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { serveWebhook, type WebhookDeps } from './serve-webhook';

/** The Node.js runtime's streaming helpers, provided as a global (not an npm package). */
interface AwsLambdaStreaming {
  streamifyResponse(handler: (event: APIGatewayProxyEventV2, responseStream: Writable, context: { awsRequestId: string }) => Promise<void>): unknown;
  HttpResponseStream: { from(stream: Writable, prelude: { statusCode: number; headers: Record<string, string> }): Writable };
}
declare const awslambda: AwsLambdaStreaming;

let deps: Promise<WebhookDeps> | undefined;

async function loadDeps(): Promise<WebhookDeps> {
  const config = loadConfig();
  const adapters = createAdapters(config);
  // The secret reaches the function as an environment variable resolved from Secrets Manager at deploy
  // time (a dynamic reference), so no request waits on a Secrets Manager call.
  const logger = new Logger({ serviceName: 'tributary-webhooks', logLevel: config.logLevel });
  return { db: adapters.db, signingSecret: await webhookSigningSecret(config.webhooks), onServerError: logServerError(logger) };
}

/** Our failures (5xx, a stream cut after its head) go to CloudWatch with the request id the client saw. */
export function logServerError(logger: Pick<Logger, 'error'>): NonNullable<WebhookDeps['onServerError']> {
  return (error, requestId) => logger.error('webhook request failed', { requestId, error: error instanceof Error ? error : new Error(String(error)) });
}

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  deps ??= loadDeps();
  const resolved = await deps;
  await serveWebhook(
    resolved,
    {
      method: event.requestContext.http.method,
      path: event.rawPath,
      query: event.rawQueryString,
      headers: Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
      sourceIp: event.requestContext.http.sourceIp,
      requestId: context.awsRequestId,
    },
    { head: (statusCode, headers) => awslambda.HttpResponseStream.from(responseStream, { statusCode, headers }) },
  );
});
