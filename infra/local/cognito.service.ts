// cognito-local as the runner's identity provider: a child process (it reads its config and keeps its
// data under its working directory, .tributary/cognito/), a user pool and the scripts' app client
// created on first start and reused afterwards, and a demo user whose email and password go to local.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CognitoLocalAdmin, type PoolIds } from '@tributary/shared/adapters/cognito-local-admin';
import { inheritedEnvironment, loadLocalRunnerSettings } from '@tributary/shared/config/config';
import { assertPortFree } from '@tributary/shared/local/embedded-postgres';
import type { LocalService } from './runner';

export const LOCAL_COGNITO_PORT = 9229;

export interface CognitoLocalHandle {
  endpoint: string;
  userPoolId: string;
  clientId: string;
  admin: CognitoLocalAdmin;
  /** the cognito-local process */
  pid: number | undefined;
  stop(): Promise<void>;
}

async function waitUntilUp(admin: CognitoLocalAdmin, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`cognito-local exited with ${child.exitCode ?? child.signalCode}: ${output().slice(-2000)}`);
    try {
      await admin.probe();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`cognito-local did not answer within two minutes: ${output().slice(-2000)}`);
}

async function ensurePool(admin: CognitoLocalAdmin, idsFile: string): Promise<PoolIds> {
  if (existsSync(idsFile)) {
    const ids = JSON.parse(await readFile(idsFile, 'utf8')) as PoolIds;
    // the pool's data may have been removed: then make a new one
    if (await admin.hasClient(ids)) return ids;
  }
  const ids = await admin.createPool();
  await writeFile(idsFile, JSON.stringify(ids, null, 2) + '\n', { mode: 0o600 });
  return ids;
}

export async function startCognitoLocal(options: { port: number; dataDir: string }): Promise<CognitoLocalHandle> {
  await assertPortFree(options.port, 'cognito-local');
  await mkdir(path.join(options.dataDir, '.cognito'), { recursive: true, mode: 0o700 });
  const entry = createRequire(import.meta.url).resolve('cognito-local/lib/bin/start.js');
  let output = '';
  const child = spawn(process.execPath, [entry], {
    cwd: options.dataDir,
    // HOST and PORT also set the issuer (http://HOST:PORT/<pool id>) the tokens carry
    env: { ...inheritedEnvironment(), HOST: '127.0.0.1', PORT: String(options.port), DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // cognito-local logs confirmation codes and request bodies (passwords): keep them in memory for
  // start-up diagnostics only, never on disk or the runner's console
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const endpoint = `http://127.0.0.1:${options.port}`;
  const admin = new CognitoLocalAdmin(endpoint);
  const stop = async () => {
    admin.destroy();
    // gone already: Ctrl-C reaches the whole process group, so cognito-local may have ended on the signal
    // itself (then exitCode stays null and signalCode says which), and 'exit' will not fire again
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  };
  try {
    await waitUntilUp(admin, child, () => output);
    const ids = await ensurePool(admin, path.join(options.dataDir, 'pool.json'));
    return { endpoint, ...ids, admin, pid: child.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The demo account: created once, its password kept (0600) so it survives restarts. */
async function ensureDemoUser(handle: CognitoLocalHandle, file: string): Promise<{ email: string; password: string }> {
  // the address counts as verified, or the dashboard's sign-in stops at "verify your contact information"
  const verify = (email: string) => handle.admin.setEmail(handle, email, email, true);
  if (existsSync(file)) {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { email: string; password: string };
    await verify(saved.email);
    return saved;
  }
  const demo = { email: 'demo@tributary.local', password: `Demo-${randomBytes(9).toString('base64url')}1a` };
  try {
    await handle.admin.createConfirmedUser(handle, demo.email, demo.password);
  } catch (error) {
    if ((error as { name?: string }).name !== 'UsernameExistsException') throw error;
    throw new Error(
      `the demo user exists in cognito-local but its password file ${file} is gone; delete ${path.dirname(file)} to start over`,
    );
  }
  await writeFile(file, JSON.stringify(demo) + '\n', { mode: 0o600 });
  return demo;
}

export function cognitoService(options: { port?: number } = {}): LocalService {
  return {
    name: 'cognito-local',
    async start(ctx) {
      const port = options.port ?? loadLocalRunnerSettings().ports.cognito ?? LOCAL_COGNITO_PORT;
      const dataDir = path.join(ctx.homeDir, 'cognito');
      const cognito = await startCognitoLocal({ port, dataDir });
      try {
        const demoUser = await ensureDemoUser(cognito, path.join(dataDir, 'demo-user.json'));
        ctx.log(
          'cognito-local',
          `Cognito on ${cognito.endpoint}, pool ${cognito.userPoolId}, demo user ${demoUser.email}`,
        );
        return {
          publish: {
            cognito: { endpoint: cognito.endpoint, userPoolId: cognito.userPoolId, clientId: cognito.clientId },
            demoUser,
          },
          env: {
            TRIBUTARY_COGNITO_ENDPOINT: cognito.endpoint,
            TRIBUTARY_USER_POOL_ID: cognito.userPoolId,
            TRIBUTARY_USER_POOL_CLIENT_ID: cognito.clientId,
          },
          stop: cognito.stop,
        };
      } catch (error) {
        await cognito.stop();
        throw error;
      }
    },
  };
}
