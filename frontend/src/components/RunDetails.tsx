// One run's details: its per-window items with their errors in plain words and the action each needs, and the
// restatement record (how much cost, conversions and revenue this run moved per day in numbers already stored).
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useQuery } from '@tanstack/react-query';
import { Link as RouterLink } from 'react-router';
import { api, unwrap, type Json } from '../api/client';
import { count, dateTime, duration, signedAmount } from '../format';
import { ReconnectLink } from './ReconnectLink';
import { Empty, QueryView } from './states';

type Details = Json<'getExtractionJob'>;
type Problem = NonNullable<Details['items'][number]['problem']>;
const RUNNING = new Set(['pending', 'queued', 'running']);
// compact cells: the restatement record's four columns fit a phone's width
const COMPACT = { '& td, & th': { px: 1 }, '& th': { whiteSpace: 'nowrap' } };

const statusColor = (status: string) =>
  status === 'succeeded' ? 'success' : status === 'failed' ? 'error' : status === 'partial' ? 'warning' : 'default';

export function RunDetails(props: { projectId: string; sourceId: string; jobId: string }) {
  const { projectId, sourceId, jobId } = props;
  const details = useQuery({
    queryKey: ['run-details', projectId, sourceId, jobId],
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/projects/{project_id}/data-sources/{source_id}/jobs/{job_id}', {
          params: { path: { project_id: projectId, source_id: sourceId, job_id: jobId } },
        }),
      ),
    refetchInterval: (q) => (q.state.data && RUNNING.has(q.state.data.job.status) ? 5_000 : false),
  });
  return (
    <Paper component="section" aria-labelledby="run-details-title" sx={{ p: 2, mb: 2 }} data-testid="run-details">
      <Box sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 1, mb: 1 }}>
        <Typography id="run-details-title" variant="h6" component="h2" sx={{ flexGrow: 1 }}>
          Run details
        </Typography>
        <RouterLink to={`/projects/${projectId}/sources/${sourceId}`}>Close details</RouterLink>
      </Box>
      <QueryView query={details} loadingLabel="Loading the run">
        {(d) => (
          <>
            <Typography variant="body2" sx={{ mb: 1 }} data-testid="run-summary">
              <Chip size="small" label={d.job.status} color={statusColor(d.job.status)} sx={{ mr: 1 }} />
              {dateTime(d.job.started_at ?? d.job.created_at)} · {duration(d.job.started_at, d.job.completed_at)} ·{' '}
              {count(d.job.rows_read)} rows read, {count(d.job.rows_inserted)} inserted, {count(d.job.rows_updated)}{' '}
              updated, {count(d.job.rows_unchanged)} unchanged
            </Typography>
            {d.job.problem && d.items.every((i) => !i.problem) && (
              <ProblemAlert problem={d.job.problem} projectId={projectId} sourceId={sourceId} jobId={jobId} />
            )}
            <Typography variant="subtitle1" component="h3" sx={{ mt: 2 }}>
              Windows
            </Typography>
            {d.items.length === 0 ? (
              <Empty>This run had no windows to extract.</Empty>
            ) : (
              <ItemsTable items={d.items} projectId={projectId} sourceId={sourceId} jobId={jobId} />
            )}
            <Typography variant="subtitle1" component="h3" sx={{ mt: 3 }}>
              Restatement record
            </Typography>
            <Typography variant="body2" color="text.secondary">
              How much this run changed numbers that were already stored, per day
              {d.restatements.currency && d.restatements.currency !== 'XXX' ? ` (${d.restatements.currency})` : ''}.
            </Typography>
            <Restatements restatements={d.restatements} />
          </>
        )}
      </QueryView>
    </Paper>
  );
}

