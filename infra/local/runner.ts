// The local platform runner: starts each registered service in order, gives later services what earlier
// ones published (endpoints, environment), writes .tributary/local.json, and stops everything in reverse
// on Ctrl-C. A service is a value; registering one is one line in services.ts.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface RunnerContext {
  /** absolute path of .tributary/ (data kept across restarts) */
  homeDir: string;
  /** environment the services have published so far (TRIBUTARY_* variables), for loadConfig */
  env: Record<string, string>;
  /** what earlier services wrote into local.json */
  published: Record<string, unknown>;
  log(service: string, message: string): void;
}

export interface StartedService {
  /** merged into .tributary/local.json */
  publish?: Record<string, unknown>;
  /** merged into the environment later services (and the API's config) see */
  env?: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalService {
  name: string;
  start(ctx: RunnerContext): Promise<StartedService>;
}

export interface RunningPlatform {
  context: RunnerContext;
  localJsonPath: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Ctrl-C while starting: the services started so far are stopped (in reverse) and start rejects */
  signal?: AbortSignal;
  /** how long one service may take to stop before the runner gives up on it and stops the rest */
  stopTimeoutMs?: number;
}

/** A Ctrl-C arrived before every service had started; whatever had started was stopped again. */
export class StartInterrupted extends Error {
  constructor() {
    super('stopped before every service had started');
    this.name = 'StartInterrupted';
  }
}

const STOP_TIMEOUT_MS = 15_000;

export async function startPlatform(
  services: readonly LocalService[],
  homeDir: string,
  log = defaultLog,
  options: StartOptions = {},
): Promise<RunningPlatform> {
  const home = path.resolve(homeDir);
  // 0711: PostgreSQL runs as its own system user (never as root) and must reach .tributary/pg;
  // everything secret inside is 0600 on its own.
  await mkdir(home, { recursive: true });
  await chmod(home, 0o711);
  const ctx: RunnerContext = {
    homeDir: home,
    env: { TRIBUTARY_ENV: 'local', TRIBUTARY_HOME: home },
    published: {},
    log,
  };
  const started: { name: string; service: StartedService }[] = [];
  const localJsonPath = path.join(home, 'local.json');

  const stopAll = async () => {
    await rm(localJsonPath, { force: true });
    const limit = options.stopTimeoutMs ?? STOP_TIMEOUT_MS;
    for (const { name, service } of started.reverse()) {
      // one service that never finishes stopping must not keep the ones before it (PostgreSQL last) running
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), limit);
        timer.unref();
      });
      try {
        const outcome = await Promise.race([service.stop().then(() => 'stopped' as const), gaveUp]);
        log(
          'runner',
          outcome === 'stopped'
            ? `stopped ${name}`
            : `${name} did not stop within ${limit >= 1000 ? `${Math.round(limit / 1000)} s` : `${limit} ms`}; going on without it`,
        );
      } catch (err) {
        log('runner', `stopping ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        clearTimeout(timer);
      }
    }
    started.length = 0;
  };

  try {
    for (const s of services) {
      log('runner', `starting ${s.name}`);
      const service = await s.start(ctx);
      started.push({ name: s.name, service });
      Object.assign(ctx.published, service.publish ?? {});
      Object.assign(ctx.env, service.env ?? {});
      if (options.signal?.aborted) throw new StartInterrupted();
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  await writeFile(
    localJsonPath,
    JSON.stringify({ startedAt: new Date().toISOString(), ...ctx.published }, null, 2) + '\n',
    { mode: 0o600 },
  );
  return { context: ctx, localJsonPath, stop: stopAll };
}

function defaultLog(service: string, message: string): void {
  process.stdout.write(`[${service}] ${message}\n`);
}
