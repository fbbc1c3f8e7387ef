import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createTracer, traced, tracedStreaming } from './tracing';

const context = { awsRequestId: 'r1', functionName: 'f', getRemainingTimeInMillis: () => 10 } as unknown as Context;

class RateLimitedError extends Error {
  override name = 'RateLimitedError';
}

describe('the handlers tracer', () => {
  it('is off when config says so (a laptop, the tests) and when config says on outside Lambda', () => {
    expect(createTracer({ tracing: { enabled: false } }).isTracingEnabled()).toBe(false);
    // Powertools turns itself off outside the Lambda runtime: config's "on" does not need a daemon here
    expect(createTracer({ tracing: { enabled: true } }).isTracingEnabled()).toBe(false);
  });

  it('passes event and result through, keeps an error and its class name (the state machine retries on it), and never times out early', async () => {
    const tracer = createTracer({ tracing: { enabled: false } });
    const echo = traced(tracer, async (event: { n: number }) => ({ doubled: event.n * 2 }));
    expect(await echo({ n: 21 }, context)).toEqual({ doubled: 42 });
    const failing = traced(tracer, async () => {
      throw new RateLimitedError('slow down');
    });
    await expect(failing({}, context)).rejects.toMatchObject({ name: 'RateLimitedError', message: 'slow down' });
    // 10 ms left by the context's clock: Lambda's own timeout decides, not a middy TimeoutError
    const slow = traced(tracer, () => new Promise((resolve) => setTimeout(() => resolve('done'), 50)));
    expect(await slow({}, context)).toBe('done');
  });

  it('wraps a streaming handler without touching its stream', async () => {
    const chunks: string[] = [];
    const handler = tracedStreaming(
      createTracer({ tracing: { enabled: false } }),
      async (event: string, stream: string[], _c: { awsRequestId: string }) => {
        stream.push(event);
      },
    );
    await handler('hello', chunks, { awsRequestId: 'r2' });
    expect(chunks).toEqual(['hello']);
  });
});
