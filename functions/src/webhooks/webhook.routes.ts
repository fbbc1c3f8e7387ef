import { defineRoute } from '@tributary/shared/http/route';
import { ProjectParamsSchema, STANDARD_ERRORS, conflict, notConfigured } from '../common.schemas';
import {
  CreateWebhookBodySchema,
  SignedUrlBodySchema,
  WebhookAccessLogSchema,
  SignedUrlSchema,
  UpdateWebhookBodySchema,
  WebhookListSchema,
  WebhookParamsSchema,
  WebhookSchema,
  WebhookWithKeySchema,
} from './webhook.schemas';

const tags = ['webhooks'];
const base = '/api/v1/projects/{project_id}/webhooks';

export const listWebhooksRoute = defineRoute({
  operationId: 'listWebhooks',
  method: 'get',
  path: base,
  summary: 'Webhooks of a project (key prefixes only)',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: ProjectParamsSchema },
  responses: { 200: { description: 'Webhooks', schema: WebhookListSchema }, ...STANDARD_ERRORS },
});
export const createWebhookRoute = defineRoute({
  operationId: 'createWebhook',
  method: 'post',
  path: base,
  summary: 'Create a webhook; its key is shown in this response only',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: ProjectParamsSchema, body: CreateWebhookBodySchema },
  responses: { 201: { description: 'Created', schema: WebhookWithKeySchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const getWebhookRoute = defineRoute({
  operationId: 'getWebhook',
  method: 'get',
  path: `${base}/{webhook_id}`,
  summary: 'One webhook',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: WebhookParamsSchema },
  responses: { 200: { description: 'Webhook', schema: WebhookSchema }, ...STANDARD_ERRORS },
});
export const updateWebhookRoute = defineRoute({
  operationId: 'updateWebhook',
  method: 'put',
  path: `${base}/{webhook_id}`,
  summary: 'Change name, scope, format, rate limit or expiry',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: WebhookParamsSchema, body: UpdateWebhookBodySchema },
  responses: { 200: { description: 'Updated', schema: WebhookSchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const rotateWebhookRoute = defineRoute({
  operationId: 'rotateWebhook',
  method: 'post',
  path: `${base}/{webhook_id}/rotate`,
  summary: 'Replace the key (and void URLs signed before); the new key is shown once',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: WebhookParamsSchema },
  responses: { 200: { description: 'Rotated', schema: WebhookWithKeySchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const revokeWebhookRoute = defineRoute({
  operationId: 'revokeWebhook',
  method: 'post',
  path: `${base}/{webhook_id}/revoke`,
  summary: 'Stop the webhook answering, for good',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: WebhookParamsSchema },
  responses: { 200: { description: 'Revoked', schema: WebhookSchema }, ...STANDARD_ERRORS },
});
export const deleteWebhookRoute = defineRoute({
  operationId: 'deleteWebhook',
  method: 'delete',
  path: `${base}/{webhook_id}`,
  summary: 'Delete a webhook (its access logs stay, unlinked)',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: WebhookParamsSchema },
  responses: { 204: { description: 'Deleted' }, ...STANDARD_ERRORS },
});
export const mintSignedUrlRoute = defineRoute({
  operationId: 'mintWebhookSignedUrl',
  method: 'post',
  path: `${base}/{webhook_id}/signed-urls`,
  summary:
    'A time-limited URL (exp + HMAC sig over path and query) that fixes every parameter it carries; rotating the key voids it',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: WebhookParamsSchema, body: SignedUrlBodySchema },
  responses: {
    201: { description: 'Signed URL', schema: SignedUrlSchema },
    409: conflict,
    501: notConfigured,
    ...STANDARD_ERRORS,
  },
});
export const webhookAccessLogRoute = defineRoute({
  operationId: 'getWebhookAccessLog',
  method: 'get',
  path: `${base}/{webhook_id}/access-log`,
  summary: 'The last 100 requests the webhook answered (when, path without the key, status, bytes)',
  tags,
  auth: 'user',
  minimumRole: 'analyst',
  request: { params: WebhookParamsSchema },
  responses: { 200: { description: 'Access log', schema: WebhookAccessLogSchema }, ...STANDARD_ERRORS },
});
