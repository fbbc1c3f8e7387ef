// Webhooks, the Excel hand-off: create and edit (scope, format, rate limit, expiry), a URL builder with a live
// preview of exactly what Excel will receive (the first rows of the real response), signed URLs with expiry,
// copy buttons, rotate and revoke, step-by-step instructions for Excel and Google Sheets, and the access log.
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
import { useEffect, useState } from 'react';
import { api, unwrap, type Json } from '../api/client';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyButton } from '../components/CopyButton';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, Loading, QueryView } from '../components/states';
import { runtimeConfig } from '../config';
import { csvRows } from '../csv';
import { dateTime } from '../format';
import { useProjectAndRole } from '../project';
import { canEdit } from '../session';
import { DEFAULT_QUERY, QueryBuilder, toQueryString, type ExplorerQuery } from './ExplorerPage';

type Webhook = Json<'listWebhooks'>['webhooks'][number];
const FORMATS = ['csv', 'xlsx', 'json', 'tsv', 'ndjson', 'xml', 'html'] as const;
const PLATFORMS = ['google_ads', 'meta_ads', 'ga4', 'instagram', 'shopify', 'amazon_ads', 'metricool', 'klaviyo'];

export default function WebhooksPage() {
  const { projectId, role } = useProjectAndRole();
  const editable = canEdit(role);
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  const [shownKey, setShownKey] = useState<{ webhookId: string; key: string } | null>(null);
  const [building, setBuilding] = useState<Webhook | null>(null);
  const hooks = useQuery({
    queryKey: ['webhooks', projectId],
    enabled: role !== 'viewer',
    queryFn: () =>
      unwrap(api().GET('/api/v1/projects/{project_id}/webhooks', { params: { path: { project_id: projectId } } })),
  });
  if (role === 'viewer')
    return (
      <>
        <PageHeader title="Webhooks" />
        <Alert severity="info">Webhooks are managed by analysts and above.</Alert>
      </>
    );
  return (
    <>
      <PageHeader
        title="Webhooks"
        subtitle="Read-only URLs of this project's data for Excel and Google Sheets."
        actions={
          editable && (
            <Button variant="contained" onClick={() => setEditing('new')}>
              New webhook
            </Button>
          )
        }
      />
      {shownKey && (
        <Alert severity="warning" sx={{ mb: 2 }} onClose={() => setShownKey(null)}>
          Copy the key now: it is shown only this once. <code data-testid="webhook-key">{shownKey.key}</code>{' '}
          <CopyButton text={shownKey.key} />
        </Alert>
      )}
      <QueryView
        query={hooks}
        isEmpty={(d) => d.webhooks.length === 0}
        empty="No webhooks yet. Create one to pull this project's data into a spreadsheet."
      >
        {(d) => (
          <Stack spacing={2}>
            {(d.webhooks as unknown as Webhook[]).map((w) => (
              <WebhookCard
                key={w.id}
                hook={w}
                projectId={projectId}
                editable={editable}
                onEdit={() => setEditing(w)}
                onBuild={() => setBuilding(w)}
                onKey={(key) => setShownKey({ webhookId: w.id, key })}
              />
            ))}
          </Stack>
        )}
      </QueryView>
      {building && (
        <UrlBuilder
          hook={building}
          projectId={projectId}
          knownKey={shownKey?.webhookId === building.id ? shownKey.key : null}
        />
      )}
      {editing && (
        <WebhookDialog
          projectId={projectId}
          hook={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onCreated={(hook, key) => {
            setShownKey({ webhookId: hook.id, key });
            setBuilding(hook);
          }}
        />
      )}
    </>
  );
}

function WebhookCard({
  hook: w,
  projectId,
  editable,
  onEdit,
  onBuild,
  onKey,
}: {
  hook: Webhook;
  projectId: string;
  editable: boolean;
  onEdit: () => void;
  onBuild: () => void;
  onKey: (k: string) => void;
}) {
  const qc = useQueryClient();
  const path = { project_id: projectId, webhook_id: w.id };
  const [confirm, setConfirm] = useState<'rotate' | 'revoke' | 'delete' | null>(null);
  const [log, setLog] = useState(false);
  const done = () => {
    setConfirm(null);
    void qc.invalidateQueries({ queryKey: ['webhooks', projectId] });
  };
  const rotate = useMutation({
    mutationFn: () =>
      unwrap(api().POST('/api/v1/projects/{project_id}/webhooks/{webhook_id}/rotate', { params: { path } })),
    onSuccess: (r) => {
      onKey(r.key);
      done();
    },
  });
  const revoke = useMutation({
    mutationFn: () =>
      unwrap(api().POST('/api/v1/projects/{project_id}/webhooks/{webhook_id}/revoke', { params: { path } })),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api().DELETE('/api/v1/projects/{project_id}/webhooks/{webhook_id}', { params: { path } })),
    onSuccess: done,
  });
  const error = rotate.error ?? revoke.error ?? remove.error;
  const revoked = !!w.revoked_at;
  return (
    <Card data-testid="webhook-card">
      <CardContent>
        <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}>
          <Typography variant="h6" component="h2">
            {w.name}
          </Typography>
          <Chip
            size="small"
            label={revoked ? 'revoked' : w.is_active ? 'active' : 'inactive'}
            color={revoked ? 'error' : 'success'}
          />
        </Box>
        <Typography variant="body2" color="text.secondary">
          Key {w.key_prefix}… · {w.output_format.toUpperCase()} · {w.rate_limit_per_hour} requests/hour ·{' '}
          {w.expires_at ? `expires ${dateTime(w.expires_at)}` : 'no expiry'} · last used {dateTime(w.last_used_at)}
        </Typography>
        {error && <ErrorAlert error={error} />}
        {log && <AccessLog projectId={projectId} webhookId={w.id} />}
      </CardContent>
      <CardActions sx={{ flexWrap: 'wrap', gap: 1 }}>
        {!revoked && (
          <Button size="small" variant="contained" onClick={onBuild}>
            Build a URL
          </Button>
        )}
        <Button size="small" onClick={() => setLog(!log)}>
          {log ? 'Hide access log' : 'Access log'}
        </Button>
        {editable && !revoked && (
          <>
            <Button size="small" onClick={onEdit}>
              Edit
            </Button>
            <Button size="small" onClick={() => setConfirm('rotate')}>
              Rotate key
            </Button>
            <Button size="small" color="error" onClick={() => setConfirm('revoke')}>
              Revoke
            </Button>
          </>
        )}
        {editable && (
          <Button size="small" color="error" onClick={() => setConfirm('delete')}>
            Delete
          </Button>
        )}
      </CardActions>
      <ConfirmDialog
        open={confirm === 'rotate'}
        title="Rotate the key?"
        text="The current key and every signed URL made with it stop working at once. Spreadsheets need the new URL."
        confirmLabel="Rotate"
        busy={rotate.isPending}
        onConfirm={() => rotate.mutate()}
        onClose={() => setConfirm(null)}
      />
      <ConfirmDialog
        open={confirm === 'revoke'}
        title="Revoke the webhook?"
        text="It stops answering for good. This cannot be undone."
        confirmLabel="Revoke"
        busy={revoke.isPending}
        onConfirm={() => revoke.mutate()}
        onClose={() => setConfirm(null)}
      />
      <ConfirmDialog
        open={confirm === 'delete'}
        title="Delete the webhook?"
        text={`"${w.name}" is deleted; its access log stays.`}
        confirmLabel="Delete"
        busy={remove.isPending}
        onConfirm={() => remove.mutate()}
        onClose={() => setConfirm(null)}
      />
    </Card>
  );
}

