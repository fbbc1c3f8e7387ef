// The wall no import graph shows: only config reads process.env. Application code, the CDK app, the local
// runner and the rehearsal get settings from shared/src/config/config.ts; the platform sandboxes (test
// doubles) from their one typed settings module. Tests may set up their environment as they need.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOTS = [
  'shared/src',
  'connectors/src',
  'functions/src',
  'infra/bin',
  'infra/lib',
  'infra/local',
  'infra/rehearsal',
  'frontend/src',
];
const READERS = new Set(['shared/src/config/config.ts', 'connectors/src/sandboxes/sandbox-settings.ts']);
const TEST = /(\.test\.tsx?$|^(shared|connectors|functions)\/src\/testing\/)/;

function* files(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.posix.join(dir, e.name);
    if (e.isDirectory()) {
      if (!['node_modules', 'cdk.out', 'dist'].includes(e.name)) yield* files(p);
    } else if (/\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(e.name)) yield p;
  }
}

const breaches = [];
for (const root of ROOTS) {
  for (const file of files(root)) {
    if (READERS.has(file) || TEST.test(file)) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/\bprocess\.env\b/.test(line) && !/^\s*(\/\/|\*)/.test(line))
          breaches.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
}
if (breaches.length) {
  console.error(`process.env is read outside config (${[...READERS].join(', ')}):\n${breaches.join('\n')}`);
  process.exit(1);
}
console.log('✔ process.env is read only by config');
