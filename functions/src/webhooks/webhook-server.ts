// The local shell around serveWebhook: a plain Node HTTP server. Node sends the body chunked as the
// writers produce it, which is what the Lambda function URL's response streaming does in AWS.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { isODataPath, serveOData } from './odata/serve-odata';
import { serveWebhook, type WebhookDeps } from './serve-webhook';

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

/** A client that neither reads nor sends for this long is cut off, so its connection and cursor are freed. */
export const CLIENT_IDLE_TIMEOUT_MS = 120_000;

export async function startWebhookServer(deps: WebhookDeps, port = 0, host = '127.0.0.1', idleTimeoutMs = CLIENT_IDLE_TIMEOUT_MS): Promise<WebhookServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    void (isODataPath(url.pathname) ? serveOData : serveWebhook)(
      deps,
      { method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers, sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, ''), requestId: randomUUID() },
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
    ).catch((err: unknown) => {
      deps.onServerError?.(err, 'webhook-server');
      res.destroy();
    });
  });
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
