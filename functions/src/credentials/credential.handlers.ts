// Credentials: metadata in PostgreSQL, the secret in the secret store (Secrets Manager + KMS in AWS, the
// local envelope store on a laptop). No endpoint ever returns the secret: GET shows a masked preview,
// and every read of the secret by the platform itself (validate, refresh) writes an audit row first.
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Selectable, type Transaction } from 'kysely';
import {
  ConnectorError,
  type Connector,
  type ConnectorContext,
  type Logger as ConnectorLogger,
} from '@tributary/connectors/contract';
import { KeyValueRateLimiter } from '@tributary/connectors/runtime/rate-limiter';
import type { CredentialsTable, DB } from '@tributary/shared/db/schema';
import {
  AuthorizationFailedError,
  ConflictError,
  NotFoundError,
  NotImplementedError,
  ValidationError,
} from '@tributary/shared/domain/errors';
import type { Platform } from '@tributary/shared/domain/platform';
import { minimumRoleFor } from '@tributary/shared/identity/access';
import { zodIssueDetails } from '@tributary/shared/http/error-envelope';
import { httpHandler } from '@tributary/shared/http/http-handler';
import { openProjectScope, projectHandler, type ProjectScope } from '@tributary/shared/http/project-scope';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { ApiDeps } from '../api-deps';
import { writeAudit } from '../audit';
import { iso } from '../common.schemas';
import { conflictOnUnique } from '../db-errors';
import {
  createCredentialRoute,
  deleteCredentialRoute,
  getCredentialRoute,
  listCredentialsRoute,
  oauthCallbackRoute,
  oauthCompleteRoute,
  oauthStartRoute,
  refreshCredentialRoute,
  updateCredentialRoute,
  validateCredentialRoute,
  listCredentialAccountsRoute,
} from './credential.routes';
import type { Credential } from './credential.schemas';
import { writeBackRefreshedTokens, type CredentialVersion } from './token-writeback';

type RequestMeta = { requestId: string; sourceIp: string | undefined; userAgent: string | undefined };
const meta = (i: RequestMeta): RequestMeta => ({
  requestId: i.requestId,
  sourceIp: i.sourceIp,
  userAgent: i.userAgent,
});

/** OAuth state lives ten minutes: long enough to sign in at the platform, short enough to be useless if leaked. */
const OAUTH_STATE_TTL_SECONDS = 600;

