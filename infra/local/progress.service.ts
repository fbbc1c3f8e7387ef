// Live progress on the local runner: the WebSocket server clients watch runs on (ws://127.0.0.1:3002/ws/v1/progress),
// started before the API so the API's pipeline publishes into it (TRIBUTARY_PROGRESS_PUBLISH_URL and a
// key made fresh at each start; config.ts turns them into the local-websocket progress adapter).
import { randomBytes } from 'node:crypto';
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadConfig, loadLocalRunnerSettings } from '@tributary/shared/config/config';
import { UserDirectory } from '@tributary/shared/identity/user-directory';
import { startLocalProgressServer } from '../../functions/src/progress/local-progress-server';
import type { LocalService } from './runner';

export const LOCAL_PROGRESS_PORT = 3002;

export function progressService(options: { port?: number } = {}): LocalService {
  return {
    name: 'progress',
    async start(ctx) {
      const adapters = createAdapters(loadConfig(ctx.env));
      const publishKey = randomBytes(32).toString('base64url');
      const server = await startLocalProgressServer({
        auth: {
          db: adapters.db,
          verifier: adapters.verifier,
          users: new UserDirectory(adapters.db, adapters.identity),
        },
        publishKey,
        port: options.port ?? loadLocalRunnerSettings().ports.progress ?? LOCAL_PROGRESS_PORT,
        log: (m) => ctx.log('progress', m),
      });
      ctx.log('progress', `live progress on ${server.wsUrl} (token in Sec-WebSocket-Protocol: tributary, <token>)`);
      return {
        publish: { progressUrl: server.wsUrl },
        env: { TRIBUTARY_PROGRESS_PUBLISH_URL: server.publishUrl, TRIBUTARY_PROGRESS_PUBLISH_KEY: publishKey },
        stop: async () => {
          await server.stop();
          await adapters.close();
        },
      };
    },
  };
}
