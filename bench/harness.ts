// The contract of `npm run bench`: each suite in bench/suites/*.bench.ts default-exports a BenchSuite.
// A figure is always measured beside its baseline in the same run, so the ratio means something on any machine.
export interface BenchFigure {
  figure: string;
  ours: number;
  baseline: number;
  unit: string;
  /** how ours compares to the baseline, oriented so that bigger is better unless `goal` says otherwise */
  ratio: number;
  /** the target, in words, e.g. "ratio >= 0.8" */
  goal: string;
}

export interface BenchContext {
  /** superuser URL of a scratch PostgreSQL the suite may create databases in */
  adminUrl: string;
  log(message: string): void;
}

export interface BenchSuite {
  name: string;
  run(ctx: BenchContext): Promise<BenchFigure[]>;
}
