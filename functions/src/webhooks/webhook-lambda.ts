// The AWS shell around serveWebhook: a Lambda function URL with response streaming. API Gateway's HTTP API
// stops at 30 s and 10 MB, too little for a year of ads; a streamed function URL (behind CloudFront) sends
// rows as PostgreSQL produces them, for up to 15 minutes.
import type { Writable } from 'node:stream';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createAdapters, webhookSigningSecret } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { isODataPath, serveOData, type ODataDeps } from './odata/serve-odata';
import { serveWebhook } from './serve-webhook';

/** The Node.js runtime's streaming helpers, provided as a global (not an npm package). */
interface AwsLambdaStreaming {
  streamifyResponse(handler: (event: APIGatewayProxyEventV2, responseStream: Writable, context: { awsRequestId: string }) => Promise<void>): unknown;
  HttpResponseStream: { from(stream: Writable, prelude: { statusCode: number; headers: Record<string, string> }): Writable };
}
declare const awslambda: AwsLambdaStreaming;

let deps: Promise<ODataDeps> | undefined;

async function loadDeps(): Promise<ODataDeps> {
  const config = loadConfig();
  const adapters = createAdapters(config);
  // The secret reaches the function as an environment variable resolved from Secrets Manager at deploy
  // time (a dynamic reference), so no request waits on a Secrets Manager call.
  return { db: adapters.db, signingSecret: await webhookSigningSecret(config.webhooks), publicBaseUrl: config.webhooks.publicBaseUrl };
}

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  deps ??= loadDeps();
  const resolved = await deps;
  await (isODataPath(event.rawPath) ? serveOData : serveWebhook)(
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
