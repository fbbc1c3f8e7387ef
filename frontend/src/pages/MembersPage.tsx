// Members of the current organization: invite, change role, remove; open invitations. Only owners and
// admins see the controls (the API refuses everyone else anyway).
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Json } from '../api/client';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryView } from '../components/states';
import { dateTime } from '../format';
import { canAdmin, useRole, useSession, type Role } from '../session';

const ROLES: Role[] = ['owner', 'admin', 'analyst', 'viewer'];
type Member = Json<'listMembers'>['members'][number];

export default function MembersPage() {
  const { organizationId, profile } = useSession();
  const role = useRole(organizationId);
  const admin = canAdmin(role);
  const orgName = profile.organizations.find((o) => o.organization_id === organizationId)?.organization_name;
  const members = useQuery({
    queryKey: ['members', organizationId],
    enabled: !!organizationId,
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/organizations/{organization_id}/members', {
          params: { path: { organization_id: organizationId! } },
        }),
      ),
  });
  return (
    <>
      <PageHeader title="Members" subtitle={orgName} />
      {admin && organizationId && <InviteForm organizationId={organizationId} />}
      <QueryView query={members} isEmpty={(d) => d.members.length === 0} empty="No members.">
        {(d) => (
          <>
            <TableContainer component={Paper}>
              <Table aria-label="Members">
                <TableHead>
                  <TableRow>
                    <TableCell>Person</TableCell>
                    <TableCell>Role</TableCell>
                    <TableCell>Joined</TableCell>
                    {admin && <TableCell>Actions</TableCell>}
                  </TableRow>
                </TableHead>
                <TableBody>
                  {d.members.map((m) => (
                    <MemberRow
                      key={m.user_id}
                      member={m}
                      organizationId={organizationId!}
                      admin={admin}
                      self={m.email === profile.email}
                    />
                  ))}
                </TableBody>
              </Table>
            </TableContainer>
            <Typography variant="h6" component="h2" sx={{ mt: 3, mb: 1 }}>
              Pending invitations
            </Typography>
            {d.invitations.length === 0 ? (
              <Typography color="text.secondary">None.</Typography>
            ) : (
              <TableContainer component={Paper}>
                <Table size="small" aria-label="Pending invitations">
                  <TableHead>
                    <TableRow>
                      <TableCell>Email</TableCell>
                      <TableCell>Role</TableCell>
                      <TableCell>Sent</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {d.invitations.map((i) => (
                      <TableRow key={i.id} data-testid="invitation-row">
                        <TableCell>{i.email}</TableCell>
                        <TableCell>{i.role}</TableCell>
                        <TableCell>{dateTime(i.created_at)}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </TableContainer>
            )}
          </>
        )}
      </QueryView>
    </>
  );
}

function InviteForm({ organizationId }: { organizationId: string }) {
  const qc = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const invite = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/api/v1/organizations/{organization_id}/members', {
          params: { path: { organization_id: organizationId } },
          body: { email, role },
        }),
      ),
    onSuccess: () => {
      setEmail('');
      void qc.invalidateQueries({ queryKey: ['members', organizationId] });
    },
  });
  return (
    <Paper
      component="form"
      aria-label="Invite someone"
      sx={{ p: 2, mb: 2 }}
      onSubmit={(e) => {
        e.preventDefault();
        invite.mutate();
      }}
    >
      <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2}>
        <TextField
          label="Email to invite"
          type="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          sx={{ flex: 1 }}
        />
        <TextField
          select
          label="Role"
          value={role}
          onChange={(e) => setRole(e.target.value as Role)}
          sx={{ minWidth: 140 }}
        >
          {ROLES.map((r) => (
            <MenuItem key={r} value={r}>
              {r}
            </MenuItem>
          ))}
        </TextField>
        <Button type="submit" variant="contained" disabled={invite.isPending || !email}>
          Invite
        </Button>
      </Stack>
      {invite.data && (
        <Typography role="status" sx={{ mt: 1 }}>
          Invitation sent: they join once they accept it from the emailed link.
        </Typography>
      )}
      {invite.error && <ErrorAlert error={invite.error} title="The invitation was not sent" />}
    </Paper>
  );
}

function MemberRow({
  member: m,
  organizationId,
  admin,
  self,
}: {
  member: Member;
  organizationId: string;
  admin: boolean;
  self: boolean;
}) {
  const qc = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const path = { organization_id: organizationId, user_id: m.user_id };
  const done = () => qc.invalidateQueries({ queryKey: ['members', organizationId] });
  const change = useMutation({
    mutationFn: (role: Role) =>
      unwrap(
        api().PUT('/api/v1/organizations/{organization_id}/members/{user_id}', { params: { path }, body: { role } }),
      ),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api().DELETE('/api/v1/organizations/{organization_id}/members/{user_id}', { params: { path } })),
    onSuccess: done,
  });
  const name = [m.first_name, m.last_name].filter(Boolean).join(' ');
  return (
    <TableRow data-testid="member-row">
      <TableCell>
        {name || m.email}
        {name && (
          <Typography variant="body2" color="text.secondary">
            {m.email}
          </Typography>
        )}
        {(change.error ?? remove.error) ? <ErrorAlert error={change.error ?? remove.error} /> : null}
      </TableCell>
      <TableCell>
        {admin && !self ? (
          <TextField
            select
            size="small"
            label={`Role of ${m.email}`}
            value={m.role}
            onChange={(e) => change.mutate(e.target.value as Role)}
          >
            {ROLES.map((r) => (
              <MenuItem key={r} value={r}>
                {r}
              </MenuItem>
            ))}
          </TextField>
        ) : (
          <Chip size="small" label={m.role} />
        )}
      </TableCell>
      <TableCell>{dateTime(m.joined_at)}</TableCell>
      {admin && (
        <TableCell>
          <Button size="small" color="error" onClick={() => setConfirm(true)}>
            {self ? 'Leave' : 'Remove'}
          </Button>
          <ConfirmDialog
            open={confirm}
            title={self ? 'Leave the organization?' : `Remove ${m.email}?`}
            text="They lose access to every project of this organization at once."
            confirmLabel={self ? 'Leave' : 'Remove'}
            busy={remove.isPending}
            onConfirm={() => remove.mutate()}
            onClose={() => setConfirm(false)}
          />
        </TableCell>
      )}
    </TableRow>
  );
}
