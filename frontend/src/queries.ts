// Query definitions shared by the pages and by start-up's prefetch, so both use the same keys and requests.
// Router-free and UI-free: start-up imports this before Material UI or the router have loaded.
import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { api, unwrap, type Json } from './api/client';
import { shiftDays, todayIn } from './format';

export type Profile = Json<'getProfile'>;

export const profileQuery = () =>
  queryOptions({ queryKey: ['profile'], queryFn: (): Promise<Profile> => unwrap(api().GET('/api/v1/auth/profile')) });

export const projectQuery = (projectId: string | undefined) =>
  queryOptions({
    queryKey: ['project', projectId],
    enabled: !!projectId,
    queryFn: () => unwrap(api().GET('/api/v1/projects/{project_id}', { params: { path: { project_id: projectId! } } })),
  });

export const sourcesQuery = (projectId: string) =>
  queryOptions({
    queryKey: ['sources', projectId],
    queryFn: () =>
      unwrap(api().GET('/api/v1/projects/{project_id}/data-sources', { params: { path: { project_id: projectId } } })),
  });

export const KPI_METRICS = 'cost,clicks,conversions,revenue';

/** The API's last_30_days: the last 30 whole days ending yesterday, in the project's time zone. */
export const LAST_30_DAYS = 'last_30_days';

/**
 * The last 30 whole days (ending yesterday, as the API's last_30_days) and the 30 before, in the project's time zone.
 */
export function overviewRanges(timezone: string, now = new Date()) {
  const today = todayIn(timezone, now);
  return {
    current: { start_date: shiftDays(today, -30), end_date: shiftDays(today, -1) },
    previous: { start_date: shiftDays(today, -60), end_date: shiftDays(today, -31) },
  };
}

type Range = typeof LAST_30_DAYS | { start_date: string; end_date: string };
const rangeQuery = (range: Range) => (typeof range === 'string' ? { date_range: range } : range);

/** KPI totals by platform. The current period is asked as last_30_days, so the API resolves it in the project's
 * time zone and the request need not wait for the project to know which days those are. */
export const summaryQuery = (projectId: string, range: Range | undefined) =>
  queryOptions({
    queryKey: ['summary', projectId, range],
    enabled: !!range,
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/projects/{project_id}/data/summary', {
          params: {
            path: { project_id: projectId },
            query: { ...rangeQuery(range!), metrics: KPI_METRICS, dimensions: 'platform' },
          },
        }),
      ),
  });

/** The overview chart's rows: daily spend by platform over the last 30 days. */
export const dailySpendQuery = (projectId: string) =>
  queryOptions({
    queryKey: ['daily', projectId, LAST_30_DAYS],
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/projects/{project_id}/data', {
          params: {
            path: { project_id: projectId },
            query: {
              date_range: LAST_30_DAYS,
              metrics: 'cost',
              dimensions: 'date,platform',
              aggregate: 'daily',
              limit: '10000',
            },
          },
        }),
      ),
  });

/**
 * Starts every request the overview makes at once, before its code has loaded: the project, its data sources,
 * this period's totals and the chart's rows; the previous period's totals follow as soon as the project's time
 * zone is known. Errors stay in the cache for the page to show.
 */
export function prefetchOverview(client: QueryClient, projectId: string): void {
  void client.prefetchQuery(sourcesQuery(projectId));
  void client.prefetchQuery(summaryQuery(projectId, LAST_30_DAYS));
  void client.prefetchQuery(dailySpendQuery(projectId));
  void client.fetchQuery(projectQuery(projectId)).then(
    (project) => client.prefetchQuery(summaryQuery(projectId, overviewRanges(project.timezone).previous)),
    () => undefined,
  );
}
