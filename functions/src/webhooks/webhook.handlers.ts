// Webhook management: analysts and above (access.ts: manage_webhooks). Every change writes an audit row
// in its own transaction; the key is returned by create and rotate only, and never logged or audited.
import { projectHandler } from '@tributary/shared/http/project-scope';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { ApiDeps } from '../api-deps';
import { writeAudit } from '../audit';
import { AppError, ConflictError, ValidationError } from '@tributary/shared/domain/errors';
import { chooseFormat } from '../data/formats';
import { parseUrlQuery } from '../data/query.schemas';
import { mintSignedUrl } from './webhook-keys';
import {
  webhookAccessLogRoute,
  createWebhookRoute,
  deleteWebhookRoute,
  mintSignedUrlRoute,
  getWebhookRoute,
  listWebhooksRoute,
  revokeWebhookRoute,
  rotateWebhookRoute,
  updateWebhookRoute,
} from './webhook.routes';
import {
  createWebhook,
  deleteWebhook,
  getWebhookRow,
  listWebhooks,
  revokeWebhook,
  rotateWebhookKey,
  toView,
  updateWebhook,
  type WebhookInput,
} from './webhook.repository';

const KEY_NOTE = 'Copy the key now: it is shown only this once. Use it as /webhook/v1/{key}/data?format=csv';
type Meta = { requestId: string; sourceIp: string | undefined; userAgent: string | undefined };
const meta = (i: Meta): Meta => ({ requestId: i.requestId, sourceIp: i.sourceIp, userAgent: i.userAgent });

function toInput(body: {
  name?: string;
  allowed_data_sources?: string[];
  default_filters?: WebhookInput['scope'];
  output_format?: WebhookInput['outputFormat'];
  rate_limit_per_hour?: number;
  expires_at?: string | null;
}): Partial<WebhookInput> {
  return {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.allowed_data_sources !== undefined ? { allowedDataSources: body.allowed_data_sources } : {}),
    ...(body.default_filters !== undefined ? { scope: body.default_filters } : {}),
    ...(body.output_format !== undefined ? { outputFormat: body.output_format } : {}),
    ...(body.rate_limit_per_hour !== undefined ? { rateLimitPerHour: body.rate_limit_per_hour } : {}),
    ...(body.expires_at !== undefined
      ? { expiresAt: body.expires_at === null ? null : new Date(body.expires_at) }
      : {}),
  };
}

export const makeListWebhooks = (deps: ApiDeps) =>
  projectHandler(
    listWebhooksRoute,
    async ({ params }, scope) => {
      const webhooks = await scope.transaction((trx) => listWebhooks(trx, params.project_id));
      return { status: 200, body: { webhooks } };
    },
    deps,
  );

export const makeCreateWebhook = (deps: ApiDeps) =>
  projectHandler(
    createWebhookRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      const created = await scope.transaction(async (trx) => {
        const result = await createWebhook(
          trx,
          { organizationId: scope.organizationId, projectId: params.project_id, userId: user.userId },
          toInput(body) as WebhookInput,
        );
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'webhook.create',
          targetType: 'webhook',
          targetId: result.webhook.id,
          details: { name: body.name, key_prefix: result.webhook.key_prefix },
          request: meta(input),
        });
        return result;
      });
      return { status: 201, body: { ...created, note: KEY_NOTE } };
    },
    deps,
  );

export const makeGetWebhook = (deps: ApiDeps) =>
  projectHandler(
    getWebhookRoute,
    async ({ params }, scope) => {
      const row = await scope.transaction((trx) => getWebhookRow(trx, params.project_id, params.webhook_id));
      return { status: 200, body: toView(row) };
    },
    deps,
  );

export const makeUpdateWebhook = (deps: ApiDeps) =>
  projectHandler(
    updateWebhookRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      const updated = await scope.transaction(async (trx) => {
        const view = await updateWebhook(trx, params.project_id, params.webhook_id, toInput(body));
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'webhook.update',
          targetType: 'webhook',
          targetId: view.id,
          details: { fields: Object.keys(body) },
          request: meta(input),
        });
        return view;
      });
      return { status: 200, body: updated };
    },
    deps,
  );

export const makeRotateWebhook = (deps: ApiDeps) =>
  projectHandler(
    rotateWebhookRoute,
    async (input, scope) => {
      const { params, user } = input;
      const rotated = await scope.transaction(async (trx) => {
        const result = await rotateWebhookKey(trx, params.project_id, params.webhook_id);
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'webhook.rotate',
          targetType: 'webhook',
          targetId: result.webhook.id,
          details: { key_prefix: result.webhook.key_prefix },
          request: meta(input),
        });
        return result;
      });
      return { status: 200, body: { ...rotated, note: KEY_NOTE } };
    },
    deps,
  );

