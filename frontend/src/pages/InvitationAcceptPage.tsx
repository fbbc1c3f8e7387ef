// An invited person accepts on this page (/invitations/accept?token=…), signed in as themselves.
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link as RouterLink, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert } from '../components/states';
import { useSession } from '../session';

export default function InvitationAcceptPage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  const qc = useQueryClient();
  const { setOrganizationId } = useSession();
  const accept = useMutation({
    mutationFn: () => unwrap(api().POST('/api/v1/invitations/accept', { body: { token: token ?? '' } })),
    onSuccess: async (r) => {
      await qc.invalidateQueries({ queryKey: ['profile'] });
      setOrganizationId(r.organization_id);
    },
  });
  return (
    <>
      <PageHeader title="Join an organization" />
      {!token ? (
        <Alert severity="error">This invitation link is incomplete. Ask for a new one.</Alert>
      ) : accept.data ? (
        <Alert severity="success" role="status">
          You joined as {accept.data.role}. <RouterLink to="/projects">See its projects</RouterLink>.
        </Alert>
      ) : (
        <>
          <p>You were invited to an organization on Tributary. Accepting adds it to your account.</p>
          <Button variant="contained" onClick={() => accept.mutate()} disabled={accept.isPending}>
            Accept the invitation
          </Button>
          {accept.error && <ErrorAlert error={accept.error} title="The invitation could not be accepted" />}
        </>
      )}
    </>
  );
}
