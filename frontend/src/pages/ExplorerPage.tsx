// Explorer: date range (presets and custom), dimensions, metrics (derived ones too), filters and currency;
// a sortable, paged table and a chart of the same rows; totals; export in every format the API writes.
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Grid from '@mui/material/Grid';
import IconButton from '@mui/material/IconButton';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableFooter from '@mui/material/TableFooter';
import TableHead from '@mui/material/TableHead';
import TablePagination from '@mui/material/TablePagination';
import TableRow from '@mui/material/TableRow';
import TableSortLabel from '@mui/material/TableSortLabel';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { Suspense, useMemo, useState } from 'react';
import { api, authorizedFetch, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, Loading, QueryView } from '../components/states';
import { runtimeConfig } from '../config';
import { num } from '../format';
import { DailyChart } from '../lazy';
import { useProjectAndRole } from '../project';

export const PRESETS = [
  ['last_7_days', 'Last 7 days'],
  ['last_30_days', 'Last 30 days'],
  ['last_90_days', 'Last 90 days'],
  ['this_month', 'This month'],
  ['last_month', 'Last month'],
  ['this_year', 'This year'],
  ['custom', 'Custom…'],
] as const;
const DIMENSIONS = [
  'date',
  'week',
  'month',
  'platform',
  'data_source',
  'account',
  'campaign',
  'ad_group',
  'ad',
  'currency',
];
const METRICS = [
  'impressions',
  'clicks',
  'cost',
  'conversions',
  'revenue',
  'ctr',
  'cpc',
  'cpm',
  'conversion_rate',
  'cpa',
  'roas',
  'aov',
];
const SUMMABLE = new Set(['impressions', 'clicks', 'cost', 'conversions', 'revenue']);
const FORMATS = ['csv', 'tsv', 'xlsx', 'json', 'ndjson', 'xml', 'html'];
const OPS = ['eq', 'neq', 'contains', 'gte', 'lte', 'in'];

interface Filter {
  field: string;
  op: string;
  value: string;
}

export interface ExplorerQuery {
  preset: string;
  start: string;
  end: string;
  dimensions: string[];
  metrics: string[];
  filters: Filter[];
  currency: string;
}

/** The query string the data API and webhooks read (parseUrlQuery in functions/src/data/query.schemas.ts). */
export function toQueryString(q: ExplorerQuery, extra: Record<string, string> = {}): URLSearchParams {
  const p = new URLSearchParams();
  if (q.preset === 'custom') {
    p.set('start_date', q.start);
    p.set('end_date', q.end);
  } else p.set('date_range', q.preset);
  if (q.dimensions.length) p.set('dimensions', q.dimensions.join(','));
  p.set('metrics', q.metrics.join(','));
  if (q.currency) p.set('currency', q.currency);
  for (const f of q.filters) if (f.field && f.value) p.append('filter', `${f.field}:${f.op}:${f.value}`);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p;
}

/** A select of several options; `optionLabel` shows an option as other than its id. */
function MultiSelectField(props: {
  label: string;
  value: string[];
  options: readonly string[];
  optionLabel?: (option: string) => string;
  onChange: (value: string[]) => void;
}) {
  return (
    <TextField
      select
      fullWidth
      label={props.label}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value as unknown as string[])}
      slotProps={{ select: { multiple: true } }}
    >
      {props.options.map((o) => (
        <MenuItem key={o} value={o}>
          {props.optionLabel ? props.optionLabel(o) : o}
        </MenuItem>
      ))}
    </TextField>
  );
}

