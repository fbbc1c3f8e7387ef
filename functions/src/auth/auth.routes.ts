// /api/v1/auth/*: thin handlers over Cognito, so scripts can use the API without the dashboard.
import { defineRoute } from '@tributary/shared/http/route';
import { PUBLIC_ERRORS, STANDARD_ERRORS } from '../common.schemas';
import {
  AcceptedSchema,
  ChangePasswordBodySchema,
  ConfirmBodySchema,
  EmailBodySchema,
  LoginBodySchema,
  LogoutBodySchema,
  ProfileSchema,
  RefreshBodySchema,
  RegisterBodySchema,
  RegisterResultSchema,
  ResetPasswordBodySchema,
  TokensSchema,
  UpdateProfileBodySchema,
} from './auth.schemas';

const tags = ['auth'];
const pub = { auth: 'none', rateLimit: 'auth', tags } as const;

export const registerRoute = defineRoute({
  ...pub,
  operationId: 'register',
  method: 'post',
  path: '/api/v1/auth/register',
  summary: 'Sign up (the same answer whether or not the address has an account)',
  request: { body: RegisterBodySchema },
  responses: {
    202: { description: 'Accepted: sign in (or confirm with the emailed code first)', schema: RegisterResultSchema },
    ...PUBLIC_ERRORS,
  },
});
export const confirmRoute = defineRoute({
  ...pub,
  operationId: 'confirmSignUp',
  method: 'post',
  path: '/api/v1/auth/confirm',
  summary: 'Confirm a sign-up with the emailed code',
  request: { body: ConfirmBodySchema },
  responses: { 200: { description: 'Confirmed', schema: AcceptedSchema }, ...PUBLIC_ERRORS },
});
export const resendRoute = defineRoute({
  ...pub,
  operationId: 'resendConfirmation',
  method: 'post',
  path: '/api/v1/auth/resend',
  summary: 'Send the confirmation code again',
  request: { body: EmailBodySchema },
  responses: { 202: { description: 'Sent if the account exists', schema: AcceptedSchema }, ...PUBLIC_ERRORS },
});
export const loginRoute = defineRoute({
  ...pub,
  operationId: 'login',
  method: 'post',
  path: '/api/v1/auth/login',
  summary: 'Sign in (USER_PASSWORD_AUTH)',
  request: { body: LoginBodySchema },
  responses: { 200: { description: 'Tokens', schema: TokensSchema }, 403: STANDARD_ERRORS[403], ...PUBLIC_ERRORS },
});
export const refreshRoute = defineRoute({
  ...pub,
  operationId: 'refreshTokens',
  method: 'post',
  path: '/api/v1/auth/refresh',
  summary: 'New access token from a refresh token',
  request: { body: RefreshBodySchema },
  responses: { 200: { description: 'Tokens', schema: TokensSchema }, ...PUBLIC_ERRORS },
});
export const logoutRoute = defineRoute({
  operationId: 'logout',
  method: 'post',
  path: '/api/v1/auth/logout',
  summary: 'Sign out: the refresh token stops working',
  tags,
  auth: 'user',
  rateLimit: 'auth',
  request: { body: LogoutBodySchema },
  responses: { 204: { description: 'Signed out' }, ...STANDARD_ERRORS },
});
export const getProfileRoute = defineRoute({
  operationId: 'getProfile',
  method: 'get',
  path: '/api/v1/auth/profile',
  summary: 'The caller and their organizations',
  tags,
  auth: 'user',
  request: {},
  responses: { 200: { description: 'Profile', schema: ProfileSchema }, ...STANDARD_ERRORS },
});
export const updateProfileRoute = defineRoute({
  operationId: 'updateProfile',
  method: 'put',
  path: '/api/v1/auth/profile',
  summary: 'Change name or time zone',
  tags,
  auth: 'user',
  request: { body: UpdateProfileBodySchema },
  responses: { 200: { description: 'Profile', schema: ProfileSchema }, ...STANDARD_ERRORS },
});
export const changePasswordRoute = defineRoute({
  operationId: 'changePassword',
  method: 'post',
  path: '/api/v1/auth/change-password',
  summary: 'Change the password',
  tags,
  auth: 'user',
  rateLimit: 'auth',
  request: { body: ChangePasswordBodySchema },
  responses: { 204: { description: 'Changed' }, ...STANDARD_ERRORS },
});
export const forgotPasswordRoute = defineRoute({
  ...pub,
  operationId: 'forgotPassword',
  method: 'post',
  path: '/api/v1/auth/forgot-password',
  summary: 'Email a reset code',
  request: { body: EmailBodySchema },
  responses: { 202: { description: 'Sent if the account exists', schema: AcceptedSchema }, ...PUBLIC_ERRORS },
});
export const resetPasswordRoute = defineRoute({
  ...pub,
  operationId: 'resetPassword',
  method: 'post',
  path: '/api/v1/auth/reset-password',
  summary: 'Set a new password with the emailed code',
  request: { body: ResetPasswordBodySchema },
  responses: { 204: { description: 'Reset' }, ...PUBLIC_ERRORS },
});
