// Loading, empty and error states, the same on every screen. Errors show the API envelope's message and
// request id, so a user can quote it; never a blank screen.
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function ErrorAlert({ error, title = 'Something went wrong' }: { error: unknown; title?: string }) {
  const message = error instanceof Error ? error.message : String(error);
  const requestId = error instanceof ApiError ? error.requestId : null;
  return (
    <Alert severity="error" role="alert" sx={{ my: 2 }}>
      <AlertTitle>{title}</AlertTitle>
      <span data-testid="error-message">{message}</span>
      {requestId && (
        <Typography variant="body2" component="div" sx={{ mt: 1 }}>
          Request id: <code data-testid="error-request-id">{requestId}</code>
        </Typography>
      )}
    </Alert>
  );
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Box role="status" aria-live="polite" sx={{ display: 'flex', alignItems: 'center', gap: 2, py: 4 }}>
      <CircularProgress size={24} aria-label={label} />
      <Typography>{label}…</Typography>
    </Box>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Box data-testid="empty-state" sx={{ py: 4, textAlign: 'center', color: 'text.secondary' }}>
      {children}
    </Box>
  );
}

/** Renders loading / error / empty / content for one TanStack query. */
export function QueryView<T>(props: {
  query: { isPending: boolean; error: unknown; data: T | undefined };
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
  children: (data: T) => ReactNode;
}) {
  const { query } = props;
  if (query.isPending) return <Loading label={props.loadingLabel} />;
  if (query.error) return <ErrorAlert error={query.error} />;
  const data = query.data as T;
  if (props.isEmpty?.(data)) return <Empty>{props.empty ?? 'Nothing here yet.'}</Empty>;
  return <>{props.children(data)}</>;
}
