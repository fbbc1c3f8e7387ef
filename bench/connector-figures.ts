// What the connector suites share besides normalize throughput: the "requests" figure (calls made against the
// minimum the platform's paging and report flow allow) and a logger that keeps the bench output to its figures.
import type { RawPage, RecordMeta } from '../connectors/src/contract';
import type { BenchFigure } from './harness';

/** Raw pages as extracted, each with the meta normalize reads them with. */
export type ExtractedPages = { page: RawPage; meta: RecordMeta }[];

const quiet = () => undefined;
export const quietLogger = { debug: quiet, info: quiet, warn: quiet, error: quiet };

/** `how` says what the minimum counts, e.g. 'one searchStream per account and window'. */
export function requestsFigure(figure: string, ours: number, minimum: number, how: string): BenchFigure {
  return {
    figure,
    ours,
    baseline: minimum,
    unit: 'requests',
    ratio: ours / minimum,
    goal: `ratio <= 1.1 (lower is better; minimum: ${how})`,
  };
}
