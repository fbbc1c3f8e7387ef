// Connections: connect each platform the way it authenticates (OAuth through its consent page, API keys
// through a form built from the catalog's credential fields); validate, refresh, rename, rotate, disable,
// delete. Expiry and validation status are visible; the secret never is. …/credentials/{id} links to one
// connection: it is highlighted and focused, `reconnect=1` opens its reconnect action, and after reconnecting
// the page offers to go back to `from` (the failed run) and extract again.
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardActions from '@mui/material/CardActions';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link as RouterLink, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, unwrap, type Json } from '../api/client';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, QueryView } from '../components/states';
import { dateTime } from '../format';
import { platformName, usePlatforms, type CredentialField, type PlatformInfo } from '../platforms';
import { useProjectAndRole } from '../project';
import { connectionPath, rememberOAuthReturn, returnTarget, safeReturnPath } from '../reconnect';
import { canEdit } from '../session';

type Credential = Json<'getCredential'>;

export default function CredentialsPage() {
  const { projectId, role } = useProjectAndRole();
  const { credentialId } = useParams();
  const [params, setParams] = useSearchParams();
  const [connecting, setConnecting] = useState(false);
  const platforms = usePlatforms();
  const credentials = useQuery({
    queryKey: ['credentials', projectId],
    queryFn: () =>
      unwrap(api().GET('/api/v1/projects/{project_id}/credentials', { params: { path: { project_id: projectId } } })),
  });
  const editable = canEdit(role);
  const oauthError = params.get('oauth_error');
  const connected = params.get('connected');
  const returnTo = safeReturnPath(params.get('from'), projectId);
  const missing = credentialId && credentials.data && !credentials.data.credentials.some((c) => c.id === credentialId);
  const closeReconnect = () =>
    setParams(
      (p) => {
        p.delete('reconnect');
        return p;
      },
      { replace: true },
    );
  return (
    <>
      <PageHeader
        title="Connections"
        subtitle="Sign-ins and keys Tributary uses to read your platforms. Secrets are stored encrypted and never shown."
        actions={
          editable && (
            <Button variant="contained" onClick={() => setConnecting(true)}>
              Connect a platform
            </Button>
          )
        }
      />
      {oauthError && (
        <Alert severity="warning" onClose={() => setParams({})} sx={{ mb: 2 }}>
          The platform did not grant access ({oauthError}). Nothing was stored; you can try again.
        </Alert>
      )}
      {connected && !credentialId && (
        <Alert severity="success" role="status" onClose={() => setParams({})} sx={{ mb: 2 }}>
          Connected. Validate the connection to check it can read your accounts.
        </Alert>
      )}
      {missing && <MissingConnection projectId={projectId} />}
      <QueryView
        query={credentials}
        isEmpty={(d) => d.credentials.length === 0}
        empty="No connections yet. Connect a platform to start."
      >
        {(d) => (
          <Stack spacing={2} component="ul" sx={{ listStyle: 'none', p: 0, m: 0 }} aria-label="Connections">
            {d.credentials.map((c) => (
              <li key={c.id}>
                <CredentialCard
                  credential={c}
                  projectId={projectId}
                  editable={editable}
                  readOnly={role !== null && !editable}
                  platforms={platforms.data?.platforms}
                  {...(c.id === credentialId && {
                    focus: {
                      reconnect: params.get('reconnect') === '1',
                      reconnected: Boolean(connected),
                      returnTo,
                      onReconnectClosed: closeReconnect,
                    },
                  })}
                />
              </li>
            ))}
          </Stack>
        )}
      </QueryView>
      {connecting && (
        <ConnectDialog
          projectId={projectId}
          platforms={platforms.data?.platforms ?? []}
          onClose={() => setConnecting(false)}
        />
      )}
    </>
  );
}

const MISSING =
  'This connection does not exist in this project: it may have been deleted, ' +
  'or the link belongs to another project.';

/** A link to a connection this project does not have (deleted since, or another project's): say so. */
function MissingConnection({ projectId }: { projectId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <Alert severity="warning" sx={{ mb: 2 }} ref={ref} tabIndex={-1} data-testid="connection-missing">
      {MISSING} <RouterLink to={`/projects/${projectId}/credentials`}>See this project’s connections</RouterLink>
    </Alert>
  );
}