function AccessLog({ projectId, webhookId }: { projectId: string; webhookId: string }) {
  const log = useQuery({
    queryKey: ['webhook-log', webhookId],
    queryFn: () =>
      unwrap(
        api().GET('/api/v1/projects/{project_id}/webhooks/{webhook_id}/access-log', {
          params: { path: { project_id: projectId, webhook_id: webhookId } },
        }),
      ),
  });
  return (
    <Box sx={{ mt: 2 }}>
      <QueryView query={log} isEmpty={(d) => d.entries.length === 0} empty="Nobody has called this webhook yet.">
        {(d) => (
          <TableContainer>
            <Table size="small" aria-label="Access log">
              <TableHead>
                <TableRow>
                  <TableCell>When</TableCell>
                  <TableCell>Request</TableCell>
                  <TableCell align="right">Status</TableCell>
                  <TableCell align="right">Bytes</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {d.entries.map((e, i) => (
                  <TableRow key={i} data-testid="access-log-row">
                    <TableCell>{dateTime(e.at)}</TableCell>
                    <TableCell sx={{ wordBreak: 'break-all' }}>{e.path}</TableCell>
                    <TableCell align="right">{e.status}</TableCell>
                    <TableCell align="right">{e.bytes ?? '—'}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        )}
      </QueryView>
    </Box>
  );
}

function WebhookDialog({
  projectId,
  hook,
  onClose,
  onCreated,
}: {
  projectId: string;
  hook: Webhook | null;
  onClose: () => void;
  onCreated: (h: Webhook, key: string) => void;
}) {
  const qc = useQueryClient();
  const [name, setName] = useState(hook?.name ?? '');
  const [format, setFormat] = useState<(typeof FORMATS)[number]>(
    (hook?.output_format as (typeof FORMATS)[number]) ?? 'csv',
  );
  const [rate, setRate] = useState(String(hook?.rate_limit_per_hour ?? 1000));
  const [expires, setExpires] = useState(hook?.expires_at?.slice(0, 10) ?? '');
  const [platforms, setPlatforms] = useState<string[]>(hook?.default_filters.platforms ?? []);
  const body = {
    name,
    output_format: format,
    rate_limit_per_hour: Number(rate),
    expires_at: expires ? new Date(`${expires}T23:59:59Z`).toISOString() : null,
    default_filters: {
      ...(platforms.length ? { platforms: platforms as 'google_ads'[] } : {}),
      filters: hook?.default_filters.filters ?? [],
    },
  };
  const save = useMutation({
    mutationFn: async () => {
      if (hook)
        return {
          hook: (await unwrap(
            api().PUT('/api/v1/projects/{project_id}/webhooks/{webhook_id}', {
              params: { path: { project_id: projectId, webhook_id: hook.id } },
              body,
            }),
          )) as unknown as Webhook,
          key: null,
        };
      const r = await unwrap(
        api().POST('/api/v1/projects/{project_id}/webhooks', { params: { path: { project_id: projectId } }, body }),
      );
      return { hook: r.webhook as unknown as Webhook, key: r.key };
    },
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ['webhooks', projectId] });
      if (r.key) onCreated(r.hook, r.key);
      onClose();
    },
  });
  return (
    <Dialog open onClose={onClose} aria-labelledby="webhook-title" fullWidth maxWidth="sm">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <DialogTitle id="webhook-title">{hook ? 'Edit webhook' : 'New webhook'}</DialogTitle>
        <DialogContent>
          <TextField
            autoFocus
            required
            fullWidth
            margin="dense"
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <TextField
            select
            fullWidth
            margin="dense"
            label="Default format"
            value={format}
            onChange={(e) => setFormat(e.target.value as (typeof FORMATS)[number])}
          >
            {FORMATS.map((f) => (
              <MenuItem key={f} value={f}>
                {f.toUpperCase()}
              </MenuItem>
            ))}
          </TextField>
          <TextField
            select
            fullWidth
            margin="dense"
            label="Only these platforms (empty: all)"
            value={platforms}
            onChange={(e) => setPlatforms(e.target.value as unknown as string[])}
            slotProps={{ select: { multiple: true } }}
          >
            {PLATFORMS.map((p) => (
              <MenuItem key={p} value={p}>
                {p}
              </MenuItem>
            ))}
          </TextField>
          <TextField
            fullWidth
            margin="dense"
            type="number"
            label="Requests per hour"
            value={rate}
            onChange={(e) => setRate(e.target.value)}
          />
          <TextField
            fullWidth
            margin="dense"
            type="date"
            label="Expires on (optional)"
            value={expires}
            onChange={(e) => setExpires(e.target.value)}
            slotProps={{ inputLabel: { shrink: true } }}
          />
          {save.error && <ErrorAlert error={save.error} title="Not saved" />}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" disabled={!name.trim() || save.isPending}>
            {hook ? 'Save' : 'Create'}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function UrlBuilder({ hook, projectId, knownKey }: { hook: Webhook; projectId: string; knownKey: string | null }) {
  const [query, setQuery] = useState<ExplorerQuery>({
    ...DEFAULT_QUERY,
    dimensions: ['date', 'campaign'],
    metrics: ['cost', 'clicks', 'conversions'],
  });
  const [endpoint, setEndpoint] = useState<'data' | 'summary'>('data');
  const [days, setDays] = useState('7');
  const [url, setUrl] = useState<{ url: string; expires_at: string | null } | null>(null);
  const qs = toQueryString(query, { format: 'csv' });
  const mint = useMutation({
    mutationFn: () =>
      unwrap(
        api().POST('/api/v1/projects/{project_id}/webhooks/{webhook_id}/signed-urls', {
          params: { path: { project_id: projectId, webhook_id: hook.id } },
          body: {
            endpoint,
            query: Object.fromEntries([...qs.keys()].map((k) => [k, qs.getAll(k).join(',')])),
            expires_in_seconds: Math.round(Number(days) * 86_400),
          },
        }),
      ),
    onSuccess: (r) => setUrl({ url: r.url, expires_at: r.expires_at }),
  });
  // filters repeat in a URL; a signed URL fixes one value per name, so the key URL carries them instead
  const hasFilters = query.filters.some((f) => f.value);
  const keyUrl = knownKey
    ? `${runtimeConfig().webhookUrl ?? ''}/webhook/v1/${knownKey}/${endpoint}?${qs.toString()}`
    : null;
  const shown = keyUrl && (hasFilters || !url) ? { url: keyUrl, expires_at: null } : url;
  useEffect(() => {
    const t = setTimeout(() => {
      if (!hasFilters) mint.mutate();
    }, 500);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [qs.toString(), endpoint, days, hook.id]);
  const preview = useQuery({
    queryKey: ['preview', shown?.url],
    enabled: !!shown,
    queryFn: async () => {
      const res = await fetch(shown!.url);
      const text = await res.text();
      if (!res.ok) throw new Error(`The webhook answered ${res.status}: ${text.slice(0, 300)}`);
      return { text, rows: csvRows(text, 11) };
    },
  });
  return (
    <Paper component="section" aria-labelledby="builder-title" sx={{ p: { xs: 2, sm: 3 }, mt: 3 }}>
      <Typography id="builder-title" variant="h5" component="h2" sx={{ mb: 2 }}>
        URL for “{hook.name}”
      </Typography>
      <QueryBuilder value={query} onChange={setQuery} />
      <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap', mt: 2 }}>
        <TextField
          select
          label="Endpoint"
          value={endpoint}
          onChange={(e) => setEndpoint(e.target.value as 'data' | 'summary')}
          sx={{ minWidth: 160 }}
        >
          <MenuItem value="data">Rows (data)</MenuItem>
          <MenuItem value="summary">Totals (summary)</MenuItem>
        </TextField>
        <TextField
          type="number"
          label="Signed URL valid for (days)"
          value={days}
          onChange={(e) => setDays(e.target.value)}
          slotProps={{ htmlInput: { min: 1, max: 90 } }}
        />
      </Box>
      {mint.error && <ErrorAlert error={mint.error} title="The URL could not be signed" />}
      {!shown ? (
        <Loading label="Signing the URL" />
      ) : (
        <>
          <Typography variant="subtitle1" component="h3" sx={{ mt: 2 }}>
            {shown.expires_at ? `Signed URL (valid until ${dateTime(shown.expires_at)})` : 'URL with the key'}
          </Typography>
          <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}>
            <Box
              component="code"
              data-testid="webhook-url"
              sx={{ wordBreak: 'break-all', bgcolor: 'grey.100', p: 1, borderRadius: 1, flex: '1 1 300px' }}
            >
              {shown.url}
            </Box>
            <CopyButton text={shown.url} label="Copy URL" />
          </Box>
          <Typography variant="subtitle1" component="h3" sx={{ mt: 2 }}>
            What Excel will receive (first rows)
          </Typography>
          {preview.isPending ? (
            <Loading label="Fetching the preview" />
          ) : preview.error ? (
            <ErrorAlert error={preview.error} title="The preview failed" />
          ) : (
            <TableContainer sx={{ maxHeight: 360 }}>
              <Table size="small" aria-label="Preview" data-testid="webhook-preview">
                <TableHead>
                  <TableRow>
                    {preview.data!.rows[0]?.map((h, i) => (
                      <TableCell key={i}>{h}</TableCell>
                    ))}
                  </TableRow>
                </TableHead>
                <TableBody>
                  {preview.data!.rows.slice(1).map((r, i) => (
                    <TableRow key={i} data-testid="preview-row">
                      {r.map((c, j) => (
                        <TableCell key={j}>{c}</TableCell>
                      ))}
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </TableContainer>
          )}
          <Typography variant="subtitle1" component="h3" sx={{ mt: 3 }}>
            In Excel (Power Query)
          </Typography>
          <ol>
            <li>Data → Get Data → From Other Sources → From Web.</li>
            <li>Paste the URL above (Copy URL) and choose OK.</li>
            <li>In the preview, choose Load. Data → Refresh All fetches it again.</li>
          </ol>
          <Typography variant="subtitle1" component="h3">
            In Google Sheets
          </Typography>
          <Box sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}>
            <Box
              component="code"
              data-testid="sheets-formula"
              sx={{ wordBreak: 'break-all', bgcolor: 'grey.100', p: 1, borderRadius: 1, flex: '1 1 300px' }}
            >
              =IMPORTDATA("{shown.url}")
            </Box>
            <CopyButton text={`=IMPORTDATA("${shown.url}")`} label="Copy formula" />
          </Box>
          <Typography variant="body2" color="text.secondary">
            Sheets fetches from Google's servers, so it needs the public (CloudFront) address, not a local one.
          </Typography>
        </>
      )}
    </Paper>
  );
}
