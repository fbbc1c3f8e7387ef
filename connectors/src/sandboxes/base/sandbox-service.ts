// Turns a sandbox into a LocalService for the local runner: it starts on its port and publishes its base
// URL into .tributary/local.json under `sandboxes.<key>`, and into TRIBUTARY_PLATFORM_BASE_URLS (a JSON map
// the API's config reads) under each platform key the sandbox stands in for.
import type { RunningSandbox } from './sandbox-server';
import { sandboxSettings } from '../sandbox-settings';

/** The shape of infra/local/runner.ts's LocalService, restated so connectors/ does not depend on infra/. */
export interface SandboxLocalService {
  name: string;
  start(ctx: {
    env: Record<string, string>;
    published: Record<string, unknown>;
    log(service: string, message: string): void;
  }): Promise<{
    publish?: Record<string, unknown>;
    env?: Record<string, string>;
    stop(): Promise<void>;
  }>;
}

export function sandboxService(options: {
  /** local.json key, e.g. 'google' */
  key: string;
  /** the base-URL keys this sandbox serves, e.g. ['google_ads', 'google_oauth', 'ga4_data', 'ga4_admin'] */
  baseUrlKeys: readonly string[];
  start(port: number): Promise<RunningSandbox>;
  defaultPort: number;
  /** further environment the API needs to talk to it (demo OAuth client id and secret) */
  env?: Record<string, string>;
}): SandboxLocalService {
  return {
    name: `sandbox-${options.key}`,
    async start(ctx) {
      const sandbox = await options.start(sandboxSettings(options.key).port ?? options.defaultPort);
      ctx.log(
        `sandbox-${options.key}`,
        `${options.key} platform sandbox on ${sandbox.url} (control: ${sandbox.url}/__sandbox/)`,
      );
      const sandboxes = {
        ...((ctx.published.sandboxes as Record<string, string> | undefined) ?? {}),
        [options.key]: sandbox.url,
      };
      const baseUrls = {
        ...(ctx.env.TRIBUTARY_PLATFORM_BASE_URLS
          ? (JSON.parse(ctx.env.TRIBUTARY_PLATFORM_BASE_URLS) as Record<string, string>)
          : {}),
      };
      for (const k of options.baseUrlKeys) baseUrls[k] = sandbox.url;
      return {
        publish: { sandboxes },
        env: { TRIBUTARY_PLATFORM_BASE_URLS: JSON.stringify(baseUrls), ...options.env },
        stop: () => sandbox.stop(),
      };
    },
  };
}
