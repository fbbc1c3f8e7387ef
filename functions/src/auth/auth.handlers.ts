// Thin handlers over the IdentityProvider (Cognito / cognito-local). Logout also records the refresh
// token as revoked in the key-value store and refresh checks it first, so a signed-out refresh token is
// refused even where the provider has no GlobalSignOut (cognito-local).
import { createHash } from 'node:crypto';
import { AuthenticationRequiredError, ConflictError, ValidationError } from '@tributary/shared/domain/errors';
import { httpHandler } from '@tributary/shared/http/http-handler';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { AuthTokens } from '@tributary/shared/ports/identity-provider';
import type { ApiDeps } from '../api-deps';
import { iso } from '../common.schemas';
import {
  changePasswordRoute,
  confirmRoute,
  forgotPasswordRoute,
  getProfileRoute,
  loginRoute,
  logoutRoute,
  refreshRoute,
  registerRoute,
  resendRoute,
  resetPasswordRoute,
  updateProfileRoute,
} from './auth.routes';

/** Cognito's default refresh-token lifetime; the revocation record must outlive the token it revokes. */
const REFRESH_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;
const revokedKey = (refreshToken: string) =>
  `auth:revoked-refresh:${createHash('sha256').update(refreshToken).digest('hex')}`;

const tokensBody = (t: AuthTokens) => ({
  access_token: t.accessToken,
  ...(t.idToken ? { id_token: t.idToken } : {}),
  ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
  expires_in: t.expiresInSeconds,
  token_type: t.tokenType,
});

async function profileOf(deps: ApiDeps, userId: string) {
  return deps.db.transaction({ userId }, async (trx) => {
    const user = await trx.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    const orgs = await trx
      .selectFrom('memberships')
      .innerJoin('organizations', 'organizations.id', 'memberships.organizationId')
      .select(['memberships.organizationId', 'organizations.name', 'organizations.isPersonal', 'memberships.role'])
      .where('memberships.userId', '=', userId)
      .orderBy('organizations.createdAt')
      .execute();
    return {
      id: user.id,
      email: user.email,
      email_verified: user.emailVerified,
      first_name: user.firstName,
      last_name: user.lastName,
      timezone: user.timezone,
      organizations: orgs.map((o) => ({
        organization_id: o.organizationId,
        organization_name: o.name,
        is_personal: o.isPersonal,
        role: o.role,
      })),
      created_at: iso(user.createdAt),
    };
  });
}

// Registration answers the same whether or not the address already has an account (what Cognito's
// prevent-user-existence-errors does for sign-in): nothing here tells a caller who is signed up.
export const makeRegister = (deps: ApiDeps) =>
  httpHandler(
    registerRoute,
    async ({ body }) => {
      const answer = {
        status: 202 as const,
        body: { accepted: true as const, confirmation_required: !deps.api.autoConfirmSignUp },
      };
      let result;
      try {
        result = await deps.identity.signUp({
          email: body.email,
          password: body.password,
          firstName: body.first_name,
          lastName: body.last_name,
        });
      } catch (error) {
        if (error instanceof ConflictError) return answer;
        throw error;
      }
      if (!result.confirmed && deps.api.autoConfirmSignUp) await deps.identity.adminConfirmSignUp(body.email);
      return answer;
    },
    deps,
  );

export const makeConfirm = (deps: ApiDeps) =>
  httpHandler(
    confirmRoute,
    async ({ body }) => {
      await deps.identity.confirmSignUp(body.email, body.code);
      return { status: 200, body: { accepted: true } };
    },
    deps,
  );

export const makeResend = (deps: ApiDeps) =>
  httpHandler(
    resendRoute,
    async ({ body }) => {
      // a deployment that confirms sign-ups itself has no code to send (and cognito-local cannot resend one)
      if (deps.api.autoConfirmSignUp) return { status: 202, body: { accepted: true } };
      await deps.identity.resendConfirmationCode(body.email).catch((error) => {
        // the same answer whether the account exists, is unknown or is already confirmed (Cognito's
        // InvalidParameterException), so nothing here tells a caller who is signed up
        if (!(error instanceof AuthenticationRequiredError) && !(error instanceof ValidationError)) throw error;
      });
      return { status: 202, body: { accepted: true } };
    },
    deps,
  );

