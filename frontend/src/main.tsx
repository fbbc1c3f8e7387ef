// Start-up: read /config.json, configure Amplify, then render. A missing or broken config shows why.
import { createRoot } from 'react-dom/client';
import { configureAuth } from './auth';
import { loadRuntimeConfig } from './config';

const root = createRoot(document.getElementById('root')!);

loadRuntimeConfig()
  .then(async (config) => {
    configureAuth(config);
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
