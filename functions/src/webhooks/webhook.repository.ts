// Webhook configurations: plain functions over a Kysely transaction that already carries the organization
// (RLS applies). The key itself never reaches this layer's storage: only its hash and visible prefix.
import { sql, type Transaction } from 'kysely';
import type { DB, Row } from '@tributary/shared/db/schema';
import { ConflictError, NotFoundError, ValidationError } from '@tributary/shared/domain/errors';
import { WebhookScopeSchema, type OutputFormat, type WebhookScope } from '../data/query.schemas';
import { generateWebhookKey } from './webhook-keys';

export interface WebhookInput {
  name: string;
  allowedDataSources: string[];
  scope: WebhookScope;
  outputFormat: OutputFormat;
  rateLimitPerHour: number;
  expiresAt: Date | null;
}

export interface WebhookView {
  id: string;
  project_id: string;
  name: string;
  key_prefix: string;
  is_active: boolean;
  revoked_at: string | null;
  allowed_data_sources: string[];
  default_filters: WebhookScope;
  output_format: string;
  rate_limit_per_hour: number;
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
}

export function toView(row: Row<'webhookConfigs'>): WebhookView {
  const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
  return {
    id: row.id,
    project_id: row.projectId,
    name: row.webhookName,
    key_prefix: row.keyPrefix,
    is_active: row.isActive,
    revoked_at: iso(row.revokedAt),
    allowed_data_sources: row.allowedDataSources,
    default_filters: WebhookScopeSchema.parse(row.dataFilters ?? {}),
    output_format: row.outputFormat,
    rate_limit_per_hour: row.rateLimitPerHour,
    expires_at: iso(row.expiresAt),
    last_used_at: iso(row.lastUsedAt),
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
  };
}

async function assertSourcesInProject(trx: Transaction<DB>, projectId: string, ids: readonly string[]): Promise<void> {
  if (!ids.length) return;
  const found = await trx
    .selectFrom('dataSources')
    .select('id')
    .where('projectId', '=', projectId)
    .where('id', 'in', [...ids])
    .execute();
  if (found.length !== new Set(ids).size)
    throw new ValidationError('Every allowed data source must belong to this project', {
      field: 'allowed_data_sources',
    });
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

export async function createWebhook(
  trx: Transaction<DB>,
  ctx: { organizationId: string; projectId: string; userId: string | null },
  input: WebhookInput,
): Promise<{ webhook: WebhookView; key: string }> {
  await assertSourcesInProject(trx, ctx.projectId, input.allowedDataSources);
  const { key, keyHash, keyPrefix } = generateWebhookKey();
  try {
    const row = await trx
      .insertInto('webhookConfigs')
      .values({
        organizationId: ctx.organizationId,
        projectId: ctx.projectId,
        webhookName: input.name,
        keyPrefix,
        keyHash,
        allowedDataSources: input.allowedDataSources,
        dataFilters: JSON.stringify(input.scope),
        outputFormat: input.outputFormat,
        rateLimitPerHour: input.rateLimitPerHour,
        expiresAt: input.expiresAt,
        createdBy: ctx.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { webhook: toView(row), key };
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ConflictError('A webhook with this name already exists in the project', { field: 'name' });
    throw err;
  }
}

export async function listWebhooks(trx: Transaction<DB>, projectId: string): Promise<WebhookView[]> {
  const rows = await trx
    .selectFrom('webhookConfigs')
    .selectAll()
    .where('projectId', '=', projectId)
    .orderBy('createdAt')
    .execute();
  return rows.map(toView);
}

export async function getWebhookRow(
  trx: Transaction<DB>,
  projectId: string,
  id: string,
): Promise<Row<'webhookConfigs'>> {
  const row = await trx
    .selectFrom('webhookConfigs')
    .selectAll()
    .where('projectId', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('webhook', id);
  return row;
}

export async function updateWebhook(
  trx: Transaction<DB>,
  projectId: string,
  id: string,
  patch: Partial<WebhookInput>,
): Promise<WebhookView> {
  await getWebhookRow(trx, projectId, id);
  if (patch.allowedDataSources) await assertSourcesInProject(trx, projectId, patch.allowedDataSources);
  try {
    const row = await trx
      .updateTable('webhookConfigs')
      .set({
        ...(patch.name !== undefined ? { webhookName: patch.name } : {}),
        ...(patch.allowedDataSources !== undefined ? { allowedDataSources: patch.allowedDataSources } : {}),
        ...(patch.scope !== undefined ? { dataFilters: JSON.stringify(patch.scope) } : {}),
        ...(patch.outputFormat !== undefined ? { outputFormat: patch.outputFormat } : {}),
        ...(patch.rateLimitPerHour !== undefined ? { rateLimitPerHour: patch.rateLimitPerHour } : {}),
        ...(patch.expiresAt !== undefined ? { expiresAt: patch.expiresAt } : {}),
      })
      .where('projectId', '=', projectId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toView(row);
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ConflictError('A webhook with this name already exists in the project', { field: 'name' });
    throw err;
  }
}

/**
 * A new key replaces the old one at once; URLs signed before the rotation stop working too (their key is salted with
 * the old hash).
 */
export async function rotateWebhookKey(
  trx: Transaction<DB>,
  projectId: string,
  id: string,
): Promise<{ webhook: WebhookView; key: string }> {
  const current = await getWebhookRow(trx, projectId, id);
  if (current.revokedAt) throw new ConflictError('A revoked webhook cannot be rotated; create a new one', { id });
  const { key, keyHash, keyPrefix } = generateWebhookKey();
  const row = await trx
    .updateTable('webhookConfigs')
    .set({ keyHash, keyPrefix })
    .where('projectId', '=', projectId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { webhook: toView(row), key };
}

export async function revokeWebhook(trx: Transaction<DB>, projectId: string, id: string): Promise<WebhookView> {
  await getWebhookRow(trx, projectId, id);
  const row = await trx
    .updateTable('webhookConfigs')
    .set({ isActive: false, revokedAt: sql<Date>`coalesce(revoked_at, now())` })
    .where('projectId', '=', projectId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toView(row);
}

export async function deleteWebhook(trx: Transaction<DB>, projectId: string, id: string): Promise<void> {
  const res = await trx
    .deleteFrom('webhookConfigs')
    .where('projectId', '=', projectId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new NotFoundError('webhook', id);
}
