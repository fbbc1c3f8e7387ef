// The shell: the Amplify Authenticator in front of everything, then the router. Pages load lazily so the
// first screen sends little JavaScript (charts come with the pages that draw them).
import { Authenticator } from '@aws-amplify/ui-react';
import '@aws-amplify/ui-react/styles.css';
import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider, createTheme } from '@mui/material/styles';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { signOut } from 'aws-amplify/auth';
import { useCallback } from 'react';
import { Navigate, RouterProvider, createBrowserRouter } from 'react-router';
import { ApiError, rawCall } from './api/client';
import { signInWithFlow } from './auth';
import type { RuntimeConfig } from './config';
import { Layout } from './Layout';
import { ErrorAlert, Loading } from './components/states';
import { SessionProvider, useProfileQuery } from './session';

const theme = createTheme({
  palette: { primary: { main: '#0b5cad' }, secondary: { main: '#6a1b9a' } },
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // a 4xx will not get better by asking again
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    },
  },
});

const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({ Component: (await load()).default });

const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/projects" replace /> },
      { path: 'projects', lazy: page(() => import('./pages/ProjectsPage')) },
      { path: 'projects/:projectId', lazy: page(() => import('./pages/OverviewPage')) },
      { path: 'projects/:projectId/settings', lazy: page(() => import('./pages/ProjectSettingsPage')) },
      { path: 'projects/:projectId/credentials', lazy: page(() => import('./pages/CredentialsPage')) },
      { path: 'projects/:projectId/sources', lazy: page(() => import('./pages/DataSourcesPage')) },
      { path: 'projects/:projectId/sources/new', lazy: page(() => import('./pages/DataSourceWizardPage')) },
      { path: 'projects/:projectId/sources/:sourceId', lazy: page(() => import('./pages/RunsPage')) },
      { path: 'projects/:projectId/explorer', lazy: page(() => import('./pages/ExplorerPage')) },
      { path: 'projects/:projectId/webhooks', lazy: page(() => import('./pages/WebhooksPage')) },
      { path: 'projects/:projectId/activity', lazy: page(() => import('./pages/ActivityPage')) },
      { path: 'members', lazy: page(() => import('./pages/MembersPage')) },
      { path: 'profile', lazy: page(() => import('./pages/ProfilePage')) },
      { path: 'oauth/callback', lazy: page(() => import('./pages/OAuthCallbackPage')) },
      { path: 'invitations/accept', lazy: page(() => import('./pages/InvitationAcceptPage')) },
      { path: '*', lazy: page(() => import('./pages/NotFoundPage')) },
    ],
  },
]);

function SignedIn({ onSignOut }: { onSignOut: () => void }) {
  const profile = useProfileQuery();
  if (profile.isPending) return <Loading label="Loading your profile" />;
  if (profile.error) return <ErrorAlert error={profile.error} title="Your profile could not be loaded" />;
  return (
    <SessionProvider profile={profile.data} signOut={onSignOut}>
      <RouterProvider router={router} />
    </SessionProvider>
  );
}

/** Sign-up goes through the API, which creates the account in the pool and (locally) confirms it at once. */
function authServices(config: RuntimeConfig) {
  return {
    handleSignIn: signInWithFlow(config),
    async handleSignUp(input: { username: string; password: string }) {
      const result = await rawCall<{ confirmed: boolean }>('POST', '/api/v1/auth/register', { email: input.username, password: input.password });
      return result.confirmed
        ? { isSignUpComplete: true, nextStep: { signUpStep: 'DONE' as const } }
        : { isSignUpComplete: false, nextStep: { signUpStep: 'CONFIRM_SIGN_UP' as const, codeDeliveryDetails: { deliveryMedium: 'EMAIL' as const, destination: input.username } } };
    },
    async handleConfirmSignUp(input: { username: string; confirmationCode: string }) {
      await rawCall('POST', '/api/v1/auth/confirm', { email: input.username, code: input.confirmationCode });
      return { isSignUpComplete: true, nextStep: { signUpStep: 'DONE' as const } };
    },
  };
}

export function App({ config }: { config: RuntimeConfig }) {
  const doSignOut = useCallback(() => {
    queryClient.clear();
    void signOut();
  }, []);
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <QueryClientProvider client={queryClient}>
        <Authenticator loginMechanisms={['email']} services={authServices(config) as never} components={{ Header: AuthHeader }}>
          {() => <SignedIn onSignOut={doSignOut} />}
        </Authenticator>
      </QueryClientProvider>
    </ThemeProvider>
  );
}

function AuthHeader() {
  return (
    <header style={{ textAlign: 'center', padding: '32px 0 8px' }}>
      <h1 style={{ margin: 0, fontFamily: 'sans-serif' }}>Tributary</h1>
    </header>
  );
}
