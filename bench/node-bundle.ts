// A bench process that measures its own memory runs as a Lambda would: one esbuild bundle run by plain
// node, so that its resident set is the code's own, not tsx's (whose compiler and caches add ~70 MB).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Bundles bench/<name> into a temporary .mjs file; `dispose` removes it. */
export async function bundleBenchProcess(name: string): Promise<{ file: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-'));
  const file = path.join(dir, `${path.basename(name, '.ts')}.mjs`);
  await build({
    entryPoints: [path.join(BENCH_DIR, name)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: file,
    external: ['pg-native'],
    // CommonJS dependencies bundled into ESM still call require()
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  return { file, dispose: () => rm(dir, { recursive: true, force: true }) };
}