export function toCredential(row: Selectable<CredentialsTable>): Credential {
  return {
    id: row.id,
    project_id: row.projectId,
    platform: row.platform,
    credential_type: row.credentialType,
    label: row.label,
    masked_preview: row.maskedPreview,
    status: row.status,
    validation_status: row.validationStatus,
    validation_message: row.validationMessage,
    last_validated_at: iso(row.lastValidatedAt),
    expires_at: iso(row.expiresAt),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/** Enough to recognise which key this is, never enough to use it: the last four characters of long values only. */
export function maskedPreview(secret: Record<string, unknown>): string | null {
  const longest = Object.values(secret)
    .filter((v): v is string => typeof v === 'string' && v.length > 0)
    .sort((a, b) => b.length - a.length)[0];
  if (!longest) return null;
  return longest.length >= 16 ? `••••${longest.slice(-4)}` : '••••';
}

function connectorFor(deps: ApiDeps, platform: Platform, what: string): Connector<unknown> {
  const connector = deps.findConnector(platform);
  if (!connector)
    throw new NotImplementedError(`${what} is not available for ${platform} yet: its connector has not been built`, {
      platform,
    });
  return connector;
}

function checkSecretShape(
  connector: Connector<unknown> | undefined,
  secret: Record<string, unknown>,
): Record<string, unknown> {
  if (!connector) return secret;
  const parsed = connector.credentialSchema.safeParse(secret);
  if (!parsed.success)
    throw new ValidationError(
      `The secret does not have the fields ${connector.displayName} needs`,
      zodIssueDetails(parsed.error, 'body.secret'),
    );
  return parsed.data as Record<string, unknown>;
}

async function loadCredential(
  trx: Transaction<DB>,
  projectId: string,
  credentialId: string,
  options: { lock?: boolean } = {},
) {
  const query = trx
    .selectFrom('credentials')
    .selectAll()
    .where('projectId', '=', projectId)
    .where('id', '=', credentialId);
  const row = await (options.lock ? query.forUpdate() : query).executeTakeFirst();
  if (!row) throw new NotFoundError('Credential', credentialId);
  return row;
}

/** The one way the API reads secret material: the audit row is committed before the secret is fetched. */
async function readSecretAudited(
  deps: ApiDeps,
  access: ProjectScope,
  row: Selectable<CredentialsTable>,
  purpose: string,
  request: RequestMeta,
) {
  await access.transaction((trx) =>
    writeAudit(trx, {
      organizationId: access.organizationId,
      projectId: row.projectId,
      actorUserId: access.userId,
      action: 'credential.secret_read',
      targetType: 'credential',
      targetId: row.id,
      details: { purpose },
      request,
    }),
  );
  return deps.secrets.read(row.secretRef);
}

function connectorLogger(deps: ApiDeps): ConnectorLogger {
  return {
    debug: (m, f) => deps.logger.debug(m, f ?? {}),
    info: (m, f) => deps.logger.info(m, f ?? {}),
    warn: (m, f) => deps.logger.warn(m, f ?? {}),
    error: (m, f) => deps.logger.error(m, f ?? {}),
  };
}

/** The version the row says, read (with the row) before the secret: what a token write-back is conditional on. */
function versionOf(access: ProjectScope, row: Selectable<CredentialsTable>): CredentialVersion {
  return {
    organizationId: access.organizationId,
    credentialId: row.id,
    secretRef: row.secretRef,
    version: row.secretVersion,
  };
}

function connectorContext(
  deps: ApiDeps,
  connector: Connector<unknown>,
  row: Selectable<CredentialsTable>,
  credential: unknown,
  read: CredentialVersion,
): ConnectorContext<unknown> {
  const oauthClient = deps.oauthClients[row.platform as Platform];
  const ctx: ConnectorContext<unknown> = {
    credential,
    baseUrls: deps.connectorBaseUrls,
    rateLimiter: new KeyValueRateLimiter(deps.kv, connector.rateLimits, { keyPrefix: 'ratelimit:connector' }),
    rateBucket: `${row.platform}:${row.id}`,
    logger: connectorLogger(deps),
    ...(oauthClient ? { oauthClient } : {}),
    onTokensRefreshed: async (refreshed) => {
      await writeBackRefreshedTokens(deps, read, refreshed as Record<string, unknown>, oauthClient);
      ctx.credential = refreshed;
    },
  };
  return ctx;
}

export const makeListCredentials = (deps: ApiDeps) =>
  projectHandler(
    listCredentialsRoute,
    async ({ params }, scope) => {
      const rows = await scope.transaction((trx) =>
        trx
          .selectFrom('credentials')
          .selectAll()
          .where('projectId', '=', params.project_id)
          .orderBy('createdAt')
          .execute(),
      );
      return { status: 200, body: { credentials: rows.map(toCredential) } };
    },
    deps,
  );

export const makeCreateCredential = (deps: ApiDeps) =>
  projectHandler(
    createCredentialRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      const secret = checkSecretShape(deps.findConnector(body.platform), body.secret);
      const stored = await deps.secrets.create(`${body.platform}-${randomBytes(6).toString('hex')}`, secret, {
        organizationId: scope.organizationId,
        projectId: params.project_id,
        platform: body.platform,
      });
      try {
        const row = await conflictOnUnique(
          scope.transaction(async (trx) => {
            const created = await trx
              .insertInto('credentials')
              .values({
                organizationId: scope.organizationId,
                projectId: params.project_id,
                platform: body.platform,
                credentialType: body.credential_type,
                label: body.label,
                secretRef: stored.ref,
                keyId: stored.keyId,
                maskedPreview: maskedPreview(secret),
                expiresAt: body.expires_at ?? null,
                createdBy: user.userId,
              })
              .returningAll()
              .executeTakeFirstOrThrow();
            await writeAudit(trx, {
              organizationId: scope.organizationId,
              projectId: params.project_id,
              actorUserId: user.userId,
              action: 'credential.created',
              targetType: 'credential',
              targetId: created.id,
              details: { platform: body.platform, label: body.label },
              request: meta(input),
            });
            return created;
          }),
          'A credential with this label already exists for the platform',
        );
        return { status: 201, body: toCredential(row) };
      } catch (error) {
        // no row points at the secret: do not leave it behind
        await deps.secrets.delete(stored.ref).catch(() => {});
        throw error;
      }
    },
    deps,
  );

export const makeGetCredential = (deps: ApiDeps) =>
  projectHandler(
    getCredentialRoute,
    async ({ params }, scope) => {
      const row = await scope.transaction((trx) => loadCredential(trx, params.project_id, params.credential_id));
      return { status: 200, body: toCredential(row) };
    },
    deps,
  );

export const makeUpdateCredential = (deps: ApiDeps) =>
  projectHandler(
    updateCredentialRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      const row = await conflictOnUnique(
        scope.transaction(async (trx) => {
          // the row lock first: a token write-back in flight finishes before this rotation writes the secret
          const existing = await loadCredential(trx, params.project_id, params.credential_id, { lock: true });
          let preview: string | null | undefined;
          if (body.secret) {
            const secret = checkSecretShape(deps.findConnector(existing.platform as Platform), body.secret);
            // rotated inside the transaction: if the row update fails the request fails, and the new value
            // is what the (unchanged) reference now points at, never a mix
            await deps.secrets.update(existing.secretRef, secret);
            preview = maskedPreview(secret);
          }
          const updated = await trx
            .updateTable('credentials')
            .set({
              ...(body.label !== undefined ? { label: body.label } : {}),
              ...(body.status !== undefined ? { status: body.status } : {}),
              ...(body.expires_at !== undefined ? { expiresAt: body.expires_at } : {}),
              ...(body.secret
                ? {
                    maskedPreview: preview ?? null,
                    validationStatus: 'pending',
                    validationMessage: null,
                    lastValidatedAt: null,
                    status: body.status ?? 'active',
                    secretVersion: sql<number>`secret_version + 1`,
                  }
                : {}),
            })
            .where('id', '=', existing.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          await writeAudit(trx, {
            organizationId: scope.organizationId,
            projectId: params.project_id,
            actorUserId: user.userId,
            action: body.secret ? 'credential.rotated' : 'credential.updated',
            targetType: 'credential',
            targetId: existing.id,
            details: { fields: Object.keys(body) },
            request: meta(input),
          });
          return updated;
        }),
        'A credential with this label already exists for the platform',
      );
      return { status: 200, body: toCredential(row) };
    },
    deps,
  );

export const makeDeleteCredential = (deps: ApiDeps) =>
  projectHandler(
    deleteCredentialRoute,
    async (input, scope) => {
      const { params, user } = input;
      const ref = await scope.transaction(async (trx) => {
        const existing = await loadCredential(trx, params.project_id, params.credential_id);
        await trx.deleteFrom('credentials').where('id', '=', existing.id).execute();
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'credential.deleted',
          targetType: 'credential',
          targetId: existing.id,
          details: { platform: existing.platform },
          request: meta(input),
        });
        return existing.secretRef;
      });
      await deps.secrets.delete(ref);
      return { status: 204 };
    },
    deps,
  );