export const makeRevokeWebhook = (deps: ApiDeps) =>
  projectHandler(
    revokeWebhookRoute,
    async (input, scope) => {
      const { params, user } = input;
      const revoked = await scope.transaction(async (trx) => {
        const view = await revokeWebhook(trx, params.project_id, params.webhook_id);
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'webhook.revoke',
          targetType: 'webhook',
          targetId: view.id,
          request: meta(input),
        });
        return view;
      });
      return { status: 200, body: revoked };
    },
    deps,
  );

export const makeDeleteWebhook = (deps: ApiDeps) =>
  projectHandler(
    deleteWebhookRoute,
    async (input, scope) => {
      const { params, user } = input;
      await scope.transaction(async (trx) => {
        await deleteWebhook(trx, params.project_id, params.webhook_id);
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'webhook.delete',
          targetType: 'webhook',
          targetId: params.webhook_id,
          request: meta(input),
        });
      });
      return { status: 204 };
    },
    deps,
  );

export const makeMintSignedUrl = (deps: ApiDeps) =>
  projectHandler(
    mintSignedUrlRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      const baseUrl = deps.webhooks.publicBaseUrl;
      if (!baseUrl)
        throw new AppError(
          'NOT_IMPLEMENTED',
          'This deployment has no public webhook URL configured (TRIBUTARY_WEBHOOK_URL)',
          501,
        );
      // the URL's parameters are checked now as the webhook will check them, so nobody is handed a URL that can only
      // fail
      const query = new URLSearchParams(body.query);
      if (body.endpoint !== 'metrics') {
        parseUrlQuery(query, ['format', 'bom']);
        chooseFormat(query.get('format'), undefined, 'json');
      } else if ([...query.keys()].length) {
        throw new ValidationError('The metrics endpoint takes no parameters', { field: 'query' });
      }
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + body.expires_in_seconds * 1000);
      const signed = await scope.transaction(async (trx) => {
        const row = await getWebhookRow(trx, params.project_id, params.webhook_id);
        if (row.revokedAt || !row.isActive)
          throw new ConflictError('A revoked webhook cannot sign URLs', { id: row.id });
        if (row.expiresAt && new Date(row.expiresAt).getTime() < expiresAt.getTime()) {
          throw new ValidationError('A signed URL cannot outlive its webhook', {
            field: 'expires_in_seconds',
            webhook_expires_at: new Date(row.expiresAt).toISOString(),
          });
        }
        const url = mintSignedUrl(
          baseUrl,
          await deps.webhooks.signingSecret(),
          { id: row.id, keyHash: row.keyHash },
          body.endpoint,
          body.query,
          expiresAt,
        );
        // the audit keeps what was shared and until when, never the signature
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'webhook.sign_url',
          targetType: 'webhook',
          targetId: row.id,
          details: { endpoint: body.endpoint, query: body.query, expires_at: expiresAt.toISOString() },
          request: meta(input),
        });
        return url;
      });
      return {
        status: 201,
        body: {
          url: signed,
          expires_at: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString(),
          webhook_id: params.webhook_id,
          endpoint: body.endpoint,
        },
      };
    },
    deps,
  );

export const makeWebhookAccessLog = (deps: ApiDeps) =>
  projectHandler(
    webhookAccessLogRoute,
    async ({ params }, scope) => {
      const rows = await scope.transaction(async (trx) => {
        await getWebhookRow(trx, params.project_id, params.webhook_id);
        return trx
          .selectFrom('apiAccessLogs')
          .select([
            'createdAt',
            'requestPath',
            'requestParams',
            'responseStatus',
            'responseSize',
            'processingTimeMs',
            'userAgent',
          ])
          .where('webhookConfigId', '=', params.webhook_id)
          .orderBy('createdAt', 'desc')
          .limit(100)
          .execute();
      });
      const entries = rows.map((r) => ({
        at: new Date(r.createdAt as unknown as string).toISOString(),
        path: r.requestPath,
        params: (r.requestParams as Record<string, unknown> | null) ?? null,
        status: r.responseStatus,
        bytes: r.responseSize === null ? null : Number(r.responseSize),
        ms: r.processingTimeMs,
        user_agent: r.userAgent,
      }));
      return { status: 200, body: { entries } };
    },
    deps,
  );

export function webhookRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    { route: listWebhooksRoute, handler: makeListWebhooks(deps) },
    { route: createWebhookRoute, handler: makeCreateWebhook(deps) },
    { route: getWebhookRoute, handler: makeGetWebhook(deps) },
    { route: updateWebhookRoute, handler: makeUpdateWebhook(deps) },
    { route: rotateWebhookRoute, handler: makeRotateWebhook(deps) },
    { route: revokeWebhookRoute, handler: makeRevokeWebhook(deps) },
    { route: deleteWebhookRoute, handler: makeDeleteWebhook(deps) },
    { route: mintSignedUrlRoute, handler: makeMintSignedUrl(deps) },
    { route: webhookAccessLogRoute, handler: makeWebhookAccessLog(deps) },
  ];
}