interface Focus {
  /** open the reconnect action (OAuth re-consent, or the new key form) */
  reconnect: boolean;
  /** just came back from reconnecting */
  reconnected: boolean;
  returnTo: string | null;
  onReconnectClosed: () => void;
}

function statusChip(c: Credential) {
  if (c.status === 'disabled') return <Chip size="small" label="disabled" />;
  if (c.expires_at && new Date(c.expires_at).getTime() < Date.now())
    return <Chip size="small" color="error" label="expired" />;
  const color = c.validation_status === 'valid' ? 'success' : c.validation_status === 'invalid' ? 'error' : 'default';
  return (
    <Chip
      size="small"
      color={color}
      label={c.validation_status === 'pending' ? 'not validated yet' : c.validation_status}
    />
  );
}

function CredentialCard({
  credential: c,
  projectId,
  editable,
  readOnly,
  platforms,
  focus,
}: {
  credential: Credential;
  projectId: string;
  editable: boolean;
  /** the role is known and may not change connections */
  readOnly: boolean;
  platforms: PlatformInfo[] | undefined;
  /** this card is the one a link points at */
  focus?: Focus;
}) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const path = { project_id: projectId, credential_id: c.id };
  const [dialog, setDialog] = useState<'rename' | 'rotate' | 'delete' | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const platform = platforms?.find((p) => p.id === c.platform);
  const highlighted = Boolean(focus);
  const openReconnect = Boolean(focus?.reconnect && editable && platform);
  useEffect(() => {
    if (!highlighted) return;
    // focus first: the dialog then gives focus back to the heading when it closes
    heading.current?.scrollIntoView({ block: 'center' });
    heading.current?.focus();
    if (openReconnect) setDialog('rotate');
  }, [highlighted, openReconnect]);
  const closeDialog = () => {
    if (dialog === 'rotate') focus?.onReconnectClosed();
    setDialog(null);
  };
  const refreshList = () => qc.invalidateQueries({ queryKey: ['credentials', projectId] });
  const validate = useMutation({
    mutationFn: () =>
      unwrap(api().POST('/api/v1/projects/{project_id}/credentials/{credential_id}/validate', { params: { path } })),
    onSettled: refreshList,
  });
  const refresh = useMutation({
    mutationFn: () =>
      unwrap(api().POST('/api/v1/projects/{project_id}/credentials/{credential_id}/refresh', { params: { path } })),
    onSettled: refreshList,
  });
  const update = useMutation({
    mutationFn: (body: { label?: string; status?: 'active' | 'disabled'; secret?: Record<string, string> }) =>
      unwrap(api().PUT('/api/v1/projects/{project_id}/credentials/{credential_id}', { params: { path }, body })),
    onSuccess: (_r, body) => {
      setDialog(null);
      void refreshList();
      // a new key is a reconnect: land on this connection with the offer to go back
      if (body.secret)
        navigate(connectionPath(projectId, c.id, { connected: true, from: focus?.returnTo ?? null }), {
          replace: true,
        });
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api().DELETE('/api/v1/projects/{project_id}/credentials/{credential_id}', { params: { path } })),
    onSuccess: refreshList,
  });
  const error = validate.error ?? refresh.error ?? update.error ?? remove.error;
  return (
    <Card
      data-testid="credential-card"
      data-highlighted={highlighted || undefined}
      aria-label={c.label}
      aria-current={highlighted || undefined}
      sx={highlighted ? { outline: 3, outlineColor: 'primary.main', scrollMarginTop: 80 } : undefined}
    >
      <CardContent>
        <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}>
          <Typography variant="h6" component="h2" ref={heading} tabIndex={highlighted ? -1 : undefined}>
            {c.label}
          </Typography>
          {statusChip(c)}
        </Box>
        <Typography color="text.secondary">
          {platformName(c.platform, platforms)} · {c.credential_type === 'oauth2' ? 'OAuth sign-in' : 'API key'}
        </Typography>
        <Typography variant="body2">
          Last validated: {dateTime(c.last_validated_at)}
          {c.validation_message ? ` (${c.validation_message})` : ''}
        </Typography>
        <Typography variant="body2">Expires: {c.expires_at ? dateTime(c.expires_at) : 'does not expire'}</Typography>
        {validate.data && (
          <Typography role="status" variant="body2" color={validate.data.valid ? 'success.dark' : 'error.dark'}>
            {validate.data.valid
              ? 'The connection works.'
              : `The connection failed: ${validate.data.message ?? 'no reason given'}`}
          </Typography>
        )}
        {error && <ErrorAlert error={error} />}
        {focus?.reconnect && readOnly && (
          <Alert severity="info" sx={{ mt: 1 }}>
            Your role can see this connection but not reconnect it: ask a project admin to reconnect it.
          </Alert>
        )}
        {focus?.reconnected && <Reconnected projectId={projectId} returnTo={focus.returnTo} editable={editable} />}
      </CardContent>
      {editable && (
        <CardActions sx={{ flexWrap: 'wrap', gap: 1 }}>
          <Button size="small" onClick={() => validate.mutate()} disabled={validate.isPending}>
            Validate
          </Button>
          {c.credential_type === 'oauth2' && (
            <Button size="small" onClick={() => refresh.mutate()} disabled={refresh.isPending}>
              Refresh token
            </Button>
          )}
          <Button size="small" onClick={() => setDialog('rename')}>
            Rename
          </Button>
          <Button size="small" onClick={() => setDialog('rotate')}>
            {c.credential_type === 'oauth2' ? 'Reconnect' : 'Rotate key'}
          </Button>
          <Button
            size="small"
            onClick={() => update.mutate({ status: c.status === 'disabled' ? 'active' : 'disabled' })}
          >
            {c.status === 'disabled' ? 'Enable' : 'Disable'}
          </Button>
          <Button size="small" color="error" onClick={() => setDialog('delete')}>
            Delete
          </Button>
        </CardActions>
      )}
      {dialog === 'rename' && (
        <RenameDialog
          label={c.label}
          busy={update.isPending}
          onSave={(label) => update.mutate({ label })}
          onClose={closeDialog}
        />
      )}
      {dialog === 'rotate' && c.credential_type !== 'oauth2' && (
        <SecretDialog
          title={`New key for ${c.label}`}
          fields={platform?.credential_fields ?? []}
          busy={update.isPending}
          error={update.error}
          onSave={(secret) => update.mutate({ secret })}
          onClose={closeDialog}
        />
      )}
      {dialog === 'rotate' && c.credential_type === 'oauth2' && platform && (
        <OAuthStart
          projectId={projectId}
          platform={platform}
          label={c.label}
          onClose={closeDialog}
          // the same label makes the callback replace this connection's tokens; come back to it afterwards
          onLeave={(state) =>
            rememberOAuthReturn(state, { projectId, credentialId: c.id, from: focus?.returnTo ?? null })
          }
        />
      )}
      <ConfirmDialog
        open={dialog === 'delete'}
        title="Delete this connection?"
        text={`"${c.label}" and the data sources that use it will be deleted. Data already extracted stays.`}
        confirmLabel="Delete"
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onClose={() => setDialog(null)}
      />
    </Card>
  );
}

