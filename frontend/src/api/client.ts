// The typed API client: openapi-fetch over the types generated from the API's OpenAPI document
// (schema.gen.ts, `npm run api:types`). Every call carries the signed-in user's access token; an error
// answer becomes an ApiError with the standard envelope's message and request id.
import createClient, { type Middleware } from 'openapi-fetch';
import { accessToken } from '../auth';
import { runtimeConfig } from '../config';
import type { operations, paths } from './schema.gen';

export type { operations, paths };
/** The JSON body an operation answers with a given status (200 by default). */
export type Json<Op extends keyof operations, S extends number = 200> =
  operations[Op]['responses'] extends Record<S, { content: { 'application/json': infer T } }> ? T : never;
/** An operation's JSON request body. */
export type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody: { content: { 'application/json': infer T } };
}
  ? T
  : never;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details: unknown = {},
  ) {
    super(message);
  }
}

interface Envelope {
  error?: { code?: string; message?: string; request_id?: string; details?: unknown };
}

export function toApiError(status: number, body: unknown): ApiError {
  const e = (body as Envelope | undefined)?.error;
  return new ApiError(
    status,
    e?.code ?? 'HTTP_ERROR',
    e?.message ?? `The server answered ${status}`,
    e?.request_id ?? null,
    e?.details ?? {},
  );
}

const auth: Middleware = {
  async onRequest({ request }) {
    const token = await accessToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
};

let client: ReturnType<typeof createClient<paths>> | null = null;

export function api() {
  if (!client) {
    client = createClient<paths>({ baseUrl: runtimeConfig().apiUrl });
    client.use(auth);
  }
  return client;
}

/** The data of an openapi-fetch result, or its error as an ApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw toApiError(response.status, error);
  return data as T;
}

/** A fetch with the user's token for endpoints that answer files (export) rather than JSON. */
export async function authorizedFetch(url: string): Promise<Response> {
  const token = await accessToken();
  return fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
}
