// The runner's start and stop order under interruption: a Ctrl-C during start-up stops what had started, and
// a service that never finishes stopping does not keep the services before it (PostgreSQL last) running.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlatform, StartInterrupted, type LocalService } from './runner';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function home() {
  const d = await mkdtemp(path.join(os.tmpdir(), 'tributary-runner-'));
  dirs.push(d);
  return d;
}

/** A service that records its start and stop in `events`; `onStart` runs while it is starting. */
function service(
  name: string,
  events: string[],
  behaviour: { onStart?: () => void; stop?: () => Promise<void> } = {},
): LocalService {
  return {
    name,
    start: async () => {
      events.push(`start ${name}`);
      behaviour.onStart?.();
      return { stop: behaviour.stop ?? (async () => void events.push(`stop ${name}`)) };
    },
  };
}

describe('local runner', () => {
  it('when Ctrl-C comes while services are starting, the ones started are stopped in reverse and the rest never start', async () => {
    const events: string[] = [];
    const ctrlC = new AbortController();
    const services = [
      service('postgres', events),
      service('api', events, { onStart: () => ctrlC.abort() }),
      service('demo-data', events),
    ];
    await expect(startPlatform(services, await home(), () => {}, { signal: ctrlC.signal })).rejects.toBeInstanceOf(
      StartInterrupted,
    );
    expect(events).toEqual(['start postgres', 'start api', 'stop api', 'stop postgres']);
  });

  it('when a service never finishes stopping, the runner says so and still stops the services before it', async () => {
    const events: string[] = [];
    const logged: string[] = [];
    const services = [
      service('postgres', events),
      service('stuck', events, { stop: () => new Promise<void>(() => {}) }),
      service('web', events),
    ];
    const platform = await startPlatform(services, await home(), (_s, m) => void logged.push(m), { stopTimeoutMs: 50 });
    await platform.stop();
    expect(events).toEqual(['start postgres', 'start stuck', 'start web', 'stop web', 'stop postgres']);
    expect(logged).toContain('stuck did not stop within 50 ms; going on without it');
  });
});
