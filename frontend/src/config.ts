// Runtime settings, fetched from /config.json at start so one build serves every environment
// (written by the local runner, and by the deployment next to the bundle in S3).
export interface RuntimeConfig {
  apiUrl: string;
  /** ws(s)://…/ws/v1/progress, live run progress */
  progressUrl?: string;
  /** where /webhook/v1/<key>/… is served */
  webhookUrl?: string;
  cognito: {
    userPoolId: string;
    clientId: string;
    /** cognito-local's address; absent in AWS */
    endpoint?: string;
    /** cognito-local speaks USER_PASSWORD_AUTH only; Cognito gets SRP */
    authFlow?: 'USER_SRP_AUTH' | 'USER_PASSWORD_AUTH';
  };
  environment?: string;
}

let current: RuntimeConfig | null = null;

export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json answered ${res.status}`);
  current = (await res.json()) as RuntimeConfig;
  return current;
}

export function runtimeConfig(): RuntimeConfig {
  if (!current) throw new Error('the runtime configuration is not loaded yet');
  return current;
}
