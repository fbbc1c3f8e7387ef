// One data source's runs: history with status, duration, rows read/inserted/updated/unchanged and errors in
// plain words; live progress over the WebSocket while a run is going; extract now. A run's details (its windows
// and restatement record) open at …/runs/{jobId}, so a run can be linked to.
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link as RouterLink, useParams } from 'react-router';
import { api, unwrap, type Json } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ReconnectLink } from '../components/ReconnectLink';
import { RunDetails } from '../components/RunDetails';
import { ErrorAlert, QueryView } from '../components/states';
import { explainFailure } from '../failures';
import { count, dateTime, duration } from '../format';
import { useLiveProgress, type ProgressMessage } from '../progress';
import { useProjectAndRole } from '../project';
import { describeSchedule } from '../schedule';
import { canEdit } from '../session';

type Job = Json<'getDataSourceStatus'>['jobs'][number];
const RUNNING = new Set(['pending', 'queued', 'running']);

export default function RunsPage() {
  const { projectId, role } = useProjectAndRole();
  const { sourceId = '', jobId } = useParams();
  const path = { project_id: projectId, source_id: sourceId };
  const status = useQuery({
    queryKey: ['source-status', projectId, sourceId],
    queryFn: () =>
      unwrap(api().GET('/api/v1/projects/{project_id}/data-sources/{source_id}/status', { params: { path } })),
    // a run in progress is also watched live; polling slowly is the fallback when the socket is down
    refetchInterval: (q) => (q.state.data?.jobs.some((j) => RUNNING.has(j.status)) ? 5_000 : false),
  });
  const live = useLiveProgress(sourceId, () => void status.refetch());
  const extract = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/api/v1/projects/{project_id}/data-sources/{source_id}/extract', { params: { path }, body: {} }),
      ),
    onSuccess: () => void status.refetch(),
  });
  const source = status.data?.data_source;
  return (
    <>
      <PageHeader
        title={source?.source_name ?? 'Runs'}
        subtitle={
          source
            ? `${source.account?.name ?? String(source.extraction_config.account_id ?? '')} · ${describeSchedule(source.schedule_config)}`
            : undefined
        }
        actions={
          canEdit(role) && (
            <>
              <Button
                variant="contained"
                onClick={() => extract.mutate()}
                disabled={extract.isPending || status.data?.jobs.some((j) => RUNNING.has(j.status))}
              >
                Extract now
              </Button>
              <Button component={RouterLink} to={`/projects/${projectId}/sources/new?edit=${sourceId}`}>
                Edit
              </Button>
            </>
          )
        }
      />
      {extract.error && <ErrorAlert error={extract.error} title="The run did not start" />}
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }} data-testid="live-state">
        Live updates: {live.connected ? 'connected' : 'not connected'}
      </Typography>
      <QueryView
        query={status}
        isEmpty={(d) => d.jobs.length === 0}
        empty="No runs yet. Extract now to start the first."
      >
        {(d) => (
          <>
            {d.jobs
              .filter((j) => RUNNING.has(j.status))
              .map((j) => (
                <LiveRun key={j.id} job={j} message={live.byJob[j.id]} />
              ))}
            {jobId && <RunDetails key={jobId} projectId={projectId} sourceId={sourceId} jobId={jobId} />}
            <TableContainer component={Paper} tabIndex={0} role="region" aria-label="Runs">
              <Table aria-label="Runs">
                <TableHead>
                  <TableRow>
                    <TableCell>Started</TableCell>
                    <TableCell>Status</TableCell>
                    <TableCell>Duration</TableCell>
                    <TableCell>Window</TableCell>
                    <TableCell align="right">Read</TableCell>
                    <TableCell align="right">Inserted</TableCell>
                    <TableCell align="right">Updated</TableCell>
                    <TableCell align="right">Unchanged</TableCell>
                    <TableCell>Details</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {d.jobs.map((j) => (
                    <RunRow
                      key={j.id}
                      job={j}
                      live={live.byJob[j.id]}
                      projectId={projectId}
                      sourceId={sourceId}
                      credentialId={d.data_source.credential_id}
                      open={j.id === jobId}
                    />
                  ))}
                </TableBody>
              </Table>
            </TableContainer>
          </>
        )}
      </QueryView>
    </>
  );
}

function LiveRun({ job, message }: { job: Job; message: ProgressMessage | undefined }) {
  const pct = message?.data.progress ?? job.progress_percent;
  return (
    <Paper sx={{ p: 2, mb: 2 }} aria-live="polite" data-testid="live-run">
      <Typography>
        Running: {Math.round(pct)}% · {count(message?.data.records_processed ?? job.rows_read)} rows read
      </Typography>
      <LinearProgress variant="determinate" value={Math.min(100, pct)} aria-label="Run progress" sx={{ mt: 1 }} />
    </Paper>
  );
}

function RunRow(props: {
  job: Job;
  live: ProgressMessage | undefined;
  projectId: string;
  sourceId: string;
  credentialId: string;
  open: boolean;
}) {
  const { job: j, live, projectId, sourceId, credentialId, open } = props;
  const status =
    live?.type === 'extraction_completed' ? 'succeeded' : live?.type === 'extraction_failed' ? 'failed' : j.status;
  const unchanged = Math.max(0, j.rows_read - j.rows_inserted - j.rows_updated);
  const failure = j.status === 'failed' || j.error_code ? explainFailure(j.error_code, j.error_message) : null;
  return (
    <>
      <TableRow data-testid="run-row" data-status={status}>
        <TableCell>{dateTime(j.started_at ?? j.created_at)}</TableCell>
        <TableCell>
          <Chip
            size="small"
            label={status}
            color={
              status === 'succeeded' || status === 'completed'
                ? 'success'
                : status === 'failed'
                  ? 'error'
                  : RUNNING.has(status)
                    ? 'info'
                    : 'default'
            }
          />
        </TableCell>
        <TableCell>{duration(j.started_at, j.completed_at)}</TableCell>
        <TableCell>{j.window_start ? `${j.window_start} – ${j.window_end ?? ''}` : '—'}</TableCell>
        <TableCell align="right">{count(j.rows_read)}</TableCell>
        <TableCell align="right">{count(j.rows_inserted)}</TableCell>
        <TableCell align="right">{count(j.rows_updated)}</TableCell>
        <TableCell align="right">{count(unchanged)}</TableCell>
        <TableCell>
          <RouterLink
            to={`/projects/${projectId}/sources/${sourceId}/runs/${j.id}`}
            aria-current={open ? 'page' : undefined}
            aria-label={`Details of the run started ${dateTime(j.started_at ?? j.created_at)}`}
          >
            Details
          </RouterLink>
        </TableCell>
      </TableRow>
      {failure && (
        <TableRow>
          <TableCell colSpan={9}>
            <Alert severity="error">
              {failure.text}
              {failure.action === 'reconnect' && (
                <Box component="span" sx={{ ml: 1 }}>
                  <ReconnectLink
                    projectId={projectId}
                    credentialId={credentialId}
                    from={`/projects/${projectId}/sources/${sourceId}/runs/${j.id}`}
                  />
                </Box>
              )}
            </Alert>
          </TableCell>
        </TableRow>
      )}
    </>
  );
}
