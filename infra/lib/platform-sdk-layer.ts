// The libraries a function loads only on first use, in one Lambda layer that the functions using them share
// (issue 21 §3): the platform SDKs (google-ads-api and its protos, googleapis' GA4 APIs, facebook-nodejs-business-sdk,
// @shopify/admin-api-client, klaviyo-api), which the connectors import in their `<name>.sdk.ts` modules on the first
// platform call; google-auth-library, for Google's token calls; and two export-format libraries, exceljs (XLSX
// downloads) and @odata/parser (the OData feed).
// In a bundle they were most of its bytes, and a single-file bundle's lazily imported code is still parsed at
// every cold start: the webhook function's was 2.1 MB, half of it exceljs and its dependencies.
//
// How a function reaches them: its bundle aliases each entry point to a shim here (bundling/platform-sdks/)
// whose `require('tributary-platform-sdks/<name>')` stays outside the bundle, inside the lazily run module.
// require (CommonJS) resolves through NODE_PATH, where Lambda puts /opt/nodejs/node_modules, the layer's
// directory; ESM imports would not look there. Our own code (connectors, .sdk modules, error classes) stays in
// the function's bundle, so there is one copy of each class. The layer holds one CommonJS file per entry point,
// each built by esbuild with the other entries external through the same shims: axios is one instance, shared
// by google-ads-api and our interceptor on it (connectors/src/google-ads/google-ads-client.ts).
import { DockerImage, Stack } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Construct } from 'constructs';

/** The layer's package: /opt/nodejs/node_modules/tributary-platform-sdks/<name>.cjs */
export const PLATFORM_SDK_LAYER_PACKAGE = 'tributary-platform-sdks';

/** Every entry point in the layer (what a `.sdk.ts` module imports, or an SDK shares), and its file name there. */
export const PLATFORM_SDK_ENTRIES: Readonly<Record<string, string>> = {
  axios: 'axios',
  'google-ads-api': 'google-ads-api',
  'googleapis-common': 'googleapis-common',
  'googleapis/build/src/apis/analyticsdata/index.js': 'googleapis-analyticsdata',
  'googleapis/build/src/apis/analyticsadmin/index.js': 'googleapis-analyticsadmin',
  'facebook-nodejs-business-sdk': 'facebook-nodejs-business-sdk',
  '@shopify/admin-api-client': 'shopify-admin-api-client',
  'klaviyo-api': 'klaviyo-api',
  // not platform SDKs: the export formats' libraries, loaded by the first XLSX download or OData feed request
  exceljs: 'exceljs',
  '@odata/parser': 'odata-parser',
  // Google's token calls (connectors/src/google-ads/google-oauth.ts): the connect flows and token refreshes
  'google-auth-library': 'google-auth-library',
};

/**
 * Entries only our own code imports. Inside the layer every SDK keeps the copy it depends on (googleapis-common and
 * google-ads-api each pin their own google-auth-library major), so these are not aliased between layer entries.
 */
const OWN_CODE_ONLY_ENTRIES: ReadonlySet<string> = new Set(['google-auth-library']);

export const PLATFORM_SDK_SHIMS_DIR = path.join(
  path.dirname(new URL(import.meta.url).pathname),
  'bundling',
  'platform-sdks',
);

/** esbuild aliases: each SDK entry point to its shim (but `except`, the entry being built into the layer). */
export function platformSdkAliases(except?: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(PLATFORM_SDK_ENTRIES)
      .filter(([entry]) => entry !== except)
      .map(([entry, name]) => [entry, path.join(PLATFORM_SDK_SHIMS_DIR, `${name}.cjs`)]),
  );
}

/**
 * Builds the layer's directory: nodejs/node_modules/tributary-platform-sdks/{package.json, <name>.cjs}.
 * `bundleAliases`: the aliases every bundle gets (google-ads-node's protos only, node-function.ts).
 */
export function buildPlatformSdkLayer(outputDir: string, bundleAliases: Readonly<Record<string, string>>): void {
  const pkgDir = path.join(outputDir, 'nodejs', 'node_modules', PLATFORM_SDK_LAYER_PACKAGE);
  mkdirSync(pkgDir, { recursive: true });
  writeFileSync(
    path.join(pkgDir, 'package.json'),
    JSON.stringify({ name: PLATFORM_SDK_LAYER_PACKAGE, private: true, exports: { './*': './*.cjs' } }, null, 2),
  );
  for (const [entry, name] of Object.entries(PLATFORM_SDK_ENTRIES)) {
    buildSync({
      stdin: { contents: `module.exports = require(${JSON.stringify(entry)});`, resolveDir: PLATFORM_SDK_SHIMS_DIR },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node22',
      mainFields: ['module', 'main'],
      minify: true,
      alias: {
        ...bundleAliases,
        ...Object.fromEntries(
          Object.entries(platformSdkAliases(entry)).filter(([other]) => !OWN_CODE_ONLY_ENTRIES.has(other)),
        ),
      },
      external: ['@aws-sdk/*', `${PLATFORM_SDK_LAYER_PACKAGE}/*`],
      outfile: path.join(pkgDir, `${name}.cjs`),
      logLevel: 'error',
    });
  }
}

/** The stack's one platform SDK layer (Node.js 22, arm64), made on first use. */
export function platformSdkLayer(scope: Construct, bundleAliases: Readonly<Record<string, string>>): LayerVersion {
  const stack = Stack.of(scope);
  const id = 'PlatformSdkLayer';
  const existing = stack.node.tryFindChild(id);
  if (existing) return existing as LayerVersion;
  return new LayerVersion(stack, id, {
    description: 'Tributary: the platform SDKs and export-format libraries its functions load on first use',
    compatibleRuntimes: [Runtime.NODEJS_22_X],
    compatibleArchitectures: [Architecture.ARM_64],
    code: Code.fromAsset(PLATFORM_SDK_SHIMS_DIR, {
      bundling: {
        // built here with esbuild, like the functions: never Docker, so `cdk synth` works offline
        image: DockerImage.fromRegistry('unused'),
        local: {
          tryBundle(outputDir) {
            buildPlatformSdkLayer(outputDir, bundleAliases);
            return true;
          },
        },
      },
    }),
  });
}