function ItemsTable(props: { items: Details['items']; projectId: string; sourceId: string; jobId: string }) {
  // focusable: at phone width a table scrolls sideways inside its container, and a keyboard must reach it
  return (
    <TableContainer tabIndex={0} role="region" aria-label="Windows of this run">
      <Table size="small" aria-label="Windows of this run" sx={COMPACT}>
        <TableHead>
          <TableRow>
            <TableCell>Report</TableCell>
            <TableCell>Window</TableCell>
            <TableCell>Status</TableCell>
            <TableCell align="right">Attempts</TableCell>
            <TableCell align="right">Read</TableCell>
            <TableCell align="right">Inserted</TableCell>
            <TableCell align="right">Updated</TableCell>
            <TableCell align="right">Unchanged</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {props.items.map((i) => (
            <ItemRow key={i.key} item={i} projectId={props.projectId} sourceId={props.sourceId} jobId={props.jobId} />
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

function ItemRow({
  item: i,
  projectId,
  sourceId,
  jobId,
}: {
  item: Details['items'][number];
  projectId: string;
  sourceId: string;
  jobId: string;
}) {
  return (
    <>
      <TableRow data-testid="run-item" data-status={i.status}>
        <TableCell>{i.report_type}</TableCell>
        <TableCell sx={{ whiteSpace: 'nowrap' }}>
          {i.window_start === i.window_end ? i.window_start : `${i.window_start} – ${i.window_end}`}
        </TableCell>
        <TableCell>
          <Chip size="small" label={i.status} color={statusColor(i.status)} />
        </TableCell>
        <TableCell align="right">{i.attempts}</TableCell>
        <TableCell align="right">{count(i.rows_read)}</TableCell>
        <TableCell align="right">{count(i.rows_inserted)}</TableCell>
        <TableCell align="right">{count(i.rows_updated)}</TableCell>
        <TableCell align="right">{count(i.rows_unchanged)}</TableCell>
      </TableRow>
      {i.problem && (
        <TableRow>
          <TableCell colSpan={8}>
            <ProblemAlert problem={i.problem} projectId={projectId} sourceId={sourceId} jobId={jobId} />
          </TableCell>
        </TableRow>
      )}
    </>
  );
}

function ProblemAlert(props: { problem: Problem; projectId: string; sourceId: string; jobId: string }) {
  const { problem: p, projectId, sourceId, jobId } = props;
  // back here after reconnecting, to extract again
  const from = `/projects/${projectId}/sources/${sourceId}/runs/${jobId}`;
  const waiting = p.action === 'wait' || p.kind === 'not_ready';
  return (
    <Alert severity={waiting ? 'info' : 'error'} data-testid="item-problem" data-kind={p.kind}>
      <span>{p.message}</span>
      {p.resumes_at && (
        <Box component="span" sx={{ ml: 1 }}>
          {p.action === 'wait' ? 'Resumes' : 'Next try'}: {dateTime(p.resumes_at)}.
        </Box>
      )}
      {p.action === 'reconnect' && (
        <Box component="span" sx={{ ml: 1 }}>
          <ReconnectLink projectId={projectId} credentialId={p.credential_id} from={from} />
        </Box>
      )}
      {p.action === 'grant_access' && (
        <Box component="span" sx={{ ml: 1 }}>
          <ReconnectLink projectId={projectId} credentialId={p.credential_id} from={from} check />
        </Box>
      )}
      {p.action === 'edit_source' && (
        <Box component="span" sx={{ ml: 1 }}>
          <RouterLink to={`/projects/${projectId}/sources/new?edit=${sourceId}`}>Edit the data source</RouterLink>
        </Box>
      )}
      {p.detail && (
        <Typography variant="body2" component="div" sx={{ mt: 0.5, overflowWrap: 'anywhere' }}>
          The platform said: {p.detail}
        </Typography>
      )}
    </Alert>
  );
}

function Restatements({ restatements }: { restatements: Details['restatements'] }) {
  const currency = restatements.currency && restatements.currency !== 'XXX' ? restatements.currency : null;
  const moved = restatements.days.filter((d) =>
    [d.cost_delta, d.conversions_delta, d.revenue_delta].some((v) => Number(v) !== 0),
  );
  if (restatements.days.length === 0) return <Empty>No numbers changed in this run.</Empty>;
  if (moved.length === 0) {
    const rows = restatements.days.reduce((n, d) => n + d.rows_changed, 0);
    return (
      <Empty>
        No cost, conversions or revenue changed in this run ({count(rows)} rows changed other numbers, such as
        impressions).
      </Empty>
    );
  }
  return (
    <TableContainer tabIndex={0} role="region" aria-label="Restatement record">
      <Table size="small" aria-label="Restatement record" data-testid="restatements" sx={COMPACT}>
        <TableHead>
          <TableRow>
            <TableCell>Day</TableCell>
            <TableCell align="right">Δ cost</TableCell>
            <TableCell align="right">Δ conversions</TableCell>
            <TableCell align="right">Δ revenue</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {moved.map((d) => (
            <TableRow key={d.date} data-testid="restatement-day" data-date={d.date}>
              <TableCell sx={{ whiteSpace: 'nowrap' }}>{d.date}</TableCell>
              <TableCell align="right" data-value={d.cost_delta}>
                {signedAmount(d.cost_delta, currency)}
              </TableCell>
              <TableCell align="right" data-value={d.conversions_delta}>
                {signedAmount(d.conversions_delta, null)}
              </TableCell>
              <TableCell align="right" data-value={d.revenue_delta}>
                {signedAmount(d.revenue_delta, currency)}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}
