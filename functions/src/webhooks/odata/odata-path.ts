// Which requests are the OData feed's: apart from serve-odata.ts, so the webhook Lambda can route without
// loading the feed (its OData parser is ~100 ms of a cold start) until a feed request comes.
export const ODATA_PREFIX = '/odata/v1/';

export function isODataPath(path: string): boolean {
  return path === '/odata/v1' || path.startsWith(ODATA_PREFIX);
}
