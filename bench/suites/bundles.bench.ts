// The deployment's bundles (issue 21 §3), from the rehearsal (infra/rehearsal/rehearse.ts): the dev stack
// synthesized with its real bundles, each function started alone from its asset.
//  - each function's deployment zip size against its goal: API route bundles ≤ 1 MB, pipeline ≤ 3 MB;
//  - each function's init against a minimal bundle's (a handler that imports nothing), started the same way:
//    goal ≤ 3× for the API route bundles, reported for the others. Init is what Lambda reports as Init Duration: from the runtime's process starting to the handler
//    being ready (the runtime's own start, then loading the function's module and what its module scope builds);
//  - the module load alone (the runtime's import of the handler module) against the minimal bundle's, reported
//    beside it: an empty module loads in about a millisecond, so this ratio measures the bundle, not the goal.
// Each time is the median of COLD_STARTS fresh processes per function, and its baseline the median of as many
// minimal-bundle starts alternating with them (both see the machine in the same state). CDK's own provider
// functions are left out (not our bundles).
import { rehearse } from '../../infra/rehearsal/rehearse';
import type { BenchFigure, BenchSuite } from '../harness';

const MB = 1024 * 1024;
const COLD_STARTS = 5;

/** The size goal of a function by what it is. */
function sizeGoalMb(logicalId: string): number | undefined {
  if (/^Api[A-Za-z]+Function/.test(logicalId)) return 1;
  if (/^Pipeline[A-Za-z]+Function/.test(logicalId)) return 3;
  return undefined;
}

const suite: BenchSuite = {
  name: 'bundles',
  async run({ log }) {
    const result = await rehearse({ log, coldStarts: COLD_STARTS });
    if (result.failures.length) log(`the rehearsal reported failures:\n- ${result.failures.join('\n- ')}`);
    const figures: BenchFigure[] = [];
    for (const f of result.functions.filter((x) => !x.cdkProvided)) {
      const name = f.logicalId.replace(/[A-F0-9]{8}$/, '');
      const goalMb = sizeGoalMb(f.logicalId);
      const zippedMb = f.zippedBytes / MB;
      figures.push({
        figure: `${name} zipped bundle`,
        ours: zippedMb,
        baseline: goalMb ?? zippedMb,
        unit: 'MB',
        ratio: goalMb ? zippedMb / goalMb : 1,
        goal: goalMb ? `ours <= ${goalMb} MB (ratio <= 1)` : 'reported',
      });
      if (f.initDurationMs !== undefined && f.minimal) {
        figures.push({
          figure: `${name} init (process start to handler ready, median of ${COLD_STARTS}) vs a minimal bundle`,
          ours: f.initDurationMs,
          baseline: f.minimal.initDurationMs,
          unit: 'ms',
          ratio: f.initDurationMs / f.minimal.initDurationMs,
          // the issue sets it for the API route bundles; the others are reported against the same yardstick
          goal: /^Api[A-Za-z]+Function/.test(f.logicalId) ? 'ratio <= 3' : 'reported',
        });
      }
      if (f.moduleLoadMs !== undefined && f.minimal) {
        figures.push({
          figure: `${name} module load alone vs a minimal bundle's`,
          ours: f.moduleLoadMs,
          baseline: f.minimal.moduleLoadMs,
          unit: 'ms',
          ratio: f.moduleLoadMs / f.minimal.moduleLoadMs,
          goal: 'reported',
        });
      }
    }
    return figures;
  },
};

export default suite;
