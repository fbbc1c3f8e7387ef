// The data-source wizard: connection → account (from those the connection can see) → report types →
// schedule (shown as the next three run times) → backfill start date and name. With ?edit=<id> it edits.
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Step from '@mui/material/Step';
import StepLabel from '@mui/material/StepLabel';
import Stepper from '@mui/material/Stepper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { api, unwrap, type Body } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, Loading, QueryView } from '../components/states';
import { shiftDays, todayIn } from '../format';
import { platformName, usePlatforms } from '../platforms';
import { useProjectAndRole } from '../project';
import { DAYS, nextRuns, toScheduleConfig, type Frequency, type ScheduleForm } from '../schedule';

const STEPS = ['Connection', 'Account', 'Reports', 'Schedule', 'Backfill'];

export default function DataSourceWizardPage() {
  const { projectId, project } = useProjectAndRole();
  const [params] = useSearchParams();
  const editId = params.get('edit');
  const navigate = useNavigate();
  const qc = useQueryClient();
  const platforms = usePlatforms();
  const [step, setStep] = useState(0);
  const [credentialId, setCredentialId] = useState('');
  const [accountId, setAccountId] = useState('');
  const [reports, setReports] = useState<string[]>([]);
  const [name, setName] = useState('');
  const [startDate, setStartDate] = useState('');
  const tz = project.data?.timezone ?? 'UTC';
  const [schedule, setSchedule] = useState<ScheduleForm>({
    frequency: 'daily',
    minute: 0,
    time: '06:00',
    day: 'MON',
    timezone: tz,
  });
  useEffect(
    () => setSchedule((s) => ({ ...s, timezone: project.data?.timezone ?? s.timezone })),
    [project.data?.timezone],
  );
  useEffect(() => setStartDate((d) => d || shiftDays(todayIn(tz), -90)), [tz]);

  const credentials = useQuery({
    queryKey: ['credentials', projectId],
    queryFn: () =>
      unwrap(api().GET('/api/v1/projects/{project_id}/credentials', { params: { path: { project_id: projectId } } })),
  });
  const editing = useQuery({
    queryKey: ['source', projectId, editId],
    enabled: !!editId,
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/projects/{project_id}/data-sources/{source_id}', {
          params: { path: { project_id: projectId, source_id: editId! } },
        }),
      ),
  });
  useEffect(() => {
    const s = editing.data;
    if (!s) return;
    setCredentialId(s.credential_id);
    setAccountId(String(s.extraction_config.account_id ?? ''));
    setReports((s.extraction_config.report_types as string[] | undefined) ?? []);
    setName(s.source_name);
    setStartDate(String(s.extraction_config.start_date ?? ''));
    const c = s.schedule_config as Partial<ScheduleForm> & { frequency?: Frequency };
    setSchedule((old) => ({ ...old, ...c, frequency: (c.frequency ?? 'daily') as Frequency }));
  }, [editing.data]);

  const accounts = useQuery({
    queryKey: ['accounts', projectId, credentialId],
    enabled: !!credentialId && step >= 1,
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/projects/{project_id}/credentials/{credential_id}/accounts', {
          params: { path: { project_id: projectId, credential_id: credentialId } },
        }),
      ),
  });
  const credential = credentials.data?.credentials.find((c) => c.id === credentialId);
  const account = accounts.data?.accounts.find((a) => a.id === accountId);

  const save = useMutation({
    mutationFn: async () => {
      const extraction_config = {
        account_id: accountId,
        report_types: reports,
        ...(startDate ? { start_date: startDate } : {}),
      };
      const schedule_config = toScheduleConfig(schedule) as Body<'createDataSource'>['schedule_config'];
      if (editId) {
        return unwrap(
          api().PUT('/api/v1/projects/{project_id}/data-sources/{source_id}', {
            params: { path: { project_id: projectId, source_id: editId } },
            body: { source_name: name, extraction_config, schedule_config },
          }),
        );
      }
      return unwrap(
        api().POST('/api/v1/projects/{project_id}/data-sources', {
          params: { path: { project_id: projectId } },
          body: { credential_id: credentialId, source_name: name, extraction_config, schedule_config },
        }),
      );
    },
    onSuccess: async (s) => {
      await qc.invalidateQueries({ queryKey: ['sources', projectId] });
      navigate(`/projects/${projectId}/sources/${s.id}`);
    },
  });

  const canNext = [!!credentialId, !!accountId, reports.length > 0, true, !!name.trim()][step];
  const runs = nextRuns(schedule);
  return (
    <>
      <PageHeader title={editId ? 'Edit data source' : 'New data source'} />
      <Paper sx={{ p: { xs: 2, sm: 3 }, maxWidth: 760 }}>
        <Stepper activeStep={step} alternativeLabel sx={{ mb: 3, overflowX: 'auto' }}>
          {STEPS.map((s) => (
            <Step key={s}>
              <StepLabel>{s}</StepLabel>
            </Step>
          ))}
        </Stepper>
        <Box component="section" aria-label={STEPS[step]}>
          {step === 0 && (
            <QueryView
              query={credentials}
              isEmpty={(d) => d.credentials.length === 0}
              empty="Connect a platform first, on the Connections page."
            >
              {(d) => (
                <TextField
                  select
                  fullWidth
                  label="Connection"
                  value={credentialId}
                  disabled={!!editId}
                  onChange={(e) => {
                    setCredentialId(e.target.value);
                    setAccountId('');
                    setReports([]);
                  }}
                >
                  {d.credentials.map((c) => (
                    <MenuItem key={c.id} value={c.id} disabled={c.status !== 'active'}>
                      {c.label} ({platformName(c.platform, platforms.data?.platforms)})
                    </MenuItem>
                  ))}
                </TextField>
              )}
            </QueryView>
          )}
          {step === 1 && (
            <QueryView
              query={accounts}
              loadingLabel="Asking the platform which accounts this connection can see"
              isEmpty={(d) => d.accounts.length === 0}
              empty="This connection sees no accounts."
            >
              {(d) => (
                <TextField
                  select
                  fullWidth
                  label="Account"
                  value={accountId}
                  onChange={(e) => setAccountId(e.target.value)}
                >
                  {d.accounts.map((a) => (
                    <MenuItem key={a.id} value={a.id}>
                      {a.name} ({a.id}) · {a.currency} · {a.time_zone}
                    </MenuItem>
                  ))}
                </TextField>
              )}
            </QueryView>
          )}
          {step === 2 && (
            <QueryView
              query={accounts}
              isEmpty={(d) => d.report_types.length === 0}
              empty="The platform offers no report types."
            >
              {(d) => (
                <FormGroup aria-label="Report types">
                  {d.report_types.map((r) => (
                    <FormControlLabel
                      key={r.id}
                      label={`${r.name} (restated for ${r.lookback_days} days)`}
                      control={
                        <Checkbox
                          checked={reports.includes(r.id)}
                          onChange={(e) =>
                            setReports(e.target.checked ? [...reports, r.id] : reports.filter((x) => x !== r.id))
                          }
                        />
                      }
                    />
                  ))}
                </FormGroup>
              )}
            </QueryView>
          )}
          {step === 3 && (
            <Stack spacing={2}>
              <TextField
                select
                label="Frequency"
                value={schedule.frequency}
                onChange={(e) => setSchedule({ ...schedule, frequency: e.target.value as Frequency })}
              >
                <MenuItem value="manual">Only when I start it</MenuItem>
                <MenuItem value="hourly">Every hour</MenuItem>
                <MenuItem value="every_6_hours">Every 6 hours</MenuItem>
                <MenuItem value="daily">Every day</MenuItem>
                <MenuItem value="weekly">Every week</MenuItem>
              </TextField>
              {(schedule.frequency === 'hourly' || schedule.frequency === 'every_6_hours') && (
                <TextField
                  type="number"
                  label="Minute past the hour"
                  value={schedule.minute}
                  slotProps={{ htmlInput: { min: 0, max: 59 } }}
                  onChange={(e) =>
                    setSchedule({ ...schedule, minute: Math.max(0, Math.min(59, Number(e.target.value))) })
                  }
                />
              )}
              {schedule.frequency === 'weekly' && (
                <TextField
                  select
                  label="Day"
                  value={schedule.day}
                  onChange={(e) => setSchedule({ ...schedule, day: e.target.value as ScheduleForm['day'] })}
                >
                  {DAYS.map((d) => (
                    <MenuItem key={d} value={d}>
                      {d}
                    </MenuItem>
                  ))}
                </TextField>
              )}
              {(schedule.frequency === 'daily' || schedule.frequency === 'weekly') && (
                <>
                  <TextField
                    type="time"
                    label="Time"
                    value={schedule.time}
                    onChange={(e) => setSchedule({ ...schedule, time: e.target.value })}
                    slotProps={{ inputLabel: { shrink: true } }}
                  />
                  <TextField
                    label="Time zone"
                    value={schedule.timezone}
                    onChange={(e) => setSchedule({ ...schedule, timezone: e.target.value })}
                  />
                </>
              )}
              <Box aria-live="polite">
                <Typography variant="subtitle2" component="h2">
                  Next runs
                </Typography>
                {runs.length === 0 ? (
                  <Typography>None: it runs when you start it.</Typography>
                ) : (
                  <ol data-testid="next-runs">
                    {runs.map((r) => (
                      <li key={r.toISOString()}>
                        {r.toLocaleString('en-GB', {
                          timeZone:
                            schedule.frequency === 'daily' || schedule.frequency === 'weekly'
                              ? schedule.timezone
                              : undefined,
                          dateStyle: 'full',
                          timeStyle: 'short',
                        })}
                      </li>
                    ))}
                  </ol>
                )}
              </Box>
            </Stack>
          )}
          {step === 4 && (
            <Stack spacing={2}>
              <TextField
                type="date"
                label="Backfill from"
                value={startDate}
                onChange={(e) => setStartDate(e.target.value)}
                slotProps={{ inputLabel: { shrink: true } }}
                helperText="The first run extracts every day since this date."
              />
              <TextField
                label="Name"
                required
                value={name}
                onChange={(e) => setName(e.target.value)}
                placeholder={account ? `${credential?.label ?? ''} · ${account.name}` : ''}
              />
              {save.error && <ErrorAlert error={save.error} title="The data source was not saved" />}
            </Stack>
          )}
        </Box>
        {editing.isPending && editId && <Loading />}
        <Box sx={{ display: 'flex', justifyContent: 'space-between', mt: 3 }}>
          <Button disabled={step === 0} onClick={() => setStep(step - 1)}>
            Back
          </Button>
          {step < STEPS.length - 1 ? (
            <Button
              variant="contained"
              disabled={!canNext}
              onClick={() => {
                if (step === 3 && !name && account) setName(`${account.name}`);
                setStep(step + 1);
              }}
            >
              Next
            </Button>
          ) : (
            <Button variant="contained" disabled={!canNext || save.isPending} onClick={() => save.mutate()}>
              {editId ? 'Save' : 'Create data source'}
            </Button>
          )}
        </Box>
      </Paper>
    </>
  );
}
