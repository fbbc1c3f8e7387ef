// Where a platform's consent page sends the user back (/oauth/callback?code=…&state=…). The dashboard completes
// the exchange with the signed-in user's token; the API stores nothing unless that user started it.
import Alert from '@mui/material/Alert';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link as RouterLink, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError, unwrap } from '../api/client';
import { PageHeader } from '../components/PageHeader';
import { ErrorAlert, Loading } from '../components/states';
import { connectionPath, takeOAuthReturn } from '../reconnect';

export default function OAuthCallbackPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const code = params.get('code');
  const state = params.get('state');
  const platformError = params.get('error');
  const complete = useMutation({
    mutationFn: () => unwrap(api().POST('/api/v1/oauth/complete', { body: { code: code ?? '', state: state ?? '' } })),
    onSuccess: (credential) => {
      // a reconnect started from a link to one connection goes back to it, with the way back to the run
      const back = takeOAuthReturn(state);
      navigate(
        back && back.projectId === credential.project_id
          ? connectionPath(credential.project_id, credential.id, { connected: true, from: back.from })
          : `/projects/${credential.project_id}/credentials?connected=${credential.id}`,
        { replace: true },
      );
    },
  });
  const started = useRef(false);
  useEffect(() => {
    // a code is single use: exchange it once, even if React runs effects twice
    if (started.current || !code || !state || platformError) return;
    started.current = true;
    complete.mutate();
  }, [code, state, platformError, complete]);

  let body;
  if (platformError)
    body = <Alert severity="warning">The platform did not grant access ({platformError}). Nothing was stored.</Alert>;
  else if (!code || !state)
    body = (
      <Alert severity="error">
        This address is missing the platform’s code or state. Start the connection again from the project’s Connections
        page.
      </Alert>
    );
  else if (complete.error instanceof ApiError && complete.error.status === 403)
    body = (
      <Alert severity="error" role="alert">
        This connection was started by someone else. Nothing was stored: ask them to finish it, or start your own from
        the project’s Connections page.
      </Alert>
    );
  else if (complete.error) body = <ErrorAlert error={complete.error} title="The connection was not completed" />;
  else body = <Loading label="Finishing the connection" />;
  return (
    <>
      <PageHeader title="Connecting…" />
      {body}
      <p>
        <RouterLink to="/projects">Back to your projects</RouterLink>
      </p>
    </>
  );
}