export const makeValidateCredential = (deps: ApiDeps) =>
  projectHandler(
    validateCredentialRoute,
    async (input, scope) => {
      const { params, user } = input;
      const row = await scope.transaction((trx) => loadCredential(trx, params.project_id, params.credential_id));
      const connector = connectorFor(deps, row.platform as Platform, 'Credential validation');
      const secret = await readSecretAudited(deps, scope, row, 'validate', meta(input));
      let status: 'valid' | 'invalid' | 'error' = 'valid';
      let message: string | null = null;
      try {
        await connector.validate(connectorContext(deps, connector, row, secret, versionOf(scope, row)));
      } catch (error) {
        if (!(error instanceof ConnectorError)) throw error;
        status = error.kind === 'rate_limited' || error.kind === 'transient' ? 'error' : 'invalid';
        message = error.userMessage;
      }
      const updated = await scope.transaction(async (trx) => {
        const u = await trx
          .updateTable('credentials')
          .set({
            validationStatus: status,
            validationMessage: message,
            lastValidatedAt: deps.clock.now(),
            ...(status === 'invalid' ? { status: 'error' as const } : {}),
          })
          .where('id', '=', row.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'credential.validated',
          targetType: 'credential',
          targetId: row.id,
          details: { result: status },
          request: meta(input),
        });
        return u;
      });
      return { status: 200, body: { credential: toCredential(updated), valid: status === 'valid', message } };
    },
    deps,
  );

