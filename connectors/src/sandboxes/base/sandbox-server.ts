// The reusable part of every platform sandbox: a node:http server that routes to the platform's handlers
// and adds the same control surface to all of them, under /__sandbox/:
//
//   GET    /__sandbox/requests        how many platform calls were served (total and per route)
//   DELETE /__sandbox/requests        resets the counter
//   GET    /__sandbox/faults          armed faults;  POST arms one (the platform's schema);  DELETE clears
//   POST   /__sandbox/clock           {"advance": n}: n more "later calls"; recent numbers restate
//   GET    /__sandbox/truth?…         exact totals of what the platform serves (the platform defines the query)
//   GET    /__sandbox/health
//
// A platform sandbox is a folder with a `SandboxPlatform` (routes in its own wire format, fault schema,
// truth) and a LocalService made by `sandboxService`; nothing here knows any platform.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as z from 'zod';
import type { ArmedFault, FaultBoard } from './faults';

export interface SandboxRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** parsed JSON or form body; undefined when there was none */
  body: unknown;
  rawBody: string;
  /** the route pattern's capture groups */
  params: string[];
}

export type SandboxReply =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType?: string; headers?: Record<string, string> }
  | { redirect: string }
  /** holds the connection open, then cuts it without an answer: a platform timeout */
  | { hangMs: number }
  /** writes the response itself (streamed batches, a page cut off mid-JSON) */
  | { write: (res: ServerResponse) => void | Promise<void> };

export interface SandboxRoute {
  name: string;
  method: string;
  path: RegExp;
  handle(req: SandboxRequest): SandboxReply | Promise<SandboxReply>;
}

export interface SandboxPlatform<F extends ArmedFault = ArmedFault> {
  name: string;
  routes: readonly SandboxRoute[];
  faults: FaultBoard<F>;
  faultSchema: z.ZodType<F>;
  truth(query: URLSearchParams): unknown;
  /** one more "later call": advances the data version so recent days restate; returns the new version */
  advance(steps: number): number;
}

export interface RequestCount {
  total: number;
  byRoute: Record<string, number>;
}

export interface RunningSandbox {
  url: string;
  port: number;
  requests(): RequestCount;
  stop(): Promise<void>;
}

export async function startSandbox<F extends ArmedFault>(
  platform: SandboxPlatform<F>,
  options: { port?: number; host?: string } = {},
): Promise<RunningSandbox> {
  let count: RequestCount = { total: 0, byRoute: {} };
  const hanging = new Set<NodeJS.Timeout>();

  const control = async (req: SandboxRequest): Promise<PlainReply> => {
    const what = req.url.pathname.slice('/__sandbox/'.length);
    if (what === 'health') return { status: 200, json: { ok: true, platform: platform.name } };
    if (what === 'requests' && req.method === 'GET') return { status: 200, json: count };
    if (what === 'requests' && req.method === 'DELETE') {
      count = { total: 0, byRoute: {} };
      return { status: 204, text: '' };
    }
    if (what === 'faults' && req.method === 'GET') return { status: 200, json: { faults: platform.faults.list() } };
    if (what === 'faults' && req.method === 'DELETE') {
      platform.faults.clear();
      return { status: 204, text: '' };
    }
    if (what === 'faults' && req.method === 'POST') {
      const parsed = platform.faultSchema.safeParse(req.body);
      if (!parsed.success) return { status: 400, json: { error: 'invalid fault', issues: parsed.error.issues } };
      platform.faults.arm(parsed.data);
      return { status: 201, json: { faults: platform.faults.list() } };
    }
    if (what === 'clock' && req.method === 'POST') {
      const steps = Number((req.body as { advance?: unknown } | undefined)?.advance ?? 1);
      if (!Number.isInteger(steps) || steps < 0)
        return { status: 400, json: { error: 'advance must be a non-negative integer' } };
      return { status: 200, json: { version: platform.advance(steps) } };
    }
    if (what === 'truth' && req.method === 'GET') {
      try {
        return { status: 200, json: platform.truth(req.url.searchParams) };
      } catch (err) {
        return { status: 400, json: { error: (err as Error).message } };
      }
    }
    return { status: 404, json: { error: `unknown control endpoint ${req.method} ${req.url.pathname}` } };
  };

  const server: Server = createServer((incoming, res) => {
    void handle(incoming, res).catch((err) => {
      if (!res.headersSent)
        send(res, { status: 500, json: { error: 'sandbox failure', message: (err as Error).message } });
      else res.destroy();
    });
  });

  async function handle(incoming: IncomingMessage, res: ServerResponse) {
    const rawBody = await readBody(incoming);
    const url = new URL(incoming.url ?? '/', 'http://sandbox');
    const base: Omit<SandboxRequest, 'params'> = {
      method: incoming.method ?? 'GET',
      url,
      headers: incoming.headers,
      body: parseBody(rawBody, incoming.headers['content-type']),
      rawBody,
    };
    if (url.pathname.startsWith('/__sandbox/')) return send(res, await control({ ...base, params: [] }));
    for (const route of platform.routes) {
      if (route.method !== base.method) continue;
      const m = route.path.exec(url.pathname);
      if (!m) continue;
      count.total++;
      count.byRoute[route.name] = (count.byRoute[route.name] ?? 0) + 1;
      const reply = await route.handle({ ...base, params: m.slice(1).map((p) => decodeURIComponent(p ?? '')) });
      if ('hangMs' in reply) {
        const t = setTimeout(() => {
          hanging.delete(t);
          res.destroy();
        }, reply.hangMs);
        hanging.add(t);
        return;
      }
      if ('write' in reply) return reply.write(res);
      return send(res, reply);
    }
    send(res, {
      status: 404,
      json: { error: { code: 404, message: `Not found: ${base.method} ${url.pathname}`, status: 'NOT_FOUND' } },
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    requests: () => structuredClone(count),
    stop: async () => {
      for (const t of hanging) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** a reply that is an answer: not a hang, not self-written */
type PlainReply = Exclude<SandboxReply, { hangMs: number } | { write: unknown }>;

function send(res: ServerResponse, reply: PlainReply) {
  if ('redirect' in reply) {
    res.writeHead(302, { location: reply.redirect });
    res.end();
    return;
  }
  if ('json' in reply) {
    const body = JSON.stringify(reply.json);
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=UTF-8', ...reply.headers });
    res.end(body);
    return;
  }
  res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/plain; charset=UTF-8', ...reply.headers });
  res.end(reply.text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON and form bodies both: client libraries differ in which they send. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** What tests and benchmarks use to drive a running sandbox's control surface. */
export class SandboxControl {
  constructor(readonly url: string) {}
  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}/__sandbox/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`sandbox control ${method} ${path} answered ${res.status}: ${await res.text()}`);
    return res.status === 204 ? undefined : res.json();
  }
  arm(fault: Record<string, unknown>) {
    return this.call('POST', 'faults', fault);
  }
  clearFaults() {
    return this.call('DELETE', 'faults');
  }
  async requests(): Promise<RequestCount> {
    return (await this.call('GET', 'requests')) as RequestCount;
  }
  resetRequests() {
    return this.call('DELETE', 'requests');
  }
  async advance(steps = 1): Promise<number> {
    return ((await this.call('POST', 'clock', { advance: steps })) as { version: number }).version;
  }
  async truth<T = Record<string, string>>(query: Record<string, string>): Promise<T> {
    return (await this.call('GET', `truth?${new URLSearchParams(query)}`)) as T;
  }
}
