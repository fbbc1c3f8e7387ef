// `npm run bench [-- --json] [-- --suite <name>[,<name>…]]`: starts a scratch embedded PostgreSQL 17, runs every
// suite in bench/suites/*.bench.ts, and prints each figure beside the baseline measured in the same run.
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort, startEmbeddedPostgres } from '@tributary/shared/local/embedded-postgres';
import type { BenchFigure, BenchSuite } from './harness';

const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.includes('--suite') ? args[args.indexOf('--suite') + 1]?.split(',') : undefined;
const log = (m: string) => process.stderr.write(`${m}\n`);

function print(f: BenchFigure) {
  if (json) {
    process.stdout.write(JSON.stringify(f) + '\n');
    return;
  }
  const n = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
  process.stdout.write(
    `${f.figure}: ours ${n(f.ours)} ${f.unit} | baseline ${n(f.baseline)} ${f.unit} | ratio ${f.ratio.toFixed(2)} | goal ${f.goal}\n`,
  );
}

async function main() {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'suites');
  // a suite's file is <name>.bench.ts; filter before importing, since some suites load heavy SDKs
  const files = (await readdir(dir))
    .filter((f) => f.endsWith('.bench.ts') && (!only || only.includes(f.slice(0, -'.bench.ts'.length))))
    .sort();
  const suites: BenchSuite[] = [];
  for (const f of files) suites.push((await import(pathToFileURL(path.join(dir, f)).href)).default as BenchSuite);
  if (suites.length === 0)
    throw new Error(only ? `no bench suite named ${only.join(' or ')}` : 'no bench suites found');

  const pg = await startEmbeddedPostgres({
    dataDir: path.join(os.tmpdir(), `tributary-bench-pg-${process.pid}`),
    port: await freePort(),
    ephemeral: true,
  });
  let failed = false;
  try {
    for (const suite of suites) {
      log(`# ${suite.name}`);
      try {
        for (const f of await suite.run({ adminUrl: pg.adminUrl, log })) print(f);
      } catch (err) {
        failed = true;
        log(`suite ${suite.name} failed: ${err instanceof Error ? err.stack : String(err)}`);
      }
    }
  } finally {
    await pg.stop();
  }
  process.exit(failed ? 1 : 0);
}

void main();