export const makeLogin = (deps: ApiDeps) =>
  httpHandler(
    loginRoute,
    async ({ body }) => ({ status: 200, body: tokensBody(await deps.identity.login(body.email, body.password)) }),
    deps,
  );

export const makeRefresh = (deps: ApiDeps) =>
  httpHandler(
    refreshRoute,
    async ({ body }) => {
      if (await deps.kv.get(revokedKey(body.refresh_token)))
        throw new AuthenticationRequiredError('The refresh token has been revoked');
      return { status: 200, body: tokensBody(await deps.identity.refresh(body.refresh_token)) };
    },
    deps,
  );

export const makeLogout = (deps: ApiDeps) =>
  httpHandler(
    logoutRoute,
    async ({ body, user }) => {
      if (body.refresh_token)
        await deps.kv.put(
          revokedKey(body.refresh_token),
          { revokedAt: deps.clock.now().toISOString() },
          { ttlSeconds: REFRESH_TOKEN_LIFETIME_SECONDS },
        );
      await deps.identity.logout(user.accessToken, body.refresh_token);
      return { status: 204 };
    },
    deps,
  );

export const makeGetProfile = (deps: ApiDeps) =>
  httpHandler(
    getProfileRoute,
    async ({ user }) => {
      // a verified change made in Cognito shows here; an unverified one does not (the original stays)
      await deps.directory.syncVerifiedEmail(user.userId, user.accessToken);
      return { status: 200, body: await profileOf(deps, user.userId) };
    },
    deps,
  );

export const makeUpdateProfile = (deps: ApiDeps) =>
  httpHandler(
    updateProfileRoute,
    async ({ body, user }) => {
      await deps.identity.updateProfile(user.accessToken, { firstName: body.first_name, lastName: body.last_name });
      await deps.db.transaction({ userId: user.userId }, (trx) =>
        trx
          .updateTable('users')
          .set({
            ...(body.first_name !== undefined ? { firstName: body.first_name } : {}),
            ...(body.last_name !== undefined ? { lastName: body.last_name } : {}),
            ...(body.timezone !== undefined ? { timezone: body.timezone } : {}),
            updatedAt: deps.clock.now(),
          })
          .where('id', '=', user.userId)
          .execute(),
      );
      return { status: 200, body: await profileOf(deps, user.userId) };
    },
    deps,
  );

export const makeChangePassword = (deps: ApiDeps) =>
  httpHandler(
    changePasswordRoute,
    async ({ body, user }) => {
      await deps.identity.changePassword(user.accessToken, body.previous_password, body.proposed_password);
      return { status: 204 };
    },
    deps,
  );

export const makeForgotPassword = (deps: ApiDeps) =>
  httpHandler(
    forgotPasswordRoute,
    async ({ body }) => {
      await deps.identity.forgotPassword(body.email);
      return { status: 202, body: { accepted: true } };
    },
    deps,
  );

export const makeResetPassword = (deps: ApiDeps) =>
  httpHandler(
    resetPasswordRoute,
    async ({ body }) => {
      await deps.identity.confirmForgotPassword(body.email, body.code, body.password);
      return { status: 204 };
    },
    deps,
  );

export function authRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    { route: registerRoute, handler: makeRegister(deps) },
    { route: confirmRoute, handler: makeConfirm(deps) },
    { route: resendRoute, handler: makeResend(deps) },
    { route: loginRoute, handler: makeLogin(deps) },
    { route: refreshRoute, handler: makeRefresh(deps) },
    { route: logoutRoute, handler: makeLogout(deps) },
    { route: getProfileRoute, handler: makeGetProfile(deps) },
    { route: updateProfileRoute, handler: makeUpdateProfile(deps) },
    { route: changePasswordRoute, handler: makeChangePassword(deps) },
    { route: forgotPasswordRoute, handler: makeForgotPassword(deps) },
    { route: resetPasswordRoute, handler: makeResetPassword(deps) },
  ];
}