export const makeRefreshCredential = (deps: ApiDeps) =>
  projectHandler(
    refreshCredentialRoute,
    async (input, scope) => {
      const { params, user } = input;
      const row = await scope.transaction((trx) => loadCredential(trx, params.project_id, params.credential_id));
      const connector = connectorFor(deps, row.platform as Platform, 'Token refresh');
      if (connector.auth.kind !== 'oauth2' || !connector.refresh)
        throw new ValidationError(`${connector.displayName} credentials are not OAuth tokens and need no refresh`);
      const read = versionOf(scope, row);
      const secret = await readSecretAudited(deps, scope, row, 'refresh', meta(input));
      const refreshed = await connector.refresh(connectorContext(deps, connector, row, secret, read));
      const outcome = await writeBackRefreshedTokens(
        deps,
        read,
        refreshed as Record<string, unknown>,
        deps.oauthClients[row.platform as Platform],
      );
      if (outcome === 'stale')
        throw new ConflictError('The credential was changed while it was being refreshed; refresh it again');
      const updated = await scope.transaction(async (trx) => {
        const u = await trx
          .updateTable('credentials')
          .set({ status: 'active', maskedPreview: maskedPreview(refreshed as Record<string, unknown>) })
          .where('id', '=', row.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'credential.refreshed',
          targetType: 'credential',
          targetId: row.id,
          request: meta(input),
        });
        return u;
      });
      return { status: 200, body: toCredential(updated) };
    },
    deps,
  );

interface OAuthState {
  organizationId: string;
  projectId: string;
  userId: string;
  platform: Platform;
  label: string;
  codeVerifier?: string;
  /** what the user named before the consent page (the connector's auth.startFields: Shopify's shop, Amazon's region) */
  start?: Record<string, string>;
  [key: string]: unknown;
}

