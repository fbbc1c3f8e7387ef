import { defineRoute } from '@tributary/shared/http/route';
import { ProjectParamsSchema, STANDARD_ERRORS, conflict, notImplemented } from '../common.schemas';
import {
  CreateCredentialBodySchema,
  CredentialAccountsSchema,
  CredentialListSchema,
  CredentialParamsSchema,
  CredentialSchema,
  OAuthCallbackQuerySchema,
  OAuthCompleteBodySchema,
  OAuthStartParamsSchema,
  OAuthStartQuerySchema,
  OAuthStartSchema,
  UpdateCredentialBodySchema,
  ValidationResultSchema,
} from './credential.schemas';

const tags = ['credentials'];
const base = '/api/v1/projects/{project_id}/credentials';

export const listCredentialsRoute = defineRoute({
  operationId: 'listCredentials',
  method: 'get',
  path: base,
  summary: 'Credentials of a project (metadata only)',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: ProjectParamsSchema },
  responses: { 200: { description: 'Credentials', schema: CredentialListSchema }, ...STANDARD_ERRORS },
});
export const createCredentialRoute = defineRoute({
  operationId: 'createCredential',
  method: 'post',
  path: base,
  summary: 'Store a credential in the secret store',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: ProjectParamsSchema, body: CreateCredentialBodySchema },
  responses: { 201: { description: 'Stored', schema: CredentialSchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const getCredentialRoute = defineRoute({
  operationId: 'getCredential',
  method: 'get',
  path: `${base}/{credential_id}`,
  summary: 'One credential (metadata and masked preview)',
  tags,
  auth: 'user',
  minimumRole: 'viewer',
  request: { params: CredentialParamsSchema },
  responses: { 200: { description: 'Credential', schema: CredentialSchema }, ...STANDARD_ERRORS },
});
export const updateCredentialRoute = defineRoute({
  operationId: 'updateCredential',
  method: 'put',
  path: `${base}/{credential_id}`,
  summary: 'Rename, disable or rotate the secret',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: CredentialParamsSchema, body: UpdateCredentialBodySchema },
  responses: { 200: { description: 'Updated', schema: CredentialSchema }, 409: conflict, ...STANDARD_ERRORS },
});
export const deleteCredentialRoute = defineRoute({
  operationId: 'deleteCredential',
  method: 'delete',
  path: `${base}/{credential_id}`,
  summary: 'Delete a credential, its secret and its data sources',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: CredentialParamsSchema },
  responses: { 204: { description: 'Deleted' }, ...STANDARD_ERRORS },
});
export const validateCredentialRoute = defineRoute({
  operationId: 'validateCredential',
  method: 'post',
  path: `${base}/{credential_id}/validate`,
  summary: "A live test call through the platform's connector",
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: CredentialParamsSchema },
  responses: {
    200: { description: 'Result', schema: ValidationResultSchema },
    501: notImplemented,
    ...STANDARD_ERRORS,
  },
});
export const refreshCredentialRoute = defineRoute({
  operationId: 'refreshCredential',
  method: 'post',
  path: `${base}/{credential_id}/refresh`,
  summary: 'OAuth token refresh now',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: CredentialParamsSchema },
  responses: { 200: { description: 'Refreshed', schema: CredentialSchema }, 501: notImplemented, ...STANDARD_ERRORS },
});
export const oauthStartRoute = defineRoute({
  operationId: 'startOAuth',
  method: 'get',
  path: `${base}/oauth/{platform}/start`,
  summary: "The platform's authorization URL with a single-use state",
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: OAuthStartParamsSchema, query: OAuthStartQuerySchema },
  responses: {
    200: { description: 'Where to send the user', schema: OAuthStartSchema },
    501: notImplemented,
    ...STANDARD_ERRORS,
  },
});
export const oauthCallbackRoute = defineRoute({
  operationId: 'oauthCallback',
  method: 'get',
  path: '/api/v1/oauth/callback',
  summary: "Old redirect target: stores nothing, forwards code and state to the dashboard's /oauth/callback page",
  tags,
  auth: 'none',
  rateLimit: 'auth',
  request: { query: OAuthCallbackQuerySchema },
  responses: {
    302: { description: 'To the dashboard, which completes the flow as the signed-in user' },
    400: STANDARD_ERRORS[400],
    429: STANDARD_ERRORS[429],
    500: STANDARD_ERRORS[500],
  },
});
export const oauthCompleteRoute = defineRoute({
  operationId: 'completeOAuth',
  method: 'post',
  path: '/api/v1/oauth/complete',
  summary:
    'Exchanges the code and stores the credential, only for the signed-in user who started the flow (the state is single use, consumed even when refused)',
  tags,
  auth: 'user',
  request: { body: OAuthCompleteBodySchema },
  responses: {
    201: { description: 'Connected (created, or the same credential with new tokens)', schema: CredentialSchema },
    501: notImplemented,
    ...STANDARD_ERRORS,
  },
});
export const listCredentialAccountsRoute = defineRoute({
  operationId: 'listCredentialAccounts',
  method: 'get',
  path: `${base}/{credential_id}/accounts`,
  summary: 'Accounts the credential can see on its platform, and the report types (a live call through the connector)',
  tags,
  auth: 'user',
  minimumRole: 'admin',
  request: { params: CredentialParamsSchema },
  responses: {
    200: { description: 'Accounts', schema: CredentialAccountsSchema },
    501: notImplemented,
    ...STANDARD_ERRORS,
  },
});
