// A connector's platform SDK (google-ads-api, googleapis, facebook-nodejs-business-sdk) lives in the
// connector's `<name>.sdk.ts` module and is imported on the first call that needs it (validate, discover,
// extract, …), never at module load: a cold start that only reads the catalog (ids, names, auth, report
// types, version pins) neither loads nor initializes it. Bundles whose routes never call a platform leave
// the `*.sdk` modules out altogether (infra/lib/node-function.ts, `platformSdks: false`).
//
// A new connector plugs in as before: its folder, one import and one line in registry.ts. To keep its SDK
// off cold starts: put the code that imports the SDK in `<platform>/<name>.sdk.ts`, and reach it only as
// `const sdk = platformSdk('<platform>', () => import('./<name>.sdk'))` then `(await sdk()).…` inside its
// methods (check:walls refuses a static import of a .sdk module). A connector that imports its SDK
// statically still works everywhere; its SDK just loads at every cold start of a bundle that carries it.
import type { Platform } from '@tributary/shared/domain/platform';
import { FatalConnectorError } from '../contract';

/** `load` (a dynamic import of the connector's `.sdk.ts` module), once; a failed load is retried next call. */
export function platformSdk<T>(platform: Platform, load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      // ESM: a catalog-only bundle left the .sdk module out; CommonJS: the platform SDK layer is not attached
      const code = (error as NodeJS.ErrnoException).code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
      throw missing
        ? new FatalConnectorError(
            `this function has no ${platform} SDK (a catalog-only bundle, or no platform SDK layer): ${(error as Error).message}`,
            platform,
            'This part of Tributary cannot reach the platform; please report it.',
            { cause: error },
          )
        : error;
    }));
}
