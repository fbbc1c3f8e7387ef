// Seam: http-handler.ts's middleware chain as a Lambda sees it, fed API Gateway payload 2.0 events.
// Covers the error envelope for every failure kind, bearer-token rejection, rate-limit headers and CORS.
import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { generateKeyPairSync, sign } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { MemoryKeyValueStore } from '../adapters/memory-key-value-store';
import { JwksTokenVerifier } from '../adapters/jwt-token-verifier';
import { AppError, NotFoundError } from '../domain/errors';
import { apiGatewayEvent, localLambdaContext } from './api-gateway-event';
import { ErrorEnvelopeSchema } from './error-envelope';
import { httpHandler, type HttpDeps } from './http-handler';
import type { HttpResponse } from './http-event';
import { defineRoute } from './route';

const ISSUER = 'http://127.0.0.1:1/test_pool';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' };

function signToken(payload: Record<string, unknown>, key = privateKey): string {
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', kid: 'test', typ: 'JWT' })}.${encode(payload)}`;
  return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), key).toString('base64url')}`;
}

const logs: string[] = [];
const logger = new Logger({ serviceName: 'http-handler-test', logLevel: 'DEBUG' });
// capture what would reach CloudWatch, to check nothing secret is written
const sink = new Writable({ write: (chunk, _encoding, done) => (logs.push(String(chunk)), done()) });
(logger as unknown as { console: Console }).console = new Console({ stdout: sink, stderr: sink });

function deps(overrides: Partial<HttpDeps> = {}): HttpDeps {
  return {
    logger,
    verifier: new JwksTokenVerifier({
      issuer: ISSUER,
      jwksUri: `${ISSUER}/.well-known/jwks.json`,
      clientIds: ['client-a'],
      jwks: { keys: [jwk as never] },
    }),
    users: { resolve: async (token) => ({ userId: `user-of-${token.sub}`, email: 'someone@example.com' }) },
    kv: new MemoryKeyValueStore(),
    allowedOrigin: 'http://localhost:5173',
    ...overrides,
  };
}

const echoRoute = defineRoute({
  operationId: 'echo',
  method: 'post',
  path: '/api/v1/echo/{id}',
  summary: 'echo',
  tags: ['test'],
  auth: 'none',
  request: { params: z.object({ id: z.string().uuid() }), body: z.object({ name: z.string().min(1) }) },
  responses: { 201: { description: 'echoed', schema: z.object({ id: z.string(), name: z.string() }) } },
});

const whoamiRoute = defineRoute({
  operationId: 'whoami',
  method: 'get',
  path: '/api/v1/whoami',
  summary: 'who am I',
  tags: ['test'],
  auth: 'user',
  request: {},
  responses: { 200: { description: 'me' } },
});

const ID = '6f1f7c36-5f0b-4c55-9d52-2f2c3bb0a7d1';

async function call(
  handler: ReturnType<typeof httpHandler>,
  request: Parameters<typeof apiGatewayEvent>[0],
): Promise<HttpResponse> {
  const event = apiGatewayEvent(request);
  return handler(event, localLambdaContext('test', event.requestContext.requestId) as never);
}

function envelope(response: HttpResponse) {
  return ErrorEnvelopeSchema.parse(JSON.parse(String(response.body)));
}

/** A POST to the echo route with a JSON body (a valid one unless given), plus any further headers. */
function echoRequest(body = '{"name":"x"}', headers: Record<string, string> = {}) {
  return {
    method: 'POST',
    path: `/api/v1/echo/${ID}`,
    pathParameters: { id: ID },
    headers: { 'content-type': 'application/json', ...headers },
    body,
  };
}

/** The echo route served by a handler that throws `error`. */
function throwing(error: Error) {
  return httpHandler(
    echoRoute,
    async () => {
      throw error;
    },
    deps(),
  );
}

describe('httpHandler', () => {
  const echo = httpHandler(
    echoRoute,
    async ({ params, body }) => ({ status: 201, body: { id: params.id, name: body.name } }),
    deps(),
  );

  it('when input is valid, it answers with the handler status and JSON body', async () => {
    const res = await call(echo, {
      method: 'POST',
      path: `/api/v1/echo/${ID}`,
      pathParameters: { id: ID },
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(String(res.body))).toEqual({ id: ID, name: 'x' });
  });

  it('when the body is not JSON, it answers 400 VALIDATION_ERROR in the standard format', async () => {
    const res = await call(echo, echoRequest('{"name":'));
    expect(res.statusCode).toBe(400);
    const { error } = envelope(res);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.request_id).not.toBe('unknown');
  });

  it('when params and body fail their schemas, it answers 400 naming each issue path and never echoing the input', async () => {
    const res = await call(echo, {
      method: 'POST',
      path: '/api/v1/echo/nope',
      pathParameters: { id: 'not-a-uuid-canary' },
      headers: { 'content-type': 'application/json' },
      body: '{"name":""}',
    });
    expect(res.statusCode).toBe(400);
    const { error } = envelope(res);
    const paths = (error.details.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['params.id']));
    expect(res.body).not.toContain('not-a-uuid-canary');
  });

  it('when the handler throws an unknown error, it answers a generic 500 and logs the stack', async () => {
    const failing = throwing(new Error('internal detail kaboom-7'));
    const res = await call(failing, echoRequest());
    expect(res.statusCode).toBe(500);
    expect(envelope(res).error).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'An unexpected error occurred',
    });
    expect(res.body).not.toContain('kaboom-7');
    expect(logs.join('\n')).toContain('kaboom-7');
  });

  it('when the handler throws an AppError, it keeps its status, code and details', async () => {
    const failing = throwing(new NotFoundError('Project', ID));
    const res = await call(failing, echoRequest());
    expect(res.statusCode).toBe(404);
    expect(envelope(res).error).toMatchObject({ code: 'RESOURCE_NOT_FOUND', details: { resource: 'Project', id: ID } });
    const teapot = throwing(new AppError('PLATFORM_ERROR', 'upstream said no', 502));
    const res2 = await call(teapot, echoRequest());
    expect(res2.statusCode).toBe(502);
  });

  describe('authentication', () => {
    const whoami = httpHandler(
      whoamiRoute,
      async ({ user }) => ({ status: 200, body: { userId: user.userId } }),
      deps(),
    );
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: 'sub-1',
      token_use: 'access',
      client_id: 'client-a',
      username: 'u',
      iss: ISSUER,
      iat: now,
      exp: now + 600,
    };

    it('when the token is valid, the handler sees the resolved user', async () => {
      const res = await call(whoami, {
        method: 'GET',
        path: '/api/v1/whoami',
        headers: { authorization: `Bearer ${signToken(claims)}` },
      });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(String(res.body))).toEqual({ userId: 'user-of-sub-1' });
    });

    it.each([
      ['missing', undefined],
      ['not a bearer', 'Basic abc'],
      ['garbage', 'Bearer not.a.jwt'],
      ['expired', `Bearer ${signToken({ ...claims, iat: now - 7200, exp: now - 3600 })}`],
      ['forged (other key)', `Bearer ${signToken(claims, otherKeys.privateKey)}`],
      ['other issuer', `Bearer ${signToken({ ...claims, iss: 'http://127.0.0.1:1/other_pool' })}`],
      ['other app client', `Bearer ${signToken({ ...claims, client_id: 'client-b' })}`],
      ['an id token', `Bearer ${signToken({ ...claims, token_use: 'id' })}`],
    ])('when the token is %s, it answers 401 AUTHENTICATION_REQUIRED', async (_name, authorization) => {
      const res = await call(whoami, {
        method: 'GET',
        path: '/api/v1/whoami',
        headers: authorization ? { authorization } : {},
      });
      expect(res.statusCode).toBe(401);
      expect(envelope(res).error.code).toBe('AUTHENTICATION_REQUIRED');
    });
  });

  it('when a caller passes the auth-tier budget, it answers 429 with Retry-After and rate-limit headers', async () => {
    const strict = httpHandler(
      { ...echoRoute, rateLimit: 'auth' },
      async ({ body }) => ({ status: 201, body }),
      deps({ rateLimits: { auth: { limit: 2, windowSeconds: 60 }, standard: { limit: 100, windowSeconds: 60 } } }),
    );
    const request = { ...echoRequest(), sourceIp: '10.0.0.9' };
    const first = await call(strict, request);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1' });
    await call(strict, request);
    const third = await call(strict, request);
    expect(third.statusCode).toBe(429);
    expect(envelope(third).error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(third.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(third.headers?.['x-ratelimit-remaining']).toBe('0');
    const otherIp = await call(strict, { ...request, sourceIp: '10.0.0.10' });
    expect(otherIp.statusCode).toBe(201);
  });

  it('when the request comes from the dashboard origin, it allows it; any other origin gets no CORS grant', async () => {
    const ok = await call(echo, echoRequest(undefined, { origin: 'http://localhost:5173' }));
    expect(ok.headers?.['access-control-allow-origin']).toBe('http://localhost:5173');
    const evil = await call(echo, echoRequest(undefined, { origin: 'https://evil.example' }));
    expect(evil.headers?.['access-control-allow-origin']).toBeUndefined();
  });

  it('never writes the bearer token or request body to the logs', () => {
    const all = logs.join('\n');
    expect(all).not.toContain('Bearer ');
    expect(all).not.toContain('"name":"x"');
  });
});
