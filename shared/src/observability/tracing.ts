// X-Ray tracing of every Lambda invocation through Powertools' Tracer (issue 21 §2). Config decides
// (TRIBUTARY_TRACING, set in AWS beside the function's active tracing); Powertools also turns itself off
// outside Lambda, so on a laptop and in tests the tracer is a no-op. Responses are never recorded: some carry
// what must stay out of logs and traces (a webhook key is shown once, in its creation's response).
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Config } from '../config/config';

export type { Tracer };

/** One per function (module scope): the service name comes from POWERTOOLS_SERVICE_NAME, which infra sets. */
export function createTracer(config: Pick<Config, 'tracing'>): Tracer {
  return new Tracer({ enabled: config.tracing.enabled, captureHTTPsRequests: true });
}

/** `handler` traced: a subsegment per invocation with the cold start annotated, and its error if it throws. */
export function traced<E, R>(
  tracer: Tracer,
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  // timeoutEarlyInMillis 0: Lambda's own timeout stays what ends a run out of time (the state machine's
  // Retry and Catch match its errors), not middy's TimeoutError a few ms before it
  return middy(handler, { timeoutEarlyInMillis: 0 }).use(captureLambdaHandler(tracer, { captureResponse: false }));
}

/** The same for a response-streaming handler, which middy's wrapper would take over (the webhook function). */
export function tracedStreaming<E, S, C>(
  tracer: Tracer,
  handler: (event: E, stream: S, context: C) => Promise<void>,
): (event: E, stream: S, context: C) => Promise<void> {
  return async (event, stream, context) => {
    if (!tracer.isTracingEnabled()) return handler(event, stream, context);
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment('## handler');
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      await handler(event, stream, context);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment?.close();
      if (segment) tracer.setSegment(segment);
    }
  };
}
