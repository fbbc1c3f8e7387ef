// What the public webhook reads and writes per request (its key's row, the access log that counts it): plain
// functions over the request's pg connection, so the key check, the counts and the log row stay in the one
// transaction and the same round trips a small refresh pays for (no query builder on this path).
import type pg from 'pg';

/** A webhook_configs row as the lookup functions return it (snake_case, as PostgreSQL names it). */
export interface WebhookRow {
  id: string;
  organization_id: string;
  project_id: string;
  key_hash: string;
  key_prefix: string;
  is_active: boolean;
  revoked_at: Date | null;
  expires_at: Date | null;
  allowed_data_sources: string[];
  data_filters: unknown;
  output_format: string;
  rate_limit_per_hour: number;
}

/** SECURITY DEFINER lookups: the organization is not known until the key or signed id has found it. */
export async function findWebhookById(c: pg.PoolClient, id: string): Promise<WebhookRow | undefined> {
  return (await c.query<WebhookRow>('SELECT * FROM app_webhook_by_id($1::uuid)', [id])).rows[0];
}

export async function findWebhookByKeyHash(c: pg.PoolClient, keyHash: string): Promise<WebhookRow | undefined> {
  return (await c.query<WebhookRow>('SELECT * FROM app_webhook_by_key_hash($1)', [keyHash])).rows[0];
}

/** The rest of the transaction sees the webhook's organization (row-level security keys on it). */
export async function enterOrganization(c: pg.PoolClient, organizationId: string): Promise<void> {
  await c.query(`SELECT set_config('tributary.org_id', $1, true)`, [organizationId]);
}

/** One webhook's requests are counted one at a time (released at commit). */
export async function lockWebhookCounter(c: pg.PoolClient, webhookId: string): Promise<void> {
  await c.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 13))`, [webhookId]);
}

/** Requests since `since` (indexed on (webhook_config_id, created_at)). */
export async function countRequestsSince(c: pg.PoolClient, webhookId: string, since: Date): Promise<number> {
  const { rows } = await c.query<{ n: string }>(
    'SELECT count(*)::text AS n FROM api_access_logs WHERE webhook_config_id = $1::uuid AND created_at >= $2::timestamptz',
    [webhookId, since.toISOString()],
  );
  return Number(rows[0]!.n);
}

/** Requests still streaming (no status yet); older than 15 minutes they died with their process. */
export async function countRunningRequests(c: pg.PoolClient, webhookId: string): Promise<number> {
  const { rows } = await c.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM api_access_logs WHERE webhook_config_id = $1::uuid AND response_status IS NULL AND created_at > now() - interval '15 minutes'`,
    [webhookId],
  );
  return Number(rows[0]!.n);
}

/** When the webhook last answered 200 on this logged path (the key shown by its prefix only), if ever. */
export async function lastSuccessfulRequestAt(c: pg.PoolClient, webhookId: string, loggedPath: string) {
  const { rows } = await c.query<{ at: Date | null }>(
    `SELECT max(created_at) AS at FROM api_access_logs
      WHERE webhook_config_id = $1::uuid AND response_status = 200 AND request_path = $2`,
    [webhookId, loggedPath],
  );
  return rows[0]?.at ?? null;
}

/** An api_access_logs row; never the key or a signature. */
export interface AccessLogEntry {
  organizationId: string;
  projectId: string;
  webhookConfigId: string;
  ipAddress: string | null;
  userAgent: string | null;
  requestMethod: string;
  requestPath: string;
  requestParams: Record<string, string | string[]>;
  /** null while the request runs: it is counted from its start */
  responseStatus: number | null;
  responseSize: number | null;
  processingTimeMs: number | null;
}

export async function insertAccessLog(c: pg.PoolClient, e: AccessLogEntry): Promise<string> {
  const { rows } = await c.query<{ id: string }>(
    `INSERT INTO api_access_logs (organization_id, project_id, webhook_config_id, ip_address, user_agent, request_method, request_path, request_params, response_status, response_size, processing_time_ms)
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4::inet, $5, $6, $7, $8::jsonb, $9, $10, $11) RETURNING id::text AS id`,
    [
      e.organizationId,
      e.projectId,
      e.webhookConfigId,
      e.ipAddress,
      e.userAgent,
      e.requestMethod,
      e.requestPath,
      JSON.stringify(e.requestParams),
      e.responseStatus,
      e.responseSize,
      e.processingTimeMs,
    ],
  );
  return rows[0]!.id;
}

export async function finishAccessLog(
  c: pg.PoolClient,
  id: string,
  outcome: { status: number; bytes: number; ms: number },
): Promise<void> {
  await c.query(
    `UPDATE api_access_logs SET response_status = $2, response_size = $3, processing_time_ms = $4 WHERE id = $1`,
    [id, outcome.status, outcome.bytes, outcome.ms],
  );
}
