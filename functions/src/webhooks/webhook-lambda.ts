// The AWS shell around serveWebhook: a Lambda function URL with response streaming. API Gateway's HTTP API
// stops at 30 s and 10 MB, too little for a year of ads; a streamed function URL (behind CloudFront) sends
// rows as PostgreSQL produces them, for up to 15 minutes.
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { createAdapters, webhookSigningSecret } from '@tributary/shared/config/adapters';
import { loadFunctionConfig } from '@tributary/shared/config/config';
import { createTracer, tracedStreaming } from '@tributary/shared/observability/tracing';
import { isODataPath } from './odata/odata-path';
import type { ODataDeps } from './odata/serve-odata';
import { serveWebhook, type WebhookDeps } from './serve-webhook';
import { webhookRequestFromEvent } from './webhook-request';

/** The Node.js runtime's streaming helpers, provided as a global (not an npm package). */
interface AwsLambdaStreaming {
  streamifyResponse(
    handler: (
      event: APIGatewayProxyEventV2,
      responseStream: Writable,
      context: { awsRequestId: string },
    ) => Promise<void>,
  ): unknown;
  HttpResponseStream: {
    from(stream: Writable, prelude: { statusCode: number; headers: Record<string, string> }): Writable;
  };
}
declare const awslambda: AwsLambdaStreaming;

async function loadDeps(): Promise<ODataDeps> {
  const config = loadFunctionConfig('webhook');
  const adapters = createAdapters(config);
  // The signing secret is read from Secrets Manager (TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN) once per container,
  // during init, so it never sits in the function's environment and no request waits on the call.
  const logger = new Logger({ serviceName: 'tributary-webhooks', logLevel: config.logLevel });
  return {
    db: adapters.db,
    signingSecret: await webhookSigningSecret(config.webhooks),
    onServerError: logServerError(logger),
    publicBaseUrl: config.webhooks.publicBaseUrl,
  };
}

/** Our failures (5xx, a stream cut after its head) go to CloudWatch with the request id the client saw. */
export function logServerError(logger: Pick<Logger, 'error'>): NonNullable<WebhookDeps['onServerError']> {
  return (error, requestId) =>
    logger.error('webhook request failed', {
      requestId,
      error: error instanceof Error ? error : new Error(String(error)),
    });
}

// started at cold start; a failed read is retried by the next request instead of poisoning the container
let deps: Promise<ODataDeps> | undefined = loadDeps();
deps.catch(() => {
  deps = undefined;
});

const tracer = createTracer(loadFunctionConfig('webhook'));

export const handler = awslambda.streamifyResponse(
  tracedStreaming(
    tracer,
    async (event: APIGatewayProxyEventV2, responseStream: Writable, context: { awsRequestId: string }) => {
      deps ??= loadDeps();
      const resolved = await deps;
      // the feed (and its parser) loads with the container's first feed request, not at cold start
      const serve = isODataPath(event.rawPath) ? (await import('./odata/serve-odata')).serveOData : serveWebhook;
      await serve(resolved, webhookRequestFromEvent(event, context.awsRequestId), {
        head: (statusCode, headers) => awslambda.HttpResponseStream.from(responseStream, { statusCode, headers }),
      });
    },
  ),
);
