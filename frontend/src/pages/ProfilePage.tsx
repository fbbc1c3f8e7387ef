// Profile: name and time zone.
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert } from '../components/states';
import { useSession } from '../session';

export default function ProfilePage() {
  const { profile } = useSession();
  const qc = useQueryClient();
  const [form, setForm] = useState({
    first_name: profile.first_name ?? '',
    last_name: profile.last_name ?? '',
    timezone: profile.timezone,
  });
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api().PUT('/api/v1/auth/profile', {
          body: {
            ...(form.first_name ? { first_name: form.first_name } : {}),
            ...(form.last_name ? { last_name: form.last_name } : {}),
            timezone: form.timezone,
          },
        }),
      ),
    onSuccess: (p) => qc.setQueryData(['profile'], p),
  });
  return (
    <>
      <PageHeader title="Profile" subtitle={profile.email} />
      <Paper sx={{ p: { xs: 2, sm: 3 }, maxWidth: 560 }}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          <Stack spacing={2}>
            <TextField
              label="First name"
              value={form.first_name}
              onChange={(e) => setForm({ ...form, first_name: e.target.value })}
            />
            <TextField
              label="Last name"
              value={form.last_name}
              onChange={(e) => setForm({ ...form, last_name: e.target.value })}
            />
            <TextField
              label="Time zone"
              value={form.timezone}
              onChange={(e) => setForm({ ...form, timezone: e.target.value })}
              helperText="IANA name, e.g. Europe/Madrid"
            />
            {save.error && <ErrorAlert error={save.error} title="The profile was not saved" />}
            {save.isSuccess && <Typography role="status">Saved.</Typography>}
            <Button type="submit" variant="contained" disabled={save.isPending} sx={{ alignSelf: 'flex-start' }}>
              Save
            </Button>
          </Stack>
        </form>
      </Paper>
    </>
  );
}
