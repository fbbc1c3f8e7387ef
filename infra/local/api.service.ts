// The management API on the local runner: the same handlers as the Lambdas, served by api-server.ts,
// with dependencies built from the environment earlier services published (database, dynalite,
// cognito-local), exactly as a Lambda builds them from its own environment.
import { createAdapters } from '@tributary/shared/config/adapters';
import { loadConfig } from '@tributary/shared/config/config';
import { createApiDeps } from '../../functions/src/api-deps';
import { managementApiRoutes } from '../../functions/src/api-routes';
import { startApiServer } from './api-server';
import type { LocalService } from './runner';

export const LOCAL_API_PORT = 3000;

export function apiService(options: { port?: number } = {}): LocalService {
  return {
    name: 'api',
    async start(ctx) {
      const port = options.port ?? Number(process.env.TRIBUTARY_API_PORT ?? LOCAL_API_PORT);
      const apiUrl = `http://127.0.0.1:${port}`;
      const env = { ...ctx.env, TRIBUTARY_OAUTH_REDIRECT_URI: ctx.env.TRIBUTARY_OAUTH_REDIRECT_URI ?? `${apiUrl}/api/v1/oauth/callback` };
      const config = loadConfig(env);
      const adapters = createAdapters(config);
      // the platform sandboxes started earlier publish where they listen and their demo OAuth app
      const connectorBaseUrls = ctx.env.TRIBUTARY_PLATFORM_BASE_URLS ? (JSON.parse(ctx.env.TRIBUTARY_PLATFORM_BASE_URLS) as Record<string, string>) : {};
      const google = ctx.env.TRIBUTARY_GOOGLE_CLIENT_ID && ctx.env.TRIBUTARY_GOOGLE_CLIENT_SECRET
        ? { clientId: ctx.env.TRIBUTARY_GOOGLE_CLIENT_ID, clientSecret: ctx.env.TRIBUTARY_GOOGLE_CLIENT_SECRET, ...(ctx.env.TRIBUTARY_GOOGLE_ADS_DEVELOPER_TOKEN ? { developerToken: ctx.env.TRIBUTARY_GOOGLE_ADS_DEVELOPER_TOKEN } : {}) }
        : undefined;
      const deps = createApiDeps(adapters, { connectorBaseUrls, oauthClients: google ? { google_ads: google, ga4: google } : {} });
      const server = await startApiServer({ routes: managementApiRoutes(deps), port, allowedOrigin: config.api.dashboardOrigin });
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
