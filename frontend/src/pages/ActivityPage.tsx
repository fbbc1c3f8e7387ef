// Activity: notifications that need attention (failed runs, expiring or failing connections, platform API
// versions near their sunset) and the project's audit log, newest first.
import Alert from '@mui/material/Alert';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TablePagination from '@mui/material/TablePagination';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ReconnectLink } from '../components/ReconnectLink';
import { QueryView } from '../components/states';
import { explainFailure } from '../failures';
import { dateTime } from '../format';
import { usePlatforms } from '../platforms';
import { useProjectAndRole } from '../project';

const DAY = 86_400_000;

function Notifications({ projectId }: { projectId: string }) {
  const path = { project_id: projectId };
  const credentials = useQuery({
    queryKey: ['credentials', projectId],
    queryFn: () => unwrap(api().GET('/api/v1/projects/{project_id}/credentials', { params: { path } })),
  });
  const sources = useQuery({
    queryKey: ['sources', projectId],
    queryFn: () => unwrap(api().GET('/api/v1/projects/{project_id}/data-sources', { params: { path } })),
  });
  const statuses = useQueries({
    queries: (sources.data?.data_sources ?? []).map((s) => ({
      queryKey: ['source-status', projectId, s.id],
      queryFn: () =>
        unwrap(
          api().GET('/api/v1/projects/{project_id}/data-sources/{source_id}/status', {
            params: { path: { project_id: projectId, source_id: s.id } },
          }),
        ),
    })),
  });
  const platforms = usePlatforms();
  const now = Date.now();
  const notes: {
    key: string;
    severity: 'error' | 'warning';
    text: string;
    /** the connection to reconnect (or only check), and where to come back to afterwards */
    link?: { credentialId: string; from?: string; check?: boolean };
  }[] = [];
  for (const q of statuses) {
    const last = q.data?.jobs[0];
    if (last?.status !== 'failed') continue;
    const source = q.data!.data_source;
    const failure = explainFailure(last.error_code, last.error_message);
    notes.push({
      key: `run-${last.id}`,
      severity: 'error',
      text: `${source.source_name}: the last run failed (${dateTime(last.created_at)}). ${failure.text}`,
      ...(failure.action === 'reconnect' && {
        link: {
          credentialId: source.credential_id,
          from: `/projects/${projectId}/sources/${source.id}/runs/${last.id}`,
        },
      }),
    });
  }
  for (const c of credentials.data?.credentials ?? []) {
    const expires = c.expires_at ? new Date(c.expires_at).getTime() : null;
    if (expires !== null && expires < now)
      notes.push({
        key: `exp-${c.id}`,
        severity: 'error',
        text: `Connection “${c.label}” expired on ${dateTime(c.expires_at)}: reconnect it.`,
        link: { credentialId: c.id },
      });
    else if (expires !== null && expires - now < 14 * DAY)
      notes.push({
        key: `exp-${c.id}`,
        severity: 'warning',
        text: `Connection “${c.label}” expires on ${dateTime(c.expires_at)}.`,
      });
    if (c.validation_status === 'invalid')
      notes.push({
        key: `val-${c.id}`,
        severity: 'error',
        text: `Connection “${c.label}” failed its last check${c.validation_message ? `: ${c.validation_message}` : ''}.`,
        link: { credentialId: c.id, check: true },
      });
  }
  const used = new Set((sources.data?.data_sources ?? []).map((s) => s.platform));
  for (const p of platforms.data?.platforms ?? []) {
    if (!used.has(p.id) || !p.api_sunset) continue;
    const left = (new Date(p.api_sunset).getTime() - now) / DAY;
    if (left < 90)
      notes.push({
        key: `sunset-${p.id}`,
        severity: left < 30 ? 'error' : 'warning',
        text: `${p.name}: API version ${p.api_version ?? ''} is retired on ${p.api_sunset}; Tributary moves to the next version before then.`,
      });
  }
  return (
    <Paper component="section" aria-labelledby="notes-title" sx={{ p: 2, mb: 3 }}>
      <Typography id="notes-title" variant="h6" component="h2">
        Needs attention
      </Typography>
      {notes.length === 0 ? (
        <Typography color="text.secondary" data-testid="no-notifications">
          Nothing needs attention.
        </Typography>
      ) : (
        <Stack spacing={1} sx={{ mt: 1 }}>
          {notes.map((n) => (
            <Alert key={n.key} severity={n.severity} data-testid="notification">
              {n.text}
              {n.link && (
                <>
                  {' '}
                  <ReconnectLink
                    projectId={projectId}
                    credentialId={n.link.credentialId}
                    from={n.link.from ?? `/projects/${projectId}/activity`}
                    check={n.link.check ?? false}
                  />
                </>
              )}
            </Alert>
          ))}
        </Stack>
      )}
    </Paper>
  );
}

export default function ActivityPage() {
  const { projectId } = useProjectAndRole();
  const [page, setPage] = useState(0);
  const [size, setSize] = useState(25);
  const log = useQuery({
    queryKey: ['activity', projectId, page, size],
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/projects/{project_id}/activity', {
          params: { path: { project_id: projectId }, query: { page: page + 1, page_size: size } },
        }),
      ),
  });
  return (
    <>
      <PageHeader title="Activity" />
      <Notifications projectId={projectId} />
      <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
        Audit log
      </Typography>
      <QueryView query={log} isEmpty={(d) => d.entries.length === 0} empty="Nothing has happened in this project yet.">
        {(d) => (
          <TableContainer component={Paper}>
            <Table size="small" aria-label="Audit log">
              <TableHead>
                <TableRow>
                  <TableCell>When</TableCell>
                  <TableCell>What</TableCell>
                  <TableCell>On</TableCell>
                  <TableCell>Who</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {d.entries.map((e) => (
                  <TableRow key={e.id} data-testid="audit-row">
                    <TableCell>{dateTime(e.created_at)}</TableCell>
                    <TableCell>{e.action}</TableCell>
                    <TableCell>{e.target_type}</TableCell>
                    <TableCell>
                      {e.actor_kind === 'user' ? (e.actor_user_id?.slice(0, 8) ?? 'user') : e.actor_kind}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            <TablePagination
              component="div"
              count={d.page.total}
              page={page}
              rowsPerPage={size}
              onPageChange={(_, p) => setPage(p)}
              onRowsPerPageChange={(e) => {
                setSize(Number(e.target.value));
                setPage(0);
              }}
            />
          </TableContainer>
        )}
      </QueryView>
    </>
  );
}