/** After reconnecting: back to where the user came from, or straight to extracting that data source again. */
function Reconnected({
  projectId,
  returnTo,
  editable,
}: {
  projectId: string;
  returnTo: string | null;
  editable: boolean;
}) {
  const navigate = useNavigate();
  const target = returnTarget(returnTo);
  const extract = useMutation({
    mutationFn: (sourceId: string) =>
      unwrap(
        api().POST('/api/v1/projects/{project_id}/data-sources/{source_id}/extract', {
          params: { path: { project_id: projectId, source_id: sourceId } },
          body: {},
        }),
      ),
    onSuccess: (r, sourceId) => navigate(`/projects/${projectId}/sources/${sourceId}/runs/${r.job_id}`),
  });
  return (
    <Alert severity="success" role="status" sx={{ mt: 1 }} data-testid="reconnected">
      Reconnected.{' '}
      {target && editable && (
        <Button
          size="small"
          variant="contained"
          onClick={() => extract.mutate(target.sourceId)}
          disabled={extract.isPending}
          sx={{ mx: 1 }}
        >
          Extract again
        </Button>
      )}
      {returnTo && (
        <RouterLink to={returnTo}>
          {target?.jobId ? 'Back to the failed run' : target ? 'Back to the data source' : 'Go back'}
        </RouterLink>
      )}
      {extract.error && <ErrorAlert error={extract.error} title="The run did not start" />}
    </Alert>
  );
}

