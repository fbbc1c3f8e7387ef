// Which Graph API versions the sandbox serves, as graph.facebook.com does on the sandbox's clock: a version
// past its end answers every call with (#2635) and HTTP 400, the way Meta answers an Ads API call to a
// deprecated version; a version that does not exist yet is an unknown path.
// Dates from Meta's changelog (developers.facebook.com/docs/graph-api/changelog/versions).

/** The last day each version is served (UTC, inclusive); null: no end announced. */
export const GRAPH_VERSION_ENDS: Readonly<Record<string, string | null>> = {
  'v23.0': '2026-06-09',
  'v24.0': '2026-11-09',
  'v25.0': '2027-02-22',
  'v26.0': null,
  'v27.0': null,
};
/** the newest version Meta has shipped */
export const LATEST_GRAPH_VERSION = 'v27.0';

export type GraphVersionStatus = 'served' | 'expired' | 'unknown';

export function graphVersionStatus(version: string, nowMs: number): GraphVersionStatus {
  const m = /^v(\d+)\.0$/.exec(version);
  if (!m) return 'unknown';
  const major = Number(m[1]);
  if (major > Number(LATEST_GRAPH_VERSION.slice(1, -2))) return 'unknown';
  const end = GRAPH_VERSION_ENDS[version];
  // older than the table: long gone
  if (end === undefined) return 'expired';
  if (end === null) return 'served';
  return new Date(nowMs).toISOString().slice(0, 10) > end ? 'expired' : 'served';
}

export function deprecatedVersionMessage(): string {
  return `(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: ${LATEST_GRAPH_VERSION}.`;
}
