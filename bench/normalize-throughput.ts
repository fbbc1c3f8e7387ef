// The connectors' "normalize throughput" figure, shared by the connector suites: a connector's normalize
// of its extracted pages against JSON.parse of the same pages' text (what any consumer of the API pays).
// The two sides alternate round by round and each is the median of its rounds: a round is a few
// milliseconds, and a GC pause that lands in one of them (the other suites' heap is still around) would
// otherwise decide the figure.
import { performance } from 'node:perf_hooks';
import type { Connector, RawPage, RecordMeta } from '../connectors/src/contract';
import type { BenchFigure } from './harness';

const ROUNDS = 41;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

export function normalizeThroughput(
  name: string,
  connector: Pick<Connector<unknown>, 'normalize'>,
  pages: readonly { page: RawPage; meta: RecordMeta }[],
): BenchFigure {
  const texts = pages.map(({ page }) => JSON.stringify(page.body));
  let rows = 0;
  for (const { page, meta } of pages) rows += connector.normalize(page, meta).length;
  const parseRound = () => {
    const t = performance.now();
    for (const text of texts) JSON.parse(text);
    return performance.now() - t;
  };
  const normalizeRound = () => {
    const t = performance.now();
    for (const { page, meta } of pages) connector.normalize(page, meta);
    return performance.now() - t;
  };
  // warm both paths, then alternate
  for (let r = 0; r < 3; r++) {
    parseRound();
    normalizeRound();
  }
  const parseMs: number[] = [];
  const normalizeMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    parseMs.push(parseRound());
    normalizeMs.push(normalizeRound());
  }
  const ours = rows / (median(normalizeMs) / 1000);
  const baseline = rows / (median(parseMs) / 1000);
  return {
    figure: `${name} normalize throughput (${rows} rows; medians of ${ROUNDS} alternating rounds)`,
    ours,
    baseline,
    unit: 'rows/s',
    ratio: ours / baseline,
    goal: 'ratio >= 0.5 of JSON.parse of the same pages',
  };
}
