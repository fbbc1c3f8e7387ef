// Project overview: the last 30 days' spend, clicks, conversions, revenue and ROAS against the 30 days
// before, a daily chart by platform, each data source's freshness, and recent failures in plain words.
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Grid from '@mui/material/Grid';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Suspense } from 'react';
import { Link as RouterLink } from 'react-router';
import { api, unwrap, type Json } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ReconnectLink } from '../components/ReconnectLink';
import { Empty, ErrorAlert, Loading, QueryView } from '../components/states';
import { count, dateTime, money, num } from '../format';
import { DailyChart } from '../lazy';
import { useProjectAndRole } from '../project';
import { LAST_30_DAYS, dailySpendQuery, overviewRanges, sourcesQuery, summaryQuery } from '../queries';
import { explainFailure } from '../failures';

type DataResult = Json<'getDataSummary'>;
type DataSource = Json<'getDataSource'>;

export function totals(result: DataResult | undefined) {
  const t = { cost: 0, clicks: 0, conversions: 0, revenue: 0 };
  for (const row of result?.rows ?? []) {
    t.cost += num(row.cost);
    t.clicks += num(row.clicks);
    t.conversions += num(row.conversions);
    t.revenue += num(row.revenue);
  }
  return { ...t, roas: t.cost > 0 ? t.revenue / t.cost : 0 };
}

function Change({ now, before }: { now: number; before: number }) {
  if (before === 0)
    return (
      <Typography variant="body2" color="text.secondary">
        no data before
      </Typography>
    );
  const pct = ((now - before) / before) * 100;
  return (
    <Typography variant="body2" color={pct >= 0 ? 'success.dark' : 'error.dark'}>
      {pct >= 0 ? '▲' : '▼'} {Math.abs(pct).toFixed(1)}% vs previous 30 days
    </Typography>
  );
}

export default function OverviewPage() {
  const { projectId, project } = useProjectAndRole();
  const tz = project.data?.timezone;
  const currency = project.data?.reporting_currency ?? 'USD';
  const ranges = tz ? overviewRanges(tz) : null;
  // this period and the chart do not wait for the project: the API resolves last_30_days in its time zone
  const current = useQuery(summaryQuery(projectId, LAST_30_DAYS));
  const previous = useQuery(summaryQuery(projectId, ranges?.previous));
  const daily = useQuery(dailySpendQuery(projectId));
  const sources = useQuery(sourcesQuery(projectId));

  if (project.error) return <ErrorAlert error={project.error} />;
  const now = totals(current.data);
  const before = totals(previous.data);
  const kpis: [string, string, number, number, string][] = [
    ['Spend', 'cost', now.cost, before.cost, money(now.cost, currency)],
    ['Clicks', 'clicks', now.clicks, before.clicks, count(now.clicks)],
    ['Conversions', 'conversions', now.conversions, before.conversions, count(now.conversions)],
    ['Revenue', 'revenue', now.revenue, before.revenue, money(now.revenue, currency)],
    ['ROAS', 'roas', now.roas, before.roas, `${now.roas.toFixed(2)}×`],
  ];
  return (
    <>
      <PageHeader
        title={project.data?.name ?? 'Overview'}
        subtitle={
          ranges ? `Last 30 days: ${ranges.current.start_date} to ${ranges.current.end_date} (${tz})` : undefined
        }
      />
      {current.error ? (
        <ErrorAlert error={current.error} title="The totals could not be loaded" />
      ) : (
        <Grid container spacing={2} component="section" aria-label="Totals, last 30 days">
          {kpis.map(([label, key, value, prev, shown]) => (
            <Grid key={key} size={{ xs: 6, sm: 4, md: 2.4 }}>
              <Paper sx={{ p: 2, height: '100%' }}>
                <Typography variant="body2" color="text.secondary" component="h2">
                  {label}
                </Typography>
                <Typography variant="h5" component="p" data-testid={`kpi-${key}`} data-value={value}>
                  {current.isPending || !ranges ? '…' : shown}
                </Typography>
                {!current.isPending && !previous.isPending && <Change now={value} before={prev} />}
              </Paper>
            </Grid>
          ))}
        </Grid>
      )}
      <Paper component="section" aria-labelledby="chart-title" sx={{ p: 2, mt: 3 }}>
        <Typography id="chart-title" variant="h6" component="h2">
          Daily spend by platform ({currency})
        </Typography>
        <DailyView result={daily} />
      </Paper>
      <Paper component="section" aria-labelledby="fresh-title" sx={{ p: 2, mt: 3 }}>
        <Typography id="fresh-title" variant="h6" component="h2">
          Data sources
        </Typography>
        <QueryView
          query={sources}
          isEmpty={(d) => d.data_sources.length === 0}
          empty={
            <>
              No data sources yet. <RouterLink to={`/projects/${projectId}/sources/new`}>Add one</RouterLink>.
            </>
          }
        >
          {(d) => <Freshness projectId={projectId} sources={d.data_sources} />}
        </QueryView>
      </Paper>
      {/* one status request per source: asked after the totals and the chart, so they do not queue behind them */}
      <Failures
        projectId={projectId}
        sources={current.isPending || daily.isPending ? [] : (sources.data?.data_sources ?? [])}
      />
    </>
  );
}

