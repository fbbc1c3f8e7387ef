// Start-up: read /config.json, configure Amplify, then render. A missing or broken config shows why.
// A signed-in user's screen starts its requests and its code here, in parallel, instead of one after the other
// (app → session → page → chart) as React would reach them.
import { createRoot } from 'react-dom/client';
import { accessToken, configureAuth } from './auth';
import { loadRuntimeConfig } from './config';
import { DailyChart, SignedIn, loadOverviewPage, overviewProjectId } from './lazy';
import { prefetchOverview, profileQuery } from './queries';
import { queryClient } from './queryClient';

const root = createRoot(document.getElementById('root')!);

/** Nothing for a signed-out visitor: the sign-in screen loads only what it draws. */
async function startEarly(pathname: string): Promise<void> {
  if (!(await accessToken().catch(() => undefined))) return;
  const ignore = () => undefined; // a chunk that fails here is asked for again, and reported, where it is used
  void queryClient.prefetchQuery(profileQuery());
  SignedIn.preload().catch(ignore);
  const projectId = overviewProjectId(pathname);
  if (projectId) {
    prefetchOverview(queryClient, projectId);
    loadOverviewPage().catch(ignore);
    DailyChart.preload().catch(ignore);
  }
}

loadRuntimeConfig()
  .then(async (config) => {
    configureAuth(config);
    void startEarly(window.location.pathname);
    const { App } = await import('./App');
    root.render(<App config={config} />);
  })
  .catch((error: unknown) => {
    root.render(
      <main style={{ fontFamily: 'sans-serif', padding: 24 }}>
        <h1>Tributary could not start</h1>
        <p role="alert">{error instanceof Error ? error.message : String(error)}</p>
      </main>,
    );
  });
