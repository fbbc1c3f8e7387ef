// The local runner's one thin adapter between Node's HTTP server and the Lambda handlers: a request
// becomes an API Gateway HTTP API payload 2.0 event (with the matched routeKey and path parameters, as
// API Gateway would send), and the handler's result becomes the response. Handlers cannot tell the two apart.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotFoundError, AppError } from '@tributary/shared/domain/errors';
import { apiGatewayEvent, localLambdaContext } from '@tributary/shared/http/api-gateway-event';
import { preflightHeaders } from '@tributary/shared/http/cors';
import { classifyError, errorResponse } from '@tributary/shared/http/error-envelope';
import type { HttpResponse } from '@tributary/shared/http/http-event';
import { routeKey } from '@tributary/shared/http/route';
import type { BoundRoute } from '@tributary/shared/http/route-group';

/** API Gateway HTTP APIs refuse payloads over 10 MB; the management API never needs more than 1. */
const MAX_BODY_BYTES = 1024 * 1024;

interface CompiledRoute {
  bound: BoundRoute;
  method: string;
  pattern: RegExp;
  names: string[];
}

function compile(bound: BoundRoute): CompiledRoute {
  const names: string[] = [];
  const source = bound.route.path
    .split('/')
    .map((segment) => {
      const param = segment.match(/^\{(\w+)\}$/);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { bound, method: bound.route.method.toUpperCase(), pattern: new RegExp(`^${source}$`), names };
}

export interface ApiServer {
  url: string;
  stop(): Promise<void>;
}

export async function startApiServer(options: {
  routes: readonly BoundRoute[];
  port: number;
  host?: string;
  allowedOrigin: string;
}): Promise<ApiServer> {
  // literal segments beat parameters, as in API Gateway: /credentials/oauth/... before /credentials/{id}
  const compiled = options.routes.map(compile).sort((a, b) => a.names.length - b.names.length);
  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error) => {
      send(res, errorResponse(classifyError(error), randomUUID()));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') {
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      res.writeHead(204, preflightHeaders(origin, options.allowedOrigin)).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        send(
          res,
          errorResponse(
            classifyError(new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB', 413)),
            randomUUID(),
          ),
        );
        req.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    let match: { route: CompiledRoute; params: Record<string, string> } | undefined;
    for (const route of compiled) {
      if (route.method !== method) continue;
      const m = url.pathname.match(route.pattern);
      if (!m) continue;
      try {
        match = { route, params: Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
      } catch {
        continue; // a malformed %-escape matches nothing, as in API Gateway
      }
      break;
    }
    if (!match) {
      send(res, errorResponse(classifyError(new NotFoundError('Route')), randomUUID()));
      return;
    }
    const key = routeKey(match.route.bound.route);
    const event = apiGatewayEvent({
      method,
      path: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: req.headers,
      body: Buffer.concat(chunks),
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
      routeKey: key,
      pathParameters: match.params,
    });
    const context = localLambdaContext(match.route.bound.route.operationId, event.requestContext.requestId);
    send(res, await match.route.bound.handler(event, context as never));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: http.ServerResponse, response: HttpResponse) {
  if (res.headersSent) return;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(response.headers ?? {})) headers[k] = String(v);
  if (response.cookies?.length) headers['set-cookie'] = response.cookies;
  const body =
    response.body === undefined
      ? undefined
      : response.isBase64Encoded
        ? Buffer.from(response.body, 'base64')
        : Buffer.from(response.body);
  res.writeHead(response.statusCode ?? 200, headers);
  res.end(body);
}
