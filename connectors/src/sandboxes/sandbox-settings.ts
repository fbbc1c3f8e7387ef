// The sandboxes' own settings, from the environment of the process that starts them (`npm start`): the
// one place a sandbox reads it, as config.ts is for the application. Sandboxes are test doubles of the
// platforms, so their settings stay here rather than in the application's Config.
export interface SandboxSettings {
  /** TRIBUTARY_SANDBOX_<KEY>_PORT: a fixed port instead of the service's default */
  port?: number;
  /** TRIBUTARY_SANDBOX_<KEY>_FAULTS: faults to start with (each sandbox parses its own) */
  faults?: string;
}

export function sandboxSettings(key: string, env: Record<string, string | undefined> = process.env): SandboxSettings {
  const prefix = `TRIBUTARY_SANDBOX_${key.toUpperCase()}`;
  const port = env[`${prefix}_PORT`];
  const faults = env[`${prefix}_FAULTS`];
  if (port !== undefined && !/^\d{1,5}$/.test(port))
    throw new Error(`environment variable ${prefix}_PORT must be a port number: got "${port}"`);
  return { ...(port ? { port: Number(port) } : {}), ...(faults ? { faults } : {}) };
}
