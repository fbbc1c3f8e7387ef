// Data sources: list, extract now, pause/resume, delete; the wizard adds one, each row opens its runs.
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router';
import { api, unwrap, type Json } from '../api/client';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryView } from '../components/states';
import { dateTime } from '../format';
import { platformName, usePlatforms } from '../platforms';
import { useProjectAndRole } from '../project';
import { describeSchedule } from '../schedule';
import { canEdit } from '../session';

type DataSource = Json<'getDataSource'>;

export default function DataSourcesPage() {
  const { projectId, role } = useProjectAndRole();
  const navigate = useNavigate();
  const editable = canEdit(role);
  const sources = useQuery({
    queryKey: ['sources', projectId],
    queryFn: () =>
      unwrap(api().GET('/api/v1/projects/{project_id}/data-sources', { params: { path: { project_id: projectId } } })),
  });
  return (
    <>
      <PageHeader
        title="Data sources"
        actions={
          editable && (
            <Button variant="contained" onClick={() => navigate(`/projects/${projectId}/sources/new`)}>
              New data source
            </Button>
          )
        }
      />
      <QueryView
        query={sources}
        isEmpty={(d) => d.data_sources.length === 0}
        empty="No data sources yet. Add one to start extracting."
      >
        {(d) => (
          <TableContainer component={Paper}>
            <Table aria-label="Data sources">
              <TableHead>
                <TableRow>
                  <TableCell>Name</TableCell>
                  <TableCell>Schedule</TableCell>
                  <TableCell>Status</TableCell>
                  <TableCell>Last / next run</TableCell>
                  {editable && <TableCell>Actions</TableCell>}
                </TableRow>
              </TableHead>
              <TableBody>
                {d.data_sources.map((s) => (
                  <SourceRow key={s.id} source={s} projectId={projectId} editable={editable} />
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        )}
      </QueryView>
    </>
  );
}

function SourceRow({ source: s, projectId, editable }: { source: DataSource; projectId: string; editable: boolean }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const platforms = usePlatforms();
  const [confirm, setConfirm] = useState(false);
  const path = { project_id: projectId, source_id: s.id };
  const done = () => qc.invalidateQueries({ queryKey: ['sources', projectId] });
  const extract = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/api/v1/projects/{project_id}/data-sources/{source_id}/extract', { params: { path }, body: {} }),
      ),
    onSuccess: () => navigate(`/projects/${projectId}/sources/${s.id}`),
  });
  const pause = useMutation({
    mutationFn: () =>
      unwrap(
        api().PUT('/api/v1/projects/{project_id}/data-sources/{source_id}', {
          params: { path },
          body: { is_active: !s.is_active },
        }),
      ),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api().DELETE('/api/v1/projects/{project_id}/data-sources/{source_id}', { params: { path } })),
    onSuccess: done,
  });
  const error = extract.error ?? pause.error ?? remove.error;
  return (
    <TableRow data-testid="source-row">
      <TableCell>
        <RouterLink to={`/projects/${projectId}/sources/${s.id}`}>{s.source_name}</RouterLink>
        <Typography variant="body2" color="text.secondary">
          {platformName(s.platform, platforms.data?.platforms)} ·{' '}
          {s.account?.name ?? String(s.extraction_config.account_id ?? '')}
        </Typography>
        {error && <ErrorAlert error={error} />}
      </TableCell>
      <TableCell>{describeSchedule(s.schedule_config)}</TableCell>
      <TableCell>
        <Chip
          size="small"
          label={s.is_active ? s.extraction_status : 'paused'}
          color={s.extraction_status === 'failed' ? 'error' : s.is_active ? 'default' : 'warning'}
        />
      </TableCell>
      <TableCell>
        {dateTime(s.last_extraction_at)}
        <br />
        {s.is_active ? dateTime(s.next_extraction_at) : 'paused'}
      </TableCell>
      {editable && (
        <TableCell sx={{ whiteSpace: 'nowrap' }}>
          <Button size="small" onClick={() => extract.mutate()} disabled={extract.isPending}>
            Extract now
          </Button>
          <Button size="small" onClick={() => navigate(`/projects/${projectId}/sources/new?edit=${s.id}`)}>
            Edit
          </Button>
          <Button size="small" onClick={() => pause.mutate()}>
            {s.is_active ? 'Pause' : 'Resume'}
          </Button>
          <Button size="small" color="error" onClick={() => setConfirm(true)}>
            Delete
          </Button>
          <ConfirmDialog
            open={confirm}
            title="Delete this data source?"
            text={`"${s.source_name}" stops extracting. Data already extracted stays until the retention removes it.`}
            confirmLabel="Delete"
            busy={remove.isPending}
            onConfirm={() => remove.mutate()}
            onClose={() => setConfirm(false)}
          />
        </TableCell>
      )}
    </TableRow>
  );
}
