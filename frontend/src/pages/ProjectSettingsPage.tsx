// Project settings: name, reporting currency, time zone, retention; delete with confirmation.
import Button from '@mui/material/Button';
import Divider from '@mui/material/Divider';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryView } from '../components/states';
import { useProjectAndRole, type Project } from '../project';
import { canAdmin, canEdit } from '../session';

export default function ProjectSettingsPage() {
  const { project, role } = useProjectAndRole();
  return (
    <>
      <PageHeader title="Project settings" />
      <QueryView query={project}>
        {(p) => <SettingsForm key={p.id} project={p} editable={canEdit(role)} deletable={canAdmin(role)} />}
      </QueryView>
    </>
  );
}

function SettingsForm({ project, editable, deletable }: { project: Project; editable: boolean; deletable: boolean }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [form, setForm] = useState({
    name: project.name,
    reporting_currency: project.reporting_currency,
    timezone: project.timezone,
    hot_retention_days: String(project.hot_retention_days),
    archive_retention_days: String(project.archive_retention_days),
  });
  const [confirm, setConfirm] = useState(false);
  const path = { project_id: project.id };
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api().PUT('/api/v1/projects/{project_id}', {
          params: { path },
          body: {
            name: form.name,
            reporting_currency: form.reporting_currency,
            timezone: form.timezone,
            hot_retention_days: Number(form.hot_retention_days),
            archive_retention_days: Number(form.archive_retention_days),
          },
        }),
      ),
    onSuccess: (p) => {
      qc.setQueryData(['project', p.id], p);
      void qc.invalidateQueries({ queryKey: ['projects'] });
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api().DELETE('/api/v1/projects/{project_id}', { params: { path } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['projects'] });
      navigate('/projects');
    },
  });
  const field = (key: keyof typeof form, label: string, extra: object = {}) => (
    <TextField
      label={label}
      value={form[key]}
      disabled={!editable}
      onChange={(e) => setForm({ ...form, [key]: e.target.value })}
      fullWidth
      {...extra}
    />
  );
  return (
    <Paper sx={{ p: { xs: 2, sm: 3 }, maxWidth: 640 }}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <Stack spacing={2}>
          {field('name', 'Name', { required: true })}
          {field('reporting_currency', 'Reporting currency (ISO 4217)')}
          {field('timezone', 'Time zone (IANA, e.g. Europe/Madrid)')}
          {field('hot_retention_days', 'Days kept in the database', { type: 'number' })}
          {field('archive_retention_days', 'Days kept in the raw archive', { type: 'number' })}
          {save.error && <ErrorAlert error={save.error} title="The settings were not saved" />}
          {save.isSuccess && <Typography role="status">Saved.</Typography>}
          {editable && (
            <Button type="submit" variant="contained" disabled={save.isPending} sx={{ alignSelf: 'flex-start' }}>
              Save
            </Button>
          )}
        </Stack>
      </form>
      {deletable && (
        <>
          <Divider sx={{ my: 3 }} />
          <Typography variant="h6" component="h2">
            Delete this project
          </Typography>
          <Typography color="text.secondary" sx={{ mb: 1 }}>
            Its connections, data sources, data and webhooks are deleted too.
          </Typography>
          <Button color="error" variant="outlined" onClick={() => setConfirm(true)}>
            Delete project
          </Button>
          {remove.error && <ErrorAlert error={remove.error} title="The project was not deleted" />}
          <ConfirmDialog
            open={confirm}
            title="Delete the project?"
            text={`"${project.name}" and everything in it will be deleted. This cannot be undone.`}
            confirmLabel="Delete"
            typeToConfirm={project.name}
            busy={remove.isPending}
            onConfirm={() => remove.mutate()}
            onClose={() => setConfirm(false)}
          />
        </>
      )}
    </Paper>
  );
}
