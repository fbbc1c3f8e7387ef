// The Amazon Ads sandbox as a local runner service: its URL in .tributary/local.json (`sandboxes.amazon`) and,
// in TRIBUTARY_PLATFORM_BASE_URLS, the per-region API and token hosts the connector reads (path prefixes of the
// one sandbox origin), plus the demo LWA app the API uses.
import * as z from 'zod';
import { sandboxSettings } from '../sandbox-settings';
import type { SandboxLocalService } from '../base/sandbox-service';
import { AmazonFaultSchema } from './amazon-faults';
import {
  AMAZON_DEMO_CLIENT,
  AMAZON_SANDBOX_DEFAULT_TODAY,
  amazonSandboxBaseUrls,
  startAmazonSandbox,
} from './amazon-sandbox';

export const amazonSandboxService: SandboxLocalService = {
  name: 'sandbox-amazon',
  async start(ctx) {
    const settings = sandboxSettings('amazon');
    // the laptop trial's platform keeps time with the calendar; one pending status read per report keeps the
    // demo's extraction within the worker's own polls (no state-machine wait at start)
    const sandbox = await startAmazonSandbox({
      port: settings.port ?? 4106,
      today: () => new Date().toISOString().slice(0, 10),
      anchor: AMAZON_SANDBOX_DEFAULT_TODAY,
      pendingPolls: 1,
      faults: parseStartFaults(settings.faults),
    });
    ctx.log('sandbox-amazon', `amazon platform sandbox on ${sandbox.url} (control: ${sandbox.url}/__sandbox/)`);
    const sandboxes = {
      ...((ctx.published.sandboxes as Record<string, string> | undefined) ?? {}),
      amazon: sandbox.url,
    };
    const baseUrls = {
      ...(ctx.env.TRIBUTARY_PLATFORM_BASE_URLS
        ? (JSON.parse(ctx.env.TRIBUTARY_PLATFORM_BASE_URLS) as Record<string, string>)
        : {}),
      ...amazonSandboxBaseUrls(sandbox.url),
    };
    return {
      publish: { sandboxes },
      env: {
        TRIBUTARY_PLATFORM_BASE_URLS: JSON.stringify(baseUrls),
        TRIBUTARY_AMAZON_CLIENT_ID: AMAZON_DEMO_CLIENT.clientId,
        TRIBUTARY_AMAZON_CLIENT_SECRET: AMAZON_DEMO_CLIENT.clientSecret,
      },
      stop: () => sandbox.stop(),
    };
  },
};

/** Faults armed at start, as a JSON array in TRIBUTARY_SANDBOX_AMAZON_FAULTS (the control endpoint's shapes). */
function parseStartFaults(raw: string | undefined) {
  if (!raw) return [];
  const parsed = z.array(AmazonFaultSchema).safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new Error(`TRIBUTARY_SANDBOX_AMAZON_FAULTS is not a list of Amazon sandbox faults: ${parsed.error.message}`);
  return parsed.data;
}
