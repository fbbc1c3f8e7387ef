// The lazily loaded parts, named once: the router, the pages and start-up's preloading (which fetches a
// screen's code while its data is on the way) ask for the same chunks.
import { lazy, type ComponentType } from 'react';

/**
 * React.lazy that renders at once when its code is already loaded. React.lazy suspends on first render even
 * then, and React holds back revealing a suspended boundary by up to 300 ms (its fallback throttle), which
 * cost the overview that long after its data had arrived.
 */
function preloadable<P extends object>(load: () => Promise<{ default: ComponentType<P> }>) {
  let loaded: ComponentType<P> | undefined;
  const preload = () =>
    load().then((m) => {
      loaded = m.default;
      return m;
    });
  const Lazy = lazy(preload);
  function Preloadable(props: P) {
    const Component = loaded ?? Lazy;
    return <Component {...props} />;
  }
  return Object.assign(Preloadable, { preload });
}

export const SignedIn = preloadable(() => import('./SignedIn'));
export const DailyChart = preloadable(() => import('./components/DailyChart'));
export const loadOverviewPage = () => import('./pages/OverviewPage');

/** The overview's path, /projects/<uuid>, and its project id. */
export function overviewProjectId(pathname: string): string | null {
  return /^\/projects\/([0-9a-f-]{36})\/?$/i.exec(pathname)?.[1] ?? null;
}
