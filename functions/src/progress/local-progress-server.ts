// The local runner's live-progress WebSocket server: the same message contract as the API Gateway
// WebSocket API (shared/src/adapters/progress-message.ts). A client connects to /ws/v1/progress with its
// Cognito access token (Sec-WebSocket-Protocol: tributary, <token>; or ?token=<token>) and receives the
// events of the organizations its user belongs to, and nothing else. The pipeline's publisher
// (LocalWebSocketProgressPublisher) POSTs each event to /internal/progress with the server's key, which
// fans it out, as API Gateway's @connections endpoint does in AWS.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROGRESS_PUBLISH_KEY_HEADER } from '@tributary/shared/adapters/local-progress-publisher';
import { toProgressMessage } from '@tributary/shared/adapters/progress-message';
import type { ProgressEvent } from '@tributary/shared/ports/progress-events';
import {
  authorizeSubscriber,
  ProgressAuthError,
  PROGRESS_SUBPROTOCOL,
  tokenFromHandshake,
  type ProgressAuthDeps,
} from './progress-auth';

export const PROGRESS_WS_PATH = '/ws/v1/progress';
export const PROGRESS_PUBLISH_PATH = '/internal/progress';

export interface LocalProgressServer {
  /** ws://127.0.0.1:<port>/ws/v1/progress */
  wsUrl: string;
  /** where LocalWebSocketProgressPublisher posts */
  publishUrl: string;
  /** connections currently open */
  connections(): number;
  /** fans an event out to its organization's connections (what a POST to publishUrl does) */
  deliver(e: ProgressEvent): number;
  stop(): Promise<void>;
}

const MAX_EVENT_BYTES = 16 * 1024;

function errorBody(code: string, message: string, requestId: string) {
  return JSON.stringify({
    error: { code, message, details: {}, request_id: requestId, timestamp: new Date().toISOString() },
  });
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = errorBody(code, message, `req_${randomUUID()}`);
  const reason =
    status === 401
      ? 'Unauthorized'
      : status === 403
        ? 'Forbidden'
        : status === 404
          ? 'Not Found'
          : 'Internal Server Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export async function startLocalProgressServer(options: {
  auth: ProgressAuthDeps;
  publishKey: string;
  port?: number;
  log?: (message: string) => void;
}): Promise<LocalProgressServer> {
  const byOrg = new Map<string, Set<WebSocket>>();
  const key = Buffer.from(options.publishKey);
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has(PROGRESS_SUBPROTOCOL) ? PROGRESS_SUBPROTOCOL : false),
  });

  const deliver = (e: ProgressEvent): number => {
    const sockets = byOrg.get(e.organizationId);
    if (!sockets) return 0;
    const message = JSON.stringify(toProgressMessage(e));
    for (const ws of sockets) ws.send(message);
    return sockets.size;
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const requestId = `req_${randomUUID()}`;
    const reply = (status: number, body: string) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'POST' || url.pathname !== PROGRESS_PUBLISH_PATH)
      return reply(404, errorBody('RESOURCE_NOT_FOUND', 'Not found', requestId));
    const given = Buffer.from(String(req.headers[PROGRESS_PUBLISH_KEY_HEADER] ?? ''));
    if (given.length !== key.length || !timingSafeEqual(given, key))
      return reply(401, errorBody('AUTHENTICATION_REQUIRED', 'A valid publish key is required', requestId));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_EVENT_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_EVENT_BYTES) return reply(413, errorBody('VALIDATION_ERROR', 'The event is too large', requestId));
      let e: ProgressEvent;
      try {
        e = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProgressEvent;
      } catch {
        return reply(400, errorBody('VALIDATION_ERROR', 'The body must be a JSON progress event', requestId));
      }
      if (typeof e?.organizationId !== 'string' || typeof e.type !== 'string' || typeof e.jobId !== 'string')
        return reply(400, errorBody('VALIDATION_ERROR', 'organizationId, type and jobId are required', requestId));
      reply(200, JSON.stringify({ delivered: deliver(e) }));
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== PROGRESS_WS_PATH)
      return refuse(socket, 404, 'RESOURCE_NOT_FOUND', `WebSocket endpoint is ${PROGRESS_WS_PATH}`);
    const token = tokenFromHandshake(req.headers['sec-websocket-protocol'], url.searchParams);
    authorizeSubscriber(options.auth, token).then(
      (subscriber) => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          for (const org of subscriber.organizationIds) {
            let set = byOrg.get(org);
            if (!set) byOrg.set(org, (set = new Set()));
            set.add(ws);
          }
          ws.on('close', () => {
            for (const org of subscriber.organizationIds) {
              const set = byOrg.get(org);
              set?.delete(ws);
              if (set?.size === 0) byOrg.delete(org);
            }
          });
          ws.on('error', () => ws.terminate());
        });
      },
      (err: unknown) => {
        if (err instanceof ProgressAuthError)
          return refuse(socket, err.code === 'AUTHENTICATION_REQUIRED' ? 401 : 403, err.code, err.message);
        options.log?.(`progress connection failed: ${err instanceof Error ? err.message : String(err)}`);
        refuse(socket, 500, 'INTERNAL_SERVER_ERROR', 'The connection could not be set up');
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    wsUrl: `ws://127.0.0.1:${port}${PROGRESS_WS_PATH}`,
    publishUrl: `http://127.0.0.1:${port}${PROGRESS_PUBLISH_PATH}`,
    connections: () => wss.clients.size,
    deliver,
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
