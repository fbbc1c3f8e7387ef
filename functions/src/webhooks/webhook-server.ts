// The local shell around serveWebhook: a plain Node HTTP server. Node sends the body chunked as the
// writers produce it, which is what the Lambda function URL's response streaming does in AWS.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { ServiceUnavailableError } from '@tributary/shared/domain/errors';
import { classifyError, errorResponse } from '@tributary/shared/http/error-envelope';
import { isODataPath, serveOData } from './odata/serve-odata';
import { serveWebhook, type WebhookDeps } from './serve-webhook';

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

/** A client that neither reads nor sends for this long is cut off, so its connection and cursor are freed. */
export const CLIENT_IDLE_TIMEOUT_MS = 120_000;

/** How long a request waits for its turn before it hears "busy" (503 + Retry-After); Power Query waits 100 s. */
export const ADMISSION_WAIT_MS = 60_000;

/**
 * Requests served at once, the rest waiting their turn in arrival order: in AWS each request is a Lambda
 * container of its own; here one process shares one pool, and a request may hold two of its connections at
 * once (the cursor and, at its end, the access log), so at most half the pool's size run together. Without
 * it, every request raced all the others for each of its connections and most waited past the pool's bound.
 */
function admission(limit: number, waitMs: number) {
  let running = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    running--;
    const next = queue.shift();
    if (next) next();
  };
  /** resolves true when the request may run (call `release` when it ends), false if it waited too long or left */
  return {
    release,
    enter: (res: http.ServerResponse) =>
      new Promise<boolean>((resolve) => {
        if (running < limit) {
          running++;
          return resolve(true);
        }
        const turn = () => {
          clearTimeout(timer);
          res.off('close', left);
          running++;
          resolve(true);
        };
        const drop = () => {
          const i = queue.indexOf(turn);
          if (i >= 0) queue.splice(i, 1);
          res.off('close', left);
          resolve(false);
        };
        const timer = setTimeout(drop, waitMs);
        const left = () => {
          clearTimeout(timer);
          drop();
        };
        res.once('close', left);
        queue.push(turn);
      }),
  };
}

export async function startWebhookServer(
  deps: WebhookDeps,
  port = 0,
  host = '127.0.0.1',
  idleTimeoutMs = CLIENT_IDLE_TIMEOUT_MS,
  admissionWaitMs = ADMISSION_WAIT_MS,
): Promise<WebhookServer> {
  const gate = admission(Math.max(1, Math.floor((deps.db.pool.options.max ?? 10) / 2)), admissionWaitMs);
  const server = http.createServer((req, res) => {
    void gate.enter(res).then((admitted) => {
      // the turn ends when the request's work does (its connections are back), not when the client hangs up
      if (admitted) return serve(req, res).finally(gate.release);
      if (res.destroyed) return;
      const busy = new ServiceUnavailableError('The service is busy; retry shortly', 5);
      const response = errorResponse(classifyError(busy), randomUUID());
      res
        .writeHead(503, {
          ...(response.headers as Record<string, string>),
          'retry-after': String(busy.retryAfterSeconds),
          'cache-control': 'no-store',
        })
        .end(response.body);
    });
  });
  const serve = (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return (isODataPath(url.pathname) ? serveOData : serveWebhook)(
      deps,
      {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.search.slice(1),
        headers,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
        requestId: randomUUID(),
      },
      {
        head(status, responseHeaders) {
          res.writeHead(status, responseHeaders);
          if (req.method === 'HEAD') {
            // HEAD: headers only; the body the core writes goes nowhere
            res.end();
            return new Writable({ write: (_c, _e, cb) => cb() });
          }
          return res;
        },
      },
    ).then(
      () => {},
      (err: unknown) => {
        deps.onServerError?.(err, 'webhook-server');
        res.destroy();
      },
    );
  };
  // the socket's inactivity timer: a stalled reader (full buffers, nothing drains) is destroyed, which
  // destroys the response and ends the cursor or COPY feeding it. Armed once per connection: a keep-alive
  // connection carries many requests, and a timer per request would pile listeners on its socket.
  server.on('connection', (socket) => socket.setTimeout(idleTimeoutMs, () => socket.destroy()));
  // a long export must not be cut by Node's default request timeout
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
