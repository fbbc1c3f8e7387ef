// Everything after sign-in: the theme, the router and the session. Loaded lazily, so the sign-in screen does
// not wait for Material UI and the pages.
import CssBaseline from '@mui/material/CssBaseline';
import { ThemeProvider, createTheme } from '@mui/material/styles';
import { Navigate, RouterProvider, createBrowserRouter } from 'react-router';
import { Layout } from './Layout';
import { ErrorAlert, Loading } from './components/states';
import { DailyChart, loadOverviewPage } from './lazy';
import { prefetchOverview } from './queries';
import { queryClient } from './queryClient';
import { SessionProvider, useProfileQuery } from './session';

const theme = createTheme({
  // status colours dark enough for white chip text at WCAG AA (4.5:1); MUI's default info and warning are not
  palette: {
    primary: { main: '#0b5cad' },
    secondary: { main: '#6a1b9a' },
    info: { main: '#01579b' },
    warning: { main: '#9a4a00' },
    success: { main: '#1b5e20' },
  },
});

const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({
  Component: (await load()).default,
});

const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    hydrateFallbackElement: <Loading label="Loading the page" />,
    children: [
      { index: true, element: <Navigate to="/projects" replace /> },
      { path: 'projects', lazy: page(() => import('./pages/ProjectsPage')) },
      {
        path: 'projects/:projectId',
        // start the overview's requests and its chart's code with the page's code, not after it
        loader: ({ params }) => {
          prefetchOverview(queryClient, params.projectId!);
          DailyChart.preload().catch(() => undefined);
          return null;
        },
        lazy: page(loadOverviewPage),
      },
      { path: 'projects/:projectId/settings', lazy: page(() => import('./pages/ProjectSettingsPage')) },
      { path: 'projects/:projectId/credentials', lazy: page(() => import('./pages/CredentialsPage')) },
      { path: 'projects/:projectId/credentials/:credentialId', lazy: page(() => import('./pages/CredentialsPage')) },
      { path: 'projects/:projectId/sources', lazy: page(() => import('./pages/DataSourcesPage')) },
      { path: 'projects/:projectId/sources/new', lazy: page(() => import('./pages/DataSourceWizardPage')) },
      { path: 'projects/:projectId/sources/:sourceId', lazy: page(() => import('./pages/RunsPage')) },
      { path: 'projects/:projectId/sources/:sourceId/runs/:jobId', lazy: page(() => import('./pages/RunsPage')) },
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

export default function SignedIn({ onSignOut }: { onSignOut: () => void }) {
  const profile = useProfileQuery();
  let body;
  if (profile.isPending) body = <Loading label="Loading your profile" />;
  else if (profile.error) body = <ErrorAlert error={profile.error} title="Your profile could not be loaded" />;
  else
    body = (
      <SessionProvider profile={profile.data} signOut={onSignOut}>
        <RouterProvider router={router} />
      </SessionProvider>
    );
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      {body}
    </ThemeProvider>
  );
}