export function QueryBuilder({ value, onChange }: { value: ExplorerQuery; onChange: (q: ExplorerQuery) => void }) {
  const set = (patch: Partial<ExplorerQuery>) => onChange({ ...value, ...patch });
  const setFilter = (i: number, patch: Partial<Filter>) =>
    set({ filters: value.filters.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  return (
    <Grid container spacing={2}>
      <Grid size={{ xs: 12, sm: 6, md: 3 }}>
        <TextField
          select
          fullWidth
          label="Date range"
          value={value.preset}
          onChange={(e) => set({ preset: e.target.value })}
        >
          {PRESETS.map(([id, label]) => (
            <MenuItem key={id} value={id}>
              {label}
            </MenuItem>
          ))}
        </TextField>
      </Grid>
      {value.preset === 'custom' && (
        <>
          <Grid size={{ xs: 6, md: 2 }}>
            <TextField
              fullWidth
              type="date"
              label="From"
              value={value.start}
              onChange={(e) => set({ start: e.target.value })}
              slotProps={{ inputLabel: { shrink: true } }}
            />
          </Grid>
          <Grid size={{ xs: 6, md: 2 }}>
            <TextField
              fullWidth
              type="date"
              label="To"
              value={value.end}
              onChange={(e) => set({ end: e.target.value })}
              slotProps={{ inputLabel: { shrink: true } }}
            />
          </Grid>
        </>
      )}
      <Grid size={{ xs: 12, sm: 6, md: 3 }}>
        <MultiSelectField
          label="Dimensions"
          value={value.dimensions}
          options={DIMENSIONS}
          onChange={(dimensions) => set({ dimensions })}
        />
      </Grid>
      <Grid size={{ xs: 12, sm: 6, md: 4 }}>
        <MultiSelectField
          label="Metrics"
          value={value.metrics}
          options={METRICS}
          optionLabel={(m) => (SUMMABLE.has(m) ? m : `${m} (derived)`)}
          onChange={(metrics) => set({ metrics })}
        />
      </Grid>
      <Grid size={{ xs: 12, sm: 6, md: 2 }}>
        <TextField
          fullWidth
          label="Currency"
          value={value.currency}
          placeholder="project's"
          onChange={(e) => set({ currency: e.target.value.toUpperCase() })}
          helperText="ISO code or NATIVE"
        />
      </Grid>
      <Grid size={12}>
        <Stack spacing={1}>
          {value.filters.map((f, i) => (
            <Box key={i} sx={{ display: 'flex', gap: 1, flexWrap: 'wrap', alignItems: 'center' }}>
              <TextField
                size="small"
                label={`Filter ${i + 1} field`}
                value={f.field}
                onChange={(e) => setFilter(i, { field: e.target.value })}
              />
              <TextField
                size="small"
                select
                label="Operator"
                value={f.op}
                onChange={(e) => setFilter(i, { op: e.target.value })}
                sx={{ minWidth: 110 }}
              >
                {OPS.map((o) => (
                  <MenuItem key={o} value={o}>
                    {o}
                  </MenuItem>
                ))}
              </TextField>
              <TextField
                size="small"
                label="Value"
                value={f.value}
                onChange={(e) => setFilter(i, { value: e.target.value })}
              />
              <IconButton
                aria-label={`Remove filter ${i + 1}`}
                onClick={() => set({ filters: value.filters.filter((_, j) => j !== i) })}
              >
                ×
              </IconButton>
            </Box>
          ))}
          <Button
            sx={{ alignSelf: 'flex-start' }}
            onClick={() => set({ filters: [...value.filters, { field: 'campaign_name', op: 'contains', value: '' }] })}
          >
            Add filter
          </Button>
        </Stack>
      </Grid>
    </Grid>
  );
}

export const DEFAULT_QUERY: ExplorerQuery = {
  preset: 'last_30_days',
  start: '',
  end: '',
  dimensions: ['date', 'platform'],
  metrics: ['cost', 'clicks', 'conversions', 'revenue', 'roas'],
  filters: [],
  currency: '',
};

export default function ExplorerPage() {
  const { projectId } = useProjectAndRole();
  const [draft, setDraft] = useState<ExplorerQuery>(DEFAULT_QUERY);
  const [query, setQuery] = useState<ExplorerQuery>(DEFAULT_QUERY);
  const qs = toQueryString(query, { aggregate: query.dimensions.includes('date') ? 'daily' : 'total', limit: '10000' });
  const result = useQuery({
    queryKey: ['explore', projectId, qs.toString()],
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/projects/{project_id}/data', {
          params: { path: { project_id: projectId }, query: Object.fromEntries(qs) as Record<string, string> },
          querySerializer: () => qs.toString(),
        }),
      ),
  });
  const [exporting, setExporting] = useState<unknown>(null);
  const download = async (format: string) => {
    setExporting(null);
    const url = `${runtimeConfig().apiUrl}/api/v1/projects/${projectId}/data/export?${toQueryString(query, { format }).toString()}`;
    const res = await authorizedFetch(url);
    if (!res.ok) {
      const { toApiError } = await import('../api/client');
      setExporting(toApiError(res.status, await res.json().catch(() => undefined)));
      return;
    }
    const a = document.createElement('a');
    a.href = URL.createObjectURL(await res.blob());
    a.download = `tributary-export.${format}`;
    a.click();
    URL.revokeObjectURL(a.href);
  };
  return (
    <>
      <PageHeader title="Explorer" />
      <Paper
        component="form"
        sx={{ p: 2, mb: 2 }}
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(draft);
        }}
        aria-label="Query"
      >
        <QueryBuilder value={draft} onChange={setDraft} />
        <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap', mt: 2 }}>
          <Button type="submit" variant="contained">
            Run query
          </Button>
          {FORMATS.map((f) => (
            <Button key={f} variant="outlined" size="small" onClick={() => void download(f)}>
              Export {f.toUpperCase()}
            </Button>
          ))}
        </Box>
        {exporting ? <ErrorAlert error={exporting} title="The export failed" /> : null}
      </Paper>
      <QueryView
        query={result}
        isEmpty={(d) => d.rows.length === 0}
        empty="No rows for this query."
        loadingLabel="Running the query"
      >
        {(d) => <Results rows={d.rows} columns={d.columns} query={query} />}
      </QueryView>
    </>
  );
}

