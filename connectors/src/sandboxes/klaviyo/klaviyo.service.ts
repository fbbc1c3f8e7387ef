// The Klaviyo sandbox as a local runner service: base URL in .tributary/local.json (`sandboxes.klaviyo`) and in
// TRIBUTARY_PLATFORM_BASE_URLS under the keys the Klaviyo connector reads (klaviyo_api, klaviyo_oauth).
// It keeps time with the calendar and holds the connector to Klaviyo's real report limits (2 a minute).
import * as z from 'zod';
import { sandboxService } from '../base/sandbox-service';
import { sandboxSettings } from '../sandbox-settings';
import { KlaviyoFaultSchema } from './klaviyo-faults';
import { KLAVIYO_DEMO_CLIENT, startKlaviyoSandbox } from './klaviyo-sandbox';

export const klaviyoSandboxService = sandboxService({
  key: 'klaviyo',
  baseUrlKeys: ['klaviyo_api', 'klaviyo_oauth'],
  defaultPort: 4108,
  start: (port) =>
    startKlaviyoSandbox({
      port,
      today: () => new Date().toISOString().slice(0, 10),
      faults: parseStartFaults(sandboxSettings('klaviyo').faults),
    }),
  env: {
    TRIBUTARY_KLAVIYO_CLIENT_ID: KLAVIYO_DEMO_CLIENT.clientId,
    TRIBUTARY_KLAVIYO_CLIENT_SECRET: KLAVIYO_DEMO_CLIENT.clientSecret,
  },
});

/** Faults armed at start, as a JSON array in TRIBUTARY_SANDBOX_KLAVIYO_FAULTS (the control endpoint's shapes). */
function parseStartFaults(raw: string | undefined) {
  if (!raw) return [];
  const parsed = z.array(KlaviyoFaultSchema).safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new Error(
      `TRIBUTARY_SANDBOX_KLAVIYO_FAULTS is not a list of Klaviyo sandbox faults: ${parsed.error.message}`,
    );
  return parsed.data;
}
