// The dashboard on the local runner: builds the SPA once (cached by a hash of its sources, so a second
// `npm start` skips the build), serves it with SPA fallback routing, and answers /config.json with the
// endpoints the services after it publish (read at request time, since the API and Cognito start later).
// Starts before the API so the API's CORS and OAuth return address can name this origin.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalService, RunnerContext } from './runner';
import { loadLocalRunnerSettings } from '@tributary/shared/config/config';

export const LOCAL_WEB_PORT = 5173;
export const FRONTEND_DIR = fileURLToPath(new URL('../../frontend/', import.meta.url));
const DIST = path.join(FRONTEND_DIR, 'dist');
const STAMP = path.join(DIST, '.source-hash');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

/** A hash of everything the bundle is built from: the sources, index.html, the Vite config and the lock file. */
export async function frontendSourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [
    ...(await filesUnder(path.join(FRONTEND_DIR, 'src'))).filter((f) => !f.endsWith('.test.ts')),
    ...(existsSync(path.join(FRONTEND_DIR, 'public')) ? await filesUnder(path.join(FRONTEND_DIR, 'public')) : []),
    path.join(FRONTEND_DIR, 'index.html'),
    path.join(FRONTEND_DIR, 'vite.config.ts'),
    path.join(FRONTEND_DIR, 'package.json'),
    path.join(FRONTEND_DIR, '..', 'package-lock.json'),
  ].sort();
  for (const f of inputs) {
    hash.update(path.relative(FRONTEND_DIR, f));
    hash.update(await readFile(f));
  }
  return hash.digest('hex');
}

let building: Promise<void> | null = null;

const LOCK = path.join(FRONTEND_DIR, '.build.lock');

/** A lock file across processes (test files run in parallel, each with its own runner); a stale one is taken over. */
async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await writeFile(LOCK, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const age = Date.now() - ((await stat(LOCK).catch(() => null))?.mtimeMs ?? 0);
      if (age > 5 * 60_000) await rm(LOCK, { force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(LOCK, { force: true });
  }
}

/** Builds frontend/dist unless it was built from these very sources. */
export function ensureFrontendBuilt(log: (m: string) => void = () => undefined): Promise<void> {
  building ??= withBuildLock(async () => {
    const want = await frontendSourceHash();
    if (
      existsSync(STAMP) &&
      (await readFile(STAMP, 'utf8')).trim() === want &&
      existsSync(path.join(DIST, 'index.html'))
    ) {
      log('dashboard build is up to date');
      return;
    }
    log('building the dashboard (once per source change)…');
    const started = Date.now();
    const { build } = await import('vite');
    await build({ configFile: path.join(FRONTEND_DIR, 'vite.config.ts'), root: FRONTEND_DIR, logLevel: 'warn' });
    await writeFile(STAMP, want + '\n');
    log(`dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }).finally(() => {
    building = null;
  });
  return building;
}

/** What /config.json answers: the endpoints as the runner's services published them. */
export function runtimeConfigFrom(ctx: Pick<RunnerContext, 'published'>): Record<string, unknown> {
  const p = ctx.published as {
    apiUrl?: string;
    progressUrl?: string;
    webhookUrl?: string;
    cognito?: { endpoint: string; userPoolId: string; clientId: string };
  };
  return {
    environment: 'local',
    apiUrl: p.apiUrl,
    progressUrl: p.progressUrl,
    webhookUrl: p.webhookUrl,
    cognito: p.cognito
      ? {
          userPoolId: p.cognito.userPoolId,
          clientId: p.cognito.clientId,
          endpoint: p.cognito.endpoint,
          authFlow: 'USER_PASSWORD_AUTH',
        }
      : undefined,
  };
}

export interface WebServer {
  url: string;
  stop(): Promise<void>;
}

export async function startWebServer(options: {
  port: number;
  host?: string;
  config: () => Record<string, unknown>;
}): Promise<WebServer> {
  const root = path.resolve(DIST);
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://local');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (url.pathname === '/config.json') {
        res
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(JSON.stringify(options.config()));
        return;
      }
      let file = path.resolve(root, '.' + decodeURIComponent(url.pathname));
      const inside = file === root || file.startsWith(root + path.sep);
      const found = inside && (await stat(file).catch(() => null))?.isFile();
      // SPA fallback: any path that is not a file is a dashboard route
      if (!found) file = path.join(root, 'index.html');
      const hashed = file.includes(`${path.sep}assets${path.sep}`);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'strict-origin-when-cross-origin',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
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

export function webService(options: { port?: number } = {}): LocalService {
  return {
    name: 'web',
    async start(ctx) {
      await ensureFrontendBuilt((m) => ctx.log('web', m));
      const port = options.port ?? loadLocalRunnerSettings().ports.web ?? LOCAL_WEB_PORT;
      const server = await startWebServer({ port, config: () => runtimeConfigFrom(ctx) });
      ctx.log('web', `dashboard on ${server.url}`);
      return {
        publish: { webUrl: server.url },
        env: { TRIBUTARY_DASHBOARD_ORIGIN: server.url },
        stop: server.stop,
      };
    },
  };
}
