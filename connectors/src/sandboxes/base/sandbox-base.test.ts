// Covers the reusable sandbox parts: exact scaled decimals, late-settling numbers, the fault board, and
// the control surface every platform sandbox gets (faults, clock, truth, request counter).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { googleWorlds } from '../google/google-sandbox';
import { settledPart } from './ad-world';
import { FaultBoard, type ArmedFault } from './faults';
import { formatScaled } from './scaled';
import { SandboxControl, startSandbox, type RunningSandbox } from './sandbox-server';

describe('sandbox building blocks', () => {
  it('when formatting minor units, it is exact at any size', () => {
    expect(formatScaled(31269, 2)).toBe('312.69');
    expect(formatScaled(5n, 6)).toBe('0.000005');
    expect(formatScaled(-1500, 2)).toBe('-15');
    expect(formatScaled(123456789012345678901234567890n, 2)).toBe('1234567890123456789012345678.9');
  });

  it('when a day is recent, its number grows with each later call until it settles, and never shrinks', () => {
    const seen = [0, 1, 2, 3, 4].map((version) => settledPart(100, '2026-11-23', '2026-11-23', version, 3));
    expect(seen).toEqual([25, 50, 75, 100, 100]);
    expect(settledPart(100, '2026-11-01', '2026-11-23', 0, 3)).toBe(100);
  });

  it('when the calendar moves on, new days arrive and the settled past keeps its numbers (a fixed shape anchor)', () => {
    let today = '2026-12-01';
    const { ads } = googleWorlds('calendar', () => today, { anchor: '2026-11-23' });
    const totals = (from: string, to: string) => {
      const byDay = new Map<string, number>();
      for (const d of ads.deliveries('1234567890', from, to))
        byDay.set(d.day, (byDay.get(d.day) ?? 0) + d.m.costMinor * 1e6 + d.m.impressions + d.m.conversionsCentis);
      return byDay;
    };
    const before = totals('2026-10-01', '2026-12-10');
    expect(Math.max(...[...before.keys()].map((d) => Date.parse(d)))).toBe(Date.parse('2026-12-01')); // nothing after today
    today = '2026-12-09';
    const after = totals('2026-10-01', '2026-12-10');
    expect([...after.keys()].sort().at(-1)).toBe('2026-12-09'); // the new days are there
    // every day settled before the move has the same numbers (conversions of the last days kept settling)
    for (const [day, v] of before) if (day <= '2026-11-25') expect(after.get(day), day).toBe(v);
    // a world fixed to the same anchor with a fixed today agrees on the shared past: restarts change nothing
    const { ads: restarted } = googleWorlds('calendar', '2026-12-09', { anchor: '2026-11-23' });
    let same = 0;
    for (const d of restarted.deliveries('1234567890', '2026-11-01', '2026-11-20')) same += d.m.costMinor;
    let first = 0;
    for (const d of ads.deliveries('1234567890', '2026-11-01', '2026-11-20')) first += d.m.costMinor;
    expect(same).toBe(first);
  });

  it('when a fault has a count, it disarms after that many uses', () => {
    const board = new FaultBoard<ArmedFault>([{ kind: 'rate_limit', times: 2 }]);
    expect(board.take('rate_limit')).toBeDefined();
    expect(board.take('rate_limit')).toBeDefined();
    expect(board.take('rate_limit')).toBeUndefined();
  });
});

describe('sandbox control surface', () => {
  let sandbox: RunningSandbox;
  let control: SandboxControl;
  let version = 0;
  const faults = new FaultBoard<ArmedFault>();
  beforeAll(async () => {
    sandbox = await startSandbox({
      name: 'test',
      faults,
      faultSchema: z.object({ kind: z.literal('server_error'), times: z.number().optional() }) as z.ZodType<ArmedFault>,
      routes: [
        {
          name: 'ping',
          method: 'GET',
          path: /^\/ping$/,
          handle: () =>
            faults.take('server_error') ? { status: 503, json: { error: 'down' } } : { status: 200, json: { version } },
        },
      ],
      truth: (q) => ({ asked: q.get('day') }),
      advance: (n) => (version += n),
    });
    control = new SandboxControl(sandbox.url);
  });
  afterAll(() => sandbox.stop());

  it('when faults are armed, platform calls fail as told and are counted; control calls are not', async () => {
    await control.arm({ kind: 'server_error', times: 1 });
    expect((await fetch(`${sandbox.url}/ping`)).status).toBe(503);
    expect((await fetch(`${sandbox.url}/ping`)).status).toBe(200);
    expect(await control.requests()).toEqual({ total: 2, byRoute: { ping: 2 } });
    await expect(control.arm({ kind: 'nonsense' })).rejects.toThrow(/400/);
  });

  it('when the clock advances, the platform sees the new version; truth answers its query', async () => {
    expect(await control.advance(2)).toBe(2);
    expect(await (await fetch(`${sandbox.url}/ping`)).json()).toEqual({ version: 2 });
    expect(await control.truth({ day: '2026-11-23' })).toEqual({ asked: '2026-11-23' });
  });
});
