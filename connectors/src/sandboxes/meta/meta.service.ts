// The Meta Graph sandbox as a local runner service: base URL in .tributary/local.json (`sandboxes.meta`) and in
// TRIBUTARY_PLATFORM_BASE_URLS under the keys the Meta Ads and Instagram connectors read (meta_graph, meta_oauth).
import * as z from 'zod';
import { sandboxService } from '../base/sandbox-service';
import { MetaFaultSchema } from './faults';
import { startMetaSandbox } from './meta-sandbox';
import { sandboxSettings } from '../sandbox-settings';

/** The OAuth app the sandbox's dialog and token endpoints accept locally; not a secret anywhere else. */
export const META_DEMO_CLIENT = { clientId: 'sandbox-app', clientSecret: 'sandbox-secret' } as const;

export const metaSandboxService = sandboxService({
  key: 'meta',
  baseUrlKeys: ['meta_graph', 'meta_oauth'],
  defaultPort: 4102,
  start: async (port) => {
    const sandbox = await startMetaSandbox({ port, faults: parseStartFaults(sandboxSettings('meta').faults) });
    return {
      url: sandbox.baseUrl,
      port: Number(new URL(sandbox.baseUrl).port),
      requests: () => sandbox.requests(),
      stop: () => sandbox.stop(),
    };
  },
  env: {
    TRIBUTARY_META_CLIENT_ID: META_DEMO_CLIENT.clientId,
    TRIBUTARY_META_CLIENT_SECRET: META_DEMO_CLIENT.clientSecret,
  },
});

/** Faults armed at start, as a JSON array in TRIBUTARY_SANDBOX_META_FAULTS (the control endpoint's shapes). */
function parseStartFaults(raw: string | undefined) {
  if (!raw) return [];
  const parsed = z.array(MetaFaultSchema).safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new Error(`TRIBUTARY_SANDBOX_META_FAULTS is not a list of Meta sandbox faults: ${parsed.error.message}`);
  return parsed.data;
}
