// The AWS shell around serveWebhook: a Lambda function URL with response streaming. API Gateway's HTTP API
// stops at 30 s and 10 MB, too little for a year of ads; a streamed function URL (behind CloudFront) sends
// rows as PostgreSQL produces them, for up to 15 minutes.
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createAdapters, webhookSigningSecret } from '@tributary/shared/config/adapters';
import { loadFunctionConfig } from '@tributary/shared/config/config';
import { serveWebhook, type WebhookDeps } from './serve-webhook';
import { webhookRequestFromEvent } from './webhook-request';

/** The Node.js runtime's streaming helpers, provided as a global (not an npm package). */
interface AwsLambdaStreaming {
  streamifyResponse(handler: (event: APIGatewayProxyEventV2, responseStream: Writable, context: { awsRequestId: string }) => Promise<void>): unknown;
  HttpResponseStream: { from(stream: Writable, prelude: { statusCode: number; headers: Record<string, string> }): Writable };
}
declare const awslambda: AwsLambdaStreaming;

async function loadDeps(): Promise<WebhookDeps> {
  const config = loadFunctionConfig('webhook');
  const adapters = createAdapters(config);
  // The signing secret is read from Secrets Manager (TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN) once per container,
  // during init, so it never sits in the function's environment and no request waits on the call.
  return { db: adapters.db, signingSecret: await webhookSigningSecret(config.webhooks) };
}

// started at cold start; a failed read is retried by the next request instead of poisoning the container
let deps: Promise<WebhookDeps> | undefined = loadDeps();
deps.catch(() => {
  deps = undefined;
});

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  deps ??= loadDeps();
  const resolved = await deps;
  await serveWebhook(resolved, webhookRequestFromEvent(event, context.awsRequestId), {
    head: (statusCode, headers) => awslambda.HttpResponseStream.from(responseStream, { statusCode, headers }),
  });
});