/** A dialog whose form submits with Enter or its primary button, with Cancel beside it. */
function FormDialog(props: {
  titleId: string;
  title: ReactNode;
  maxWidth: 'xs' | 'sm';
  onClose: () => void;
  onSubmit: () => void;
  submitLabel: ReactNode;
  submitDisabled: boolean | undefined;
  children: ReactNode;
}) {
  return (
    <Dialog open onClose={props.onClose} aria-labelledby={props.titleId} fullWidth maxWidth={props.maxWidth}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props.onSubmit();
        }}
      >
        <DialogTitle id={props.titleId}>{props.title}</DialogTitle>
        <DialogContent>{props.children}</DialogContent>
        <DialogActions>
          <Button onClick={props.onClose}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={props.submitDisabled}>
            {props.submitLabel}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function RenameDialog({
  label,
  busy,
  onSave,
  onClose,
}: {
  label: string;
  busy: boolean;
  onSave: (l: string) => void;
  onClose: () => void;
}) {
  const [value, setValue] = useState(label);
  return (
    <FormDialog
      titleId="rename-title"
      title="Rename connection"
      maxWidth="xs"
      onClose={onClose}
      onSubmit={() => onSave(value)}
      submitLabel="Save"
      submitDisabled={busy || !value.trim()}
    >
      <TextField
        autoFocus
        fullWidth
        margin="dense"
        label="Name"
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
    </FormDialog>
  );
}

