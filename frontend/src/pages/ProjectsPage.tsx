// Projects of the current organization: list and create.
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardActionArea from '@mui/material/CardActionArea';
import CardContent from '@mui/material/CardContent';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Grid from '@mui/material/Grid';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link as RouterLink, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryView } from '../components/states';
import { canEdit, useRole, useSession } from '../session';

export default function ProjectsPage() {
  const { organizationId } = useSession();
  const role = useRole(organizationId);
  const [creating, setCreating] = useState(false);
  const projects = useQuery({
    queryKey: ['projects', organizationId],
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/projects', { params: { query: organizationId ? { organization_id: organizationId } : {} } }),
      ),
  });
  return (
    <>
      <PageHeader
        title="Projects"
        actions={
          canEdit(role) && (
            <Button variant="contained" onClick={() => setCreating(true)}>
              New project
            </Button>
          )
        }
      />
      <QueryView
        query={projects}
        isEmpty={(d) => d.projects.length === 0}
        empty="No projects yet. Create one to connect your first platform."
      >
        {(d) => (
          <Grid container spacing={2} component="ul" sx={{ listStyle: 'none', p: 0, m: 0 }} aria-label="Projects">
            {d.projects.map((p) => (
              <Grid key={p.id} size={{ xs: 12, sm: 6, lg: 4 }} component="li">
                <Card>
                  <CardActionArea component={RouterLink} to={`/projects/${p.id}`}>
                    <CardContent>
                      <Typography variant="h6" component="h2">
                        {p.name}
                      </Typography>
                      <Typography color="text.secondary">
                        {p.reporting_currency} · {p.timezone}
                      </Typography>
                      {p.description && <Typography variant="body2">{p.description}</Typography>}
                    </CardContent>
                  </CardActionArea>
                </Card>
              </Grid>
            ))}
          </Grid>
        )}
      </QueryView>
      {creating && <CreateProjectDialog organizationId={organizationId} onClose={() => setCreating(false)} />}
    </>
  );
}

function CreateProjectDialog({ organizationId, onClose }: { organizationId: string | null; onClose: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [currency, setCurrency] = useState('USD');
  const [timezone, setTimezone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/api/v1/projects', {
          body: {
            name,
            reporting_currency: currency,
            timezone,
            ...(organizationId ? { organization_id: organizationId } : {}),
          },
        }),
      ),
    onSuccess: async (project) => {
      await qc.invalidateQueries({ queryKey: ['projects'] });
      navigate(`/projects/${project.id}`);
    },
  });
  return (
    <Dialog open onClose={onClose} aria-labelledby="new-project-title" fullWidth maxWidth="sm">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <DialogTitle id="new-project-title">New project</DialogTitle>
        <DialogContent>
          <TextField
            autoFocus
            required
            margin="dense"
            fullWidth
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <TextField
            margin="dense"
            fullWidth
            label="Reporting currency"
            value={currency}
            onChange={(e) => setCurrency(e.target.value.toUpperCase())}
            slotProps={{ htmlInput: { maxLength: 3 } }}
          />
          <TextField
            margin="dense"
            fullWidth
            label="Time zone"
            value={timezone}
            onChange={(e) => setTimezone(e.target.value)}
          />
          {create.error && <ErrorAlert error={create.error} title="The project was not created" />}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={!name.trim() || create.isPending}>
            Create
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
