// `npm start`: Tributary on a laptop. Starts the registered services, prints where everything is, and
// stops them all on Ctrl-C (or SIGTERM).
import { listConnectors } from '@tributary/connectors/registry';
import { apiVersionWarnings } from '@tributary/connectors/runtime/api-versions';
import { startPlatform, StartInterrupted } from './runner';
import { LOCAL_SERVICES } from './services';
import { loadLocalRunnerSettings } from '@tributary/shared/config/config';

const homeDir = loadLocalRunnerSettings().homeDir;

async function main() {
  // Ctrl-C is handled from the first moment: during start-up it stops what has started so far, so no
  // PostgreSQL or cognito-local is left running behind a process that died half-way
  const interrupted = new AbortController();
  let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping…\n`);
    interrupted.abort();
    // before start-up has finished, startPlatform itself stops what it started (see below)
    if (!platform) return;
    await platform.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    platform = await startPlatform(LOCAL_SERVICES, homeDir, undefined, { signal: interrupted.signal });
  } catch (err) {
    // after Ctrl-C, whatever failed half-way (PostgreSQL saw the signal too) is not news: everything is stopped
    if (stopping || err instanceof StartInterrupted) process.exit(0);
    process.stderr.write(`\nTributary did not start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  if (stopping) {
    // the signal came while the last service was starting
    await platform.stop();
    process.exit(0);
  }
  // a pinned platform API version within 90 days of its sunset: said where the developer looks
  for (const w of apiVersionWarnings(listConnectors(), new Date())) process.stdout.write(`\nWarning: ${w.message}\n`);
  process.stdout.write(`\nTributary is running. Endpoints: ${platform.localJsonPath}\nPress Ctrl-C to stop.\n`);
}

void main();