function SecretDialog(props: {
  title: string;
  fields: readonly CredentialField[];
  busy: boolean;
  error: unknown;
  withLabel?: boolean;
  onSave: (secret: Record<string, string>, label: string) => void;
  onClose: () => void;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [label, setLabel] = useState('');
  const missing = missingRequired(props.fields, values) || (props.withLabel && !label.trim());
  return (
    <FormDialog
      titleId="secret-title"
      title={props.title}
      maxWidth="sm"
      onClose={props.onClose}
      onSubmit={() => props.onSave(values, label)}
      submitLabel="Save"
      submitDisabled={props.busy || missing}
    >
      {props.withLabel && (
        <TextField
          fullWidth
          margin="dense"
          label="Connection name"
          value={label}
          onChange={(e) => setLabel(e.target.value)}
          required
        />
      )}
      <FieldInputs fields={props.fields} values={values} onChange={setValues} />
      {props.error ? <ErrorAlert error={props.error} title="Not saved" /> : null}
    </FormDialog>
  );
}

/** The credential fields a form asks for, masked where the connector marks them secret. */
function FieldInputs({
  fields,
  values,
  onChange,
}: {
  fields: readonly CredentialField[];
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
}) {
  return (
    <>
      {fields.map((f) => (
        <TextField
          key={f.name}
          fullWidth
          margin="dense"
          label={f.label}
          helperText={f.description ?? undefined}
          required={f.required}
          type={f.secret ? 'password' : 'text'}
          autoComplete="off"
          value={values[f.name] ?? ''}
          onChange={(e) => onChange({ ...values, [f.name]: e.target.value })}
          select={Boolean(f.options)}
        >
          {f.options?.map((o) => (
            <MenuItem key={o} value={o}>
              {o}
            </MenuItem>
          ))}
        </TextField>
      ))}
    </>
  );
}

const missingRequired = (fields: readonly CredentialField[], values: Record<string, string>) =>
  fields.some((f) => f.required && !values[f.name]?.trim());

/**
 * Asks the API for the platform's consent URL (with a single-use state) and goes there. What the platform needs
 * named first (Shopify's store) comes from the catalog's oauth_start_fields and travels as query parameters.
 */
function OAuthStart({
  projectId,
  platform,
  label,
  onClose,
  onLeave,
}: {
  projectId: string;
  platform: PlatformInfo;
  label: string;
  onClose: () => void;
  /** just before the browser leaves for the consent page, with the flow's state */
  onLeave?: (state: string) => void;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const start = useMutation({
    mutationFn: () =>
      unwrap(
        api().GET('/api/v1/projects/{project_id}/credentials/oauth/{platform}/start', {
          params: { path: { project_id: projectId, platform: platform.id }, query: { label, ...values } },
        }),
      ),
    onSuccess: (r) => {
      onLeave?.(r.state);
      window.location.assign(r.authorization_url);
    },
  });
  return (
    <FormDialog
      titleId="oauth-title"
      title={<>Sign in with {platform.name}</>}
      maxWidth="sm"
      onClose={onClose}
      onSubmit={() => start.mutate()}
      submitLabel={<>Continue to {platform.name}</>}
      submitDisabled={start.isPending || missingRequired(platform.oauth_start_fields, values)}
    >
      <Typography>
        You will go to {platform.name}’s consent page, then come back here. Tributary stores the sign-in encrypted;
        nobody sees it.
      </Typography>
      <FieldInputs fields={platform.oauth_start_fields} values={values} onChange={setValues} />
      {start.error && <ErrorAlert error={start.error} title="The connection could not start" />}
    </FormDialog>
  );
}

function ConnectDialog({
  projectId,
  platforms,
  onClose,
}: {
  projectId: string;
  platforms: PlatformInfo[];
  onClose: () => void;
}) {
  const qc = useQueryClient();
  const [platformId, setPlatformId] = useState('');
  const [method, setMethod] = useState<'oauth2' | 'api_key'>('oauth2');
  const [label, setLabel] = useState('');
  const [next, setNext] = useState(false);
  const platform = platforms.find((p) => p.id === platformId);
  // a platform that connects one way only leaves no choice
  const chosen = platform && (platform.connect_methods.includes(method) ? method : platform.connect_methods[0]);
  const create = useMutation({
    mutationFn: ({ secret, name }: { secret: Record<string, string>; name: string }) =>
      unwrap(
        api().POST('/api/v1/projects/{project_id}/credentials', {
          params: { path: { project_id: projectId } },
          body: { platform: platformId as PlatformInfo['id'], credential_type: 'api_key', label: name, secret },
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['credentials', projectId] });
      onClose();
    },
  });
  if (next && platform && chosen === 'oauth2')
    return (
      <OAuthStart
        projectId={projectId}
        platform={platform}
        label={label || `${platform.name} (OAuth)`}
        onClose={onClose}
      />
    );
  if (next && platform)
    return (
      <SecretDialog
        title={`Connect ${platform.name}`}
        fields={platform.credential_fields}
        withLabel
        busy={create.isPending}
        error={create.error}
        onSave={(secret, name) => create.mutate({ secret, name })}
        onClose={onClose}
      />
    );
  return (
    <FormDialog
      titleId="connect-title"
      title="Connect a platform"
      maxWidth="sm"
      onClose={onClose}
      onSubmit={() => setNext(true)}
      submitLabel="Next"
      submitDisabled={!platform}
    >
      <TextField
        select
        fullWidth
        margin="dense"
        label="Platform"
        value={platformId}
        onChange={(e) => setPlatformId(e.target.value)}
      >
        {platforms.map((p) => (
          <MenuItem key={p.id} value={p.id} disabled={!p.available}>
            {p.available
              ? `${p.name}${p.api_sunset ? ` · API version ${p.api_version ?? ''} until ${p.api_sunset}` : ''}`
              : `${p.name} (not available yet)`}
          </MenuItem>
        ))}
      </TextField>
      {platform && platform.connect_methods.length > 1 && (
        <TextField
          select
          fullWidth
          margin="dense"
          label="How to connect"
          value={chosen}
          onChange={(e) => setMethod(e.target.value as 'oauth2' | 'api_key')}
        >
          <MenuItem value="oauth2">Sign in with {platform.name}</MenuItem>
          <MenuItem value="api_key">Enter a key or access token</MenuItem>
        </TextField>
      )}
      {chosen === 'oauth2' && (
        <TextField
          fullWidth
          margin="dense"
          label="Connection name (optional)"
          value={label}
          onChange={(e) => setLabel(e.target.value)}
        />
      )}
    </FormDialog>
  );
}
