// The management API on the local runner: the same handlers as the Lambdas, served by api-server.ts,
// with dependencies built from the environment earlier services published (database, dynalite,
// cognito-local), exactly as a Lambda builds them from its own environment.
import { createAdapters } from '@tributary/shared/config/adapters';
import { apiConfigOf, loadConfig, loadLocalRunnerSettings } from '@tributary/shared/config/config';
import { createApiDeps } from '../../functions/src/api-deps';
import { managementApiRoutes } from '../../functions/src/api-routes';
import { startApiServer } from './api-server';
import type { LocalService } from './runner';

export const LOCAL_API_PORT = 3000;

export function apiService(options: { port?: number } = {}): LocalService {
  return {
    name: 'api',
    async start(ctx) {
      const port = options.port ?? loadLocalRunnerSettings().ports.api ?? LOCAL_API_PORT;
      // the OAuth redirect URI defaults to the dashboard's /oauth/callback page (config.ts)
      const config = loadConfig(ctx.env);
      const adapters = createAdapters(config);
      // the platform sandboxes started earlier published where they listen (TRIBUTARY_PLATFORM_BASE_URLS) and
      // their demo OAuth apps (TRIBUTARY_GOOGLE_CLIENT_ID, TRIBUTARY_META_CLIENT_ID, …); config.ts reads them
      const deps = createApiDeps(adapters);
      const server = await startApiServer({
        routes: managementApiRoutes(deps),
        port,
        allowedOrigin: apiConfigOf(config).dashboardOrigin,
      });
      ctx.log('api', `management API on ${server.url} (OpenAPI: ${server.url}/api/v1/openapi.json)`);
      return {
        publish: { apiUrl: server.url },
        env: { TRIBUTARY_API_URL: server.url },
        stop: async () => {
          await server.stop();
          await adapters.close();
        },
      };
    },
  };
}
