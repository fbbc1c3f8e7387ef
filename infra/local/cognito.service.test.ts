// The local Cognito stand-in's lifecycle: a Ctrl-C reaches the whole process group, cognito-local included,
// so the runner's stop must also finish when the child has already ended on that signal.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { startCognitoLocal } from './cognito.service';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('startCognitoLocal', () => {
  it('when cognito-local already ended on a signal (Ctrl-C to the process group), stop still finishes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-cognito-'));
    dirs.push(dir);
    const cognito = await startCognitoLocal({ port: await freePort(), dataDir: dir });
    expect(cognito.pid).toBeTypeOf('number');
    process.kill(cognito.pid!, 'SIGINT');
    // wait until the process is gone (signal 0 probes without sending anything)
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(cognito.pid!, 0);
      } catch {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stopped = await Promise.race([
      cognito.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5_000)),
    ]);
    expect(stopped).toBe('stopped');
  }, 60_000);
});
