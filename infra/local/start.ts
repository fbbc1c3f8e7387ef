// `npm start`: Tributary on a laptop. Starts the registered services, prints where everything is, and
// stops them all on Ctrl-C (or SIGTERM).
import { startPlatform } from './runner';
import { LOCAL_SERVICES } from './services';
import { loadLocalRunnerSettings } from '@tributary/shared/config/config';

const homeDir = loadLocalRunnerSettings().homeDir;

async function main() {
  let platform;
  try {
    platform = await startPlatform(LOCAL_SERVICES, homeDir);
  } catch (err) {
    process.stderr.write(`\nTributary did not start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  process.stdout.write(`\nTributary is running. Endpoints: ${platform.localJsonPath}\nPress Ctrl-C to stop.\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    await platform.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();