function Results({
  rows,
  columns,
  query,
}: {
  rows: Record<string, unknown>[];
  columns: { key: string; name: string; type: string }[];
  query: ExplorerQuery;
}) {
  const [sort, setSort] = useState<{ key: string; dir: 'asc' | 'desc' } | null>(null);
  const [page, setPage] = useState(0);
  const [perPage, setPerPage] = useState(25);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const numeric = columns.find((c) => c.key === sort.key)?.type !== 'string';
    return [...rows].sort((a, b) => {
      const x = a[sort.key];
      const y = b[sort.key];
      const c = numeric && !Number.isNaN(Number(x)) ? num(x) - num(y) : String(x ?? '').localeCompare(String(y ?? ''));
      return sort.dir === 'asc' ? c : -c;
    });
  }, [rows, sort, columns]);
  const totals = Object.fromEntries(
    columns.filter((c) => SUMMABLE.has(c.key)).map((c) => [c.key, rows.reduce((a, r) => a + num(r[c.key]), 0)]),
  );
  const metric = query.metrics.find((m) => SUMMABLE.has(m)) ?? query.metrics[0]!;
  const chart = useMemo(() => {
    if (!query.dimensions.includes('date')) return null;
    const series = query.dimensions.filter((d) => d !== 'date');
    const byDate = new Map<string, Record<string, number | string>>();
    const names = new Set<string>();
    for (const r of rows) {
      const date = String(r.date);
      const name = series.map((s) => String(r[s] ?? '')).join(' · ') || metric;
      names.add(name);
      const p = byDate.get(date) ?? { date };
      p[name] = num(p[name]) + num(r[metric]);
      byDate.set(date, p);
    }
    return {
      data: [...byDate.values()].sort((a, b) => String(a.date).localeCompare(String(b.date))) as { date: string }[],
      series: [...names].sort(),
    };
  }, [rows, query, metric]);
  return (
    <>
      {chart && (
        <Paper sx={{ p: 2, mb: 2 }}>
          <Typography variant="h6" component="h2">
            {metric} by day
          </Typography>
          <Suspense fallback={<Loading label="Drawing the chart" />}>
            <DailyChart testId="explorer-chart" label={`${metric} by day`} data={chart.data} series={chart.series} />
          </Suspense>
          <span
            hidden
            data-testid="explorer-chart-total"
            data-value={chart.data.reduce(
              (a, p) => a + chart.series.reduce((b, s) => b + num((p as Record<string, unknown>)[s]), 0),
              0,
            )}
            data-metric={metric}
          />
        </Paper>
      )}
      <TableContainer component={Paper}>
        <Table size="small" aria-label="Query results">
          <TableHead>
            <TableRow>
              {columns.map((c) => (
                <TableCell
                  key={c.key}
                  sortDirection={sort?.key === c.key ? sort.dir : false}
                  align={c.type === 'string' ? 'left' : 'right'}
                >
                  <TableSortLabel
                    active={sort?.key === c.key}
                    direction={sort?.key === c.key ? sort.dir : 'asc'}
                    onClick={() =>
                      setSort({ key: c.key, dir: sort?.key === c.key && sort.dir === 'asc' ? 'desc' : 'asc' })
                    }
                  >
                    {c.name}
                  </TableSortLabel>
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {sorted.slice(page * perPage, page * perPage + perPage).map((r, i) => (
              <TableRow key={i} data-testid="explorer-row">
                {columns.map((c) => (
                  <TableCell key={c.key} align={c.type === 'string' ? 'left' : 'right'}>
                    {String(r[c.key] ?? '')}
                  </TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
          <TableFooter>
            <TableRow data-testid="explorer-totals">
              {columns.map((c, i) => (
                <TableCell
                  key={c.key}
                  align={c.type === 'string' ? 'left' : 'right'}
                  data-key={c.key}
                  data-value={totals[c.key] ?? ''}
                >
                  {i === 0 ? 'Total' : c.key in totals ? totals[c.key]!.toFixed(2) : ''}
                </TableCell>
              ))}
            </TableRow>
          </TableFooter>
        </Table>
      </TableContainer>
      <TablePagination
        component="div"
        count={rows.length}
        page={page}
        rowsPerPage={perPage}
        onPageChange={(_, p) => setPage(p)}
        onRowsPerPageChange={(e) => {
          setPerPage(Number(e.target.value));
          setPage(0);
        }}
      />
    </>
  );
}