export const makeOAuthStart = (deps: ApiDeps) =>
  projectHandler(
    oauthStartRoute,
    async (input, scope) => {
      const { params, query, user } = input;
      const connector = connectorFor(deps, params.platform, 'OAuth connection');
      if (connector.auth.kind !== 'oauth2')
        throw new ValidationError(
          `${connector.displayName} uses API keys, not OAuth: store the key with POST ${createCredentialRoute.path}`,
        );
      // a 501 naming the setting to fill when this environment has no app for the platform
      const client = await deps.oauthClient(params.platform);
      const state = randomBytes(32).toString('base64url');
      const codeVerifier = connector.auth.pkce ? randomBytes(48).toString('base64url') : undefined;
      const start: Record<string, string> = {};
      for (const field of connector.auth.startFields ?? []) {
        const value = (query as Record<string, string | undefined>)[field];
        if (value !== undefined) start[field] = value;
      }
      const record: OAuthState = {
        organizationId: scope.organizationId,
        projectId: params.project_id,
        userId: user.userId,
        platform: params.platform,
        label: query.label ?? `${connector.displayName} (OAuth)`,
        ...(codeVerifier ? { codeVerifier } : {}),
        start,
      };
      const codeChallenge = codeVerifier ? createHash('sha256').update(codeVerifier).digest('base64url') : undefined;
      if (connector.buildAuthorizeUrl) {
        // the connector knows its consent page's host (the sandbox locally, through the configured base URLs)
        let authorizationUrl: string;
        try {
          authorizationUrl = connector.buildAuthorizeUrl({
            clientId: client.clientId,
            redirectUri: deps.api.oauthRedirectUri,
            state,
            baseUrls: deps.connectorBaseUrls,
            ...(codeChallenge ? { codeChallenge } : {}),
            start,
          });
        } catch (error) {
          // e.g. a Shopify connection without a valid shop domain
          if (error instanceof ConnectorError)
            throw new ValidationError(error.userMessage, {
              fields: (connector.auth.startFields ?? []).map((f) => `query.${f}`),
            });
          throw error;
        }
        await deps.kv.put(`oauth:state:${state}`, record, { ttlSeconds: OAUTH_STATE_TTL_SECONDS, onlyIfAbsent: true });
        return {
          status: 200,
          body: { authorization_url: authorizationUrl, state, expires_in: OAUTH_STATE_TTL_SECONDS },
        };
      }
      await deps.kv.put(`oauth:state:${state}`, record, { ttlSeconds: OAUTH_STATE_TTL_SECONDS, onlyIfAbsent: true });
      const url = new URL(connector.auth.authorizeUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', client.clientId);
      url.searchParams.set('redirect_uri', deps.api.oauthRedirectUri);
      url.searchParams.set('scope', connector.auth.scopes.join(' '));
      url.searchParams.set('state', state);
      if (codeChallenge) {
        url.searchParams.set('code_challenge', codeChallenge);
        url.searchParams.set('code_challenge_method', 'S256');
      }
      for (const [k, v] of Object.entries(connector.auth.authorizeParams ?? {})) url.searchParams.set(k, v);
      return { status: 200, body: { authorization_url: url.toString(), state, expires_in: OAUTH_STATE_TTL_SECONDS } };
    },
    deps,
  );

// The platform sends the browser to the dashboard's /oauth/callback page (the registered redirect URI); this
// old API address, still named by links made before, only forwards there and stores nothing: tokens are
// stored by POST /api/v1/oauth/complete, for the signed-in user who started the flow.
export const makeOAuthCallback = (deps: ApiDeps) =>
  httpHandler(
    oauthCallbackRoute,
    async ({ query }) => {
      const to = new URL('/oauth/callback', deps.api.dashboardOrigin);
      for (const [k, v] of Object.entries(query)) if (typeof v === 'string') to.searchParams.set(k, v);
      return { status: 302, headers: { location: to.toString() } };
    },
    deps,
  );

// Bound to its starter: the state names the user who asked for the authorization URL, and only that user,
// signed in, completes it. Anyone else who opens the link (an attacker sends it round) stores nothing; the
// state is consumed all the same, so a refused attempt cannot be retried by someone else either.
export const makeOAuthComplete = (deps: ApiDeps) =>
  httpHandler(
    oauthCompleteRoute,
    async (input) => {
      const { body, user } = input;
      // single use: taken (read and deleted in one step) before anything else can replay it
      const state = await deps.kv.take<OAuthState>(`oauth:state:${body.state}`);
      if (!state)
        throw new ValidationError('The OAuth state is unknown, expired or already used; start the connection again');
      if (state.userId !== user.userId) {
        deps.logger.warn('oauth completion by another user refused', { platform: state.platform });
        throw new AuthorizationFailedError('This connection was started by someone else; start it again yourself');
      }
      const connector = connectorFor(deps, state.platform, 'OAuth connection');
      if (!connector.exchangeCode)
        throw new NotImplementedError(`OAuth is not available for ${state.platform}`, { platform: state.platform });
      const client = await deps.oauthClient(state.platform);
      // the membership may have changed while the user was away at the platform
      const access = await openProjectScope(deps.db, user.userId, state.projectId, minimumRoleFor('manage'));
      const tokens = (await connector.exchangeCode({
        code: body.code,
        redirectUri: deps.api.oauthRedirectUri,
        ...(state.codeVerifier ? { codeVerifier: state.codeVerifier } : {}),
        client,
        baseUrls: deps.connectorBaseUrls,
        ...(state.start ? { start: state.start } : {}),
      })) as Record<string, unknown>;
      const stored = await deps.secrets.create(`${state.platform}-${randomBytes(6).toString('hex')}`, tokens, {
        organizationId: access.organizationId,
        projectId: state.projectId,
        platform: state.platform,
      });
      const row = await access.transaction(async (trx) => {
        const existing = await trx
          .selectFrom('credentials')
          .selectAll()
          .where('projectId', '=', state.projectId)
          .where('platform', '=', state.platform)
          .where('label', '=', state.label)
          .forUpdate()
          .executeTakeFirst();
        if (existing) {
          // reconnecting replaces the tokens of the same credential, so its data sources keep working
          await deps.secrets.update(existing.secretRef, tokens);
          await deps.secrets.delete(stored.ref);
          const u = await trx
            .updateTable('credentials')
            .set({
              status: 'active',
              validationStatus: 'pending',
              // the old verdict was about the replaced tokens (as when a key is rotated)
              validationMessage: null,
              lastValidatedAt: null,
              maskedPreview: maskedPreview(tokens),
              secretVersion: sql<number>`secret_version + 1`,
            })
            .where('id', '=', existing.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          await writeAudit(trx, {
            organizationId: access.organizationId,
            projectId: state.projectId,
            actorUserId: user.userId,
            action: 'credential.rotated',
            targetType: 'credential',
            targetId: u.id,
            details: { via: 'oauth' },
            request: meta(input),
          });
          return u;
        }
        const created = await trx
          .insertInto('credentials')
          .values({
            organizationId: access.organizationId,
            projectId: state.projectId,
            platform: state.platform,
            credentialType: 'oauth2',
            label: state.label,
            secretRef: stored.ref,
            keyId: stored.keyId,
            maskedPreview: maskedPreview(tokens),
            createdBy: user.userId,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          organizationId: access.organizationId,
          projectId: state.projectId,
          actorUserId: user.userId,
          action: 'credential.created',
          targetType: 'credential',
          targetId: created.id,
          details: { platform: state.platform, via: 'oauth' },
          request: meta(input),
        });
        return created;
      });
      return { status: 201, body: toCredential(row) };
    },
    deps,
  );

export const makeListCredentialAccounts = (deps: ApiDeps) =>
  projectHandler(
    listCredentialAccountsRoute,
    async (input, scope) => {
      const { params, user } = input;
      // listing accounts is part of setting up a data source, which needs the same role
      const row = await scope.transaction((trx) => loadCredential(trx, params.project_id, params.credential_id));
      const connector = connectorFor(deps, row.platform as Platform, 'Account listing');
      const secret = await readSecretAudited(deps, scope, row, 'list_accounts', meta(input));
      let catalog;
      try {
        catalog = await connector.discover(connectorContext(deps, connector, row, secret, versionOf(scope, row)));
      } catch (error) {
        if (!(error instanceof ConnectorError)) throw error;
        throw new ValidationError(`The platform refused to list accounts: ${error.userMessage}`, { kind: error.kind });
      }
      return {
        status: 200,
        body: {
          accounts: catalog.accounts.map((a) => ({
            id: a.id,
            name: a.name,
            currency: a.currency,
            time_zone: a.timeZone,
          })),
          report_types: catalog.reportTypes.map((r) => ({ id: r.id, name: r.name, lookback_days: r.lookbackDays })),
        },
      };
    },
    deps,
  );

export function credentialRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    { route: listCredentialsRoute, handler: makeListCredentials(deps) },
    { route: createCredentialRoute, handler: makeCreateCredential(deps) },
    { route: getCredentialRoute, handler: makeGetCredential(deps) },
    { route: updateCredentialRoute, handler: makeUpdateCredential(deps) },
    { route: deleteCredentialRoute, handler: makeDeleteCredential(deps) },
    { route: validateCredentialRoute, handler: makeValidateCredential(deps) },
    { route: refreshCredentialRoute, handler: makeRefreshCredential(deps) },
    { route: oauthStartRoute, handler: makeOAuthStart(deps) },
    { route: oauthCallbackRoute, handler: makeOAuthCallback(deps) },
    { route: oauthCompleteRoute, handler: makeOAuthComplete(deps) },
    { route: listCredentialAccountsRoute, handler: makeListCredentialAccounts(deps) },
  ];
}
