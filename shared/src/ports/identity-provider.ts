// The identity provider the auth endpoints are thin handlers over: a Cognito user pool in AWS,
// cognito-local on the local runner (same SDK client, another endpoint). Passwords never leave it.
export interface AuthTokens {
  accessToken: string;
  idToken?: string;
  /** absent on a refresh: Cognito keeps the refresh token it was given */
  refreshToken?: string;
  expiresInSeconds: number;
  tokenType: string;
}

export interface IdentityProfile {
  sub: string;
  /** the address in force: with Cognito's keepOriginal, an unverified change is not it yet */
  email: string;
  /** only a verified address counts anywhere in Tributary */
  emailVerified: boolean;
  firstName?: string;
  lastName?: string;
}

export interface IdentityProvider {
  signUp(input: {
    email: string;
    password: string;
    firstName?: string;
    lastName?: string;
  }): Promise<{ sub: string; confirmed: boolean }>;
  confirmSignUp(email: string, code: string): Promise<void>;
  resendConfirmationCode(email: string): Promise<void>;
  /** the environment's auto-confirm, email verified too (a pre-sign-up trigger in AWS does the same) */
  adminConfirmSignUp(email: string): Promise<void>;
  login(email: string, password: string): Promise<AuthTokens>;
  refresh(refreshToken: string): Promise<AuthTokens>;
  /** revokes the given refresh token (RevokeToken) and, where supported, every other one (GlobalSignOut) */
  logout(accessToken: string, refreshToken?: string): Promise<void>;
  getProfile(accessToken: string): Promise<IdentityProfile>;
  updateProfile(accessToken: string, changes: { firstName?: string; lastName?: string }): Promise<void>;
  changePassword(accessToken: string, previousPassword: string, proposedPassword: string): Promise<void>;
  forgotPassword(email: string): Promise<void>;
  confirmForgotPassword(email: string, code: string, password: string): Promise<void>;
}
