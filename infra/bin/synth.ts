// `npm run synth [-- -c env=prod …]`: cdk synth from the repository root with the arguments given. npm hands
// everything after `--` to this script, so `-c` reaches cdk instead of being read as npm's own option (as it
// was when the root script ran `npm run synth -w infra`). Without an env context, TRIBUTARY_ENV or dev.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthEnvironmentName } from '@tributary/shared/config/config';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const namesEnv = (arg: string, next: string | undefined) =>
  ((arg === '-c' || arg === '--context') && next?.startsWith('env=')) || /^--context=env=|^-c=?env=/.test(arg);
const hasEnv = args.some((arg, i) => namesEnv(arg, args[i + 1]));
const cdk = path.join(repoRoot, 'node_modules', '.bin', 'cdk');
const cdkArgs = ['synth', '--quiet', ...(hasEnv ? [] : ['-c', `env=${synthEnvironmentName()}`]), ...args];
const result = spawnSync(cdk, cdkArgs, { cwd: repoRoot, stdio: 'inherit' });
process.exit(result.status ?? 1);
