// `npm start`: Tributary on a laptop. Starts the registered services, prints where everything is, and
// stops them all on Ctrl-C (or SIGTERM).
import { listConnectors } from '@tributary/connectors/registry';
import { apiVersionWarnings } from '@tributary/connectors/runtime/api-versions';
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
  // a pinned platform API version within 90 days of its sunset: said where the developer looks
  for (const w of apiVersionWarnings(listConnectors(), new Date())) process.stdout.write(`\nWarning: ${w.message}\n`);
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