function DailyView({ result }: { result: { isPending: boolean; error: unknown; data: DataResult | undefined } }) {
  if (result.error) return <ErrorAlert error={result.error} />;
  const byDate = new Map<string, Record<string, number | string>>();
  const platforms = new Set<string>();
  for (const row of result.data?.rows ?? []) {
    const date = String(row.date ?? '');
    const platform = String(row.platform ?? 'all');
    platforms.add(platform);
    const point = byDate.get(date) ?? { date };
    point[platform] = num(point[platform]) + num(row.cost);
    byDate.set(date, point);
  }
  if (!result.isPending && byDate.size === 0) return <Empty>No data in these 30 days yet.</Empty>;
  const data = [...byDate.values()].sort((a, b) => String(a.date).localeCompare(String(b.date))) as { date: string }[];
  // While the rows are on the way the chart is drawn empty under a loading note: the chart library's start-up
  // work is done while the page waits, and the rows then only fill it in.
  return (
    <Suspense fallback={<Loading label="Drawing the chart" />}>
      <Box sx={{ position: 'relative' }}>
        <DailyChart
          testId="overview-chart"
          label="Daily spend by platform"
          data={data}
          series={[...platforms].sort()}
        />
        {result.isPending && (
          <Box sx={{ position: 'absolute', inset: 0, display: 'flex', justifyContent: 'center' }}>
            <Loading label="Loading the chart" />
          </Box>
        )}
      </Box>
    </Suspense>
  );
}

function statusColor(status: string): 'success' | 'error' | 'warning' | 'default' | 'info' {
  if (status === 'completed' || status === 'success' || status === 'idle') return 'success';
  if (status === 'failed' || status === 'error') return 'error';
  if (status === 'running' || status === 'pending' || status === 'queued') return 'info';
  return 'default';
}

/** A source is stale when its last successful day is more than two days back. */
function isStale(s: DataSource, now = Date.now()): boolean {
  if (!s.is_active) return false;
  if (!s.last_extraction_at) return true;
  return now - new Date(s.last_extraction_at).getTime() > 2 * 86_400_000;
}

function Freshness({ projectId, sources }: { projectId: string; sources: DataSource[] }) {
  return (
    <TableContainer>
      <Table size="small" aria-label="Data source freshness">
        <TableHead>
          <TableRow>
            <TableCell>Source</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Last run</TableCell>
            <TableCell>Next run</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {sources.map((s) => (
            <TableRow key={s.id} data-testid="freshness-row">
              <TableCell>
                <RouterLink to={`/projects/${projectId}/sources/${s.id}`}>{s.source_name}</RouterLink>
                <Typography variant="body2" color="text.secondary">
                  {s.platform}
                </Typography>
              </TableCell>
              <TableCell>
                <Box sx={{ display: 'flex', gap: 0.5, flexWrap: 'wrap' }}>
                  <Chip
                    size="small"
                    label={s.is_active ? s.extraction_status : 'paused'}
                    color={statusColor(s.extraction_status)}
                  />
                  {isStale(s) && <Chip size="small" label="stale" color="warning" />}
                </Box>
              </TableCell>
              <TableCell>{dateTime(s.last_extraction_at)}</TableCell>
              <TableCell>{dateTime(s.next_extraction_at)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

function Failures({ projectId, sources }: { projectId: string; sources: DataSource[] }) {
  const statuses = useQueries({
    queries: sources.map((s) => ({
      queryKey: ['source-status', projectId, s.id],
      queryFn: () =>
        unwrap(
          api().GET('/api/v1/projects/{project_id}/data-sources/{source_id}/status', {
            params: { path: { project_id: projectId, source_id: s.id } },
          }),
        ),
    })),
  });
  const failures = statuses
    .flatMap((q) =>
      q.data
        ? q.data.jobs.filter((j) => j.status === 'failed').map((j) => ({ job: j, source: q.data.data_source }))
        : [],
    )
    .sort((a, b) => String(b.job.created_at).localeCompare(String(a.job.created_at)))
    .slice(0, 5);
  if (failures.length === 0) return null;
  return (
    <Box component="section" aria-labelledby="failures-title" sx={{ mt: 3 }}>
      <Typography id="failures-title" variant="h6" component="h2">
        Recent failures
      </Typography>
      {failures.map(({ job, source }) => {
        const failure = explainFailure(job.error_code, job.error_message);
        return (
          <Alert key={job.id} severity="error" sx={{ mt: 1 }}>
            <strong>{source.source_name}</strong> ({dateTime(job.created_at)}): {failure.text}
            {failure.action === 'reconnect' && (
              <>
                {' '}
                <ReconnectLink
                  projectId={projectId}
                  credentialId={source.credential_id}
                  from={`/projects/${projectId}/sources/${source.id}/runs/${job.id}`}
                />
              </>
            )}
          </Alert>
        );
      })}
    </Box>
  );
}
