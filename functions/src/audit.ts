// Every mutating action, and every read of secret material, leaves one audit_log row in the same
// transaction as the change itself: no change without its record.
import type { Transaction } from 'kysely';
import type { DB } from '@tributary/shared/db/schema';

export interface AuditEntry {
  organizationId: string;
  projectId?: string | null;
  actorUserId: string | null;
  actorKind?: 'user' | 'system';
  action: string;
  targetType: string;
  targetId?: string | null;
  /** never secret values: ids, names, changed field names */
  details?: Record<string, unknown>;
  request?: { requestId: string; sourceIp: string | undefined; userAgent: string | undefined };
}

export async function writeAudit(trx: Transaction<DB>, entry: AuditEntry): Promise<void> {
  await trx
    .insertInto('auditLog')
    .values({
      organizationId: entry.organizationId,
      projectId: entry.projectId ?? null,
      actorUserId: entry.actorUserId,
      actorKind: entry.actorKind ?? 'user',
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      details: JSON.stringify(entry.details ?? {}),
      ipAddress:
        entry.request?.sourceIp && /^[0-9a-fA-F:.]+$/.test(entry.request.sourceIp) ? entry.request.sourceIp : null,
      userAgent: entry.request?.userAgent?.slice(0, 500) ?? null,
      requestId: entry.request?.requestId ?? null,
    })
    .execute();
}
