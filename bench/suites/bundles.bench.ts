// The deployment's bundles (issue 21 §3), from the rehearsal (infra/rehearsal/rehearse.ts): the dev stack
// synthesized with its real bundles, each function started alone from its asset.
//  - each function's deployment zip size against its goal: API route bundles ≤ 1 MB, pipeline ≤ 3 MB;
//  - each function's init (loading its bundle and building its dependencies) against a minimal bundle's
//    (a handler that imports nothing) in the same runtime: goal ≤ 3×;
//  - each function's cold start (its process started to its handler ready, which Lambda's Init Duration also
//    counts) against the minimal bundle's, reported beside it.
// CDK's own provider functions are left out (not our bundles).
import { rehearse } from '../../infra/rehearsal/rehearse';
import type { BenchFigure, BenchSuite } from '../harness';

const MB = 1024 * 1024;

/** The size goal of a function by what it is. */
function sizeGoalMb(logicalId: string): number | undefined {
  if (/^Api[A-Za-z]+Function/.test(logicalId)) return 1;
  if (/^Pipeline[A-Za-z]+Function/.test(logicalId)) return 3;
  return undefined;
}

const suite: BenchSuite = {
  name: 'bundles',
  async run({ log }) {
    const result = await rehearse({ log });
    if (result.failures.length) log(`the rehearsal reported failures:\n- ${result.failures.join('\n- ')}`);
    const minimal = result.minimalInitMs ?? NaN;
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
      if (f.initMs !== undefined) {
        figures.push({
          figure: `${name} init vs a minimal bundle`,
          ours: f.initMs,
          baseline: minimal,
          unit: 'ms',
          ratio: f.initMs / minimal,
          goal: 'ratio <= 3',
        });
      }
      if (f.coldStartMs !== undefined && result.minimalColdStartMs !== undefined) {
        figures.push({
          figure: `${name} cold start (process to ready) vs a minimal bundle`,
          ours: f.coldStartMs,
          baseline: result.minimalColdStartMs,
          unit: 'ms',
          ratio: f.coldStartMs / result.minimalColdStartMs,
          goal: 'reported',
        });
      }
    }
    return figures;
  },
};

export default suite;
