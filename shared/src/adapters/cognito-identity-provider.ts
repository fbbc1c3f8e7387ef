// IdentityProvider over @aws-sdk/client-cognito-identity-provider. The same code speaks to a user pool in
// AWS and to cognito-local; only the client's endpoint differs. Cognito's errors are mapped to AppErrors
// here, once, with messages that do not reveal whether an account exists.
import type {
  CognitoIdentityProviderClient,
  AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import { AppError, AuthenticationRequiredError, ConflictError, ValidationError } from '../domain/errors';
import type { AuthTokens, IdentityProfile, IdentityProvider } from '../ports/identity-provider';
import { awsSdk } from './aws-sdk';

export interface CognitoIdentityOptions {
  userPoolId: string;
  /** the scripts' app client: USER_PASSWORD_AUTH enabled, no client secret */
  clientId: string;
  /**
   * cognito-local has no GlobalSignOut; there RevokeToken (which it has) plus the API's own revocation
   * record are what make logout stick.
   */
  supportsGlobalSignOut: boolean;
}

function mapError(error: unknown): never {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? '';
  switch (name) {
    case 'UsernameExistsException':
      throw new ConflictError('An account with this email already exists');
    case 'InvalidPasswordException':
      throw new ValidationError('The password does not meet the password policy', { field: 'password' });
    case 'InvalidParameterException':
      throw new ValidationError('The identity provider rejected the request', { reason: message.slice(0, 200) });
    case 'CodeMismatchException':
    case 'ExpiredCodeException':
      throw new ValidationError('The code is wrong or has expired', { field: 'code' });
    case 'UserNotConfirmedException':
      throw new AppError('AUTHORIZATION_FAILED', 'The account is not confirmed yet', 403);
    case 'NotAuthorizedException':
    case 'UserNotFoundException':
      // one answer for "no such user" and "wrong password": nothing to enumerate accounts with
      throw new AuthenticationRequiredError('The credentials are not valid');
    case 'LimitExceededException':
    case 'TooManyRequestsException':
    case 'TooManyFailedAttemptsException':
      throw new AppError('RATE_LIMIT_EXCEEDED', 'Too many attempts; try again later', 429, { retry_after_seconds: 60 });
    default:
      throw error;
  }
}

function tokens(result: AuthenticationResultType | undefined): AuthTokens {
  if (!result?.AccessToken)
    throw new AppError('AUTHORIZATION_FAILED', 'Additional authentication steps are required', 403);
  return {
    accessToken: result.AccessToken,
    ...(result.IdToken ? { idToken: result.IdToken } : {}),
    ...(result.RefreshToken ? { refreshToken: result.RefreshToken } : {}),
    expiresInSeconds: result.ExpiresIn ?? 3600,
    tokenType: result.TokenType ?? 'Bearer',
  };
}

export class CognitoIdentityProvider implements IdentityProvider {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly options: CognitoIdentityOptions,
  ) {}

  private async send<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      return mapError(error);
    }
  }

  async signUp(input: { email: string; password: string; firstName?: string; lastName?: string }) {
    const attributes = [
      { Name: 'email', Value: input.email },
      ...(input.firstName ? [{ Name: 'given_name', Value: input.firstName }] : []),
      ...(input.lastName ? [{ Name: 'family_name', Value: input.lastName }] : []),
    ];
    const out = await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().SignUpCommand)({
          ClientId: this.options.clientId,
          Username: input.email,
          Password: input.password,
          UserAttributes: attributes,
        }),
      ),
    );
    return { sub: out.UserSub ?? '', confirmed: Boolean(out.UserConfirmed) };
  }

  async confirmSignUp(email: string, code: string) {
    await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().ConfirmSignUpCommand)({
          ClientId: this.options.clientId,
          Username: email,
          ConfirmationCode: code,
        }),
      ),
    );
  }

  async resendConfirmationCode(email: string) {
    await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().ResendConfirmationCodeCommand)({
          ClientId: this.options.clientId,
          Username: email,
        }),
      ),
    );
  }

  async adminConfirmSignUp(email: string) {
    await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().AdminConfirmSignUpCommand)({
          UserPoolId: this.options.userPoolId,
          Username: email,
        }),
      ),
    );
    // auto-confirm vouches for the address as the pre-sign-up trigger's autoVerifyEmail does in AWS
    await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().AdminUpdateUserAttributesCommand)({
          UserPoolId: this.options.userPoolId,
          Username: email,
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'email_verified', Value: 'true' },
          ],
        }),
      ),
    );
  }

  async login(email: string, password: string) {
    const out = await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().InitiateAuthCommand)({
          ClientId: this.options.clientId,
          AuthFlow: 'USER_PASSWORD_AUTH',
          AuthParameters: { USERNAME: email, PASSWORD: password },
        }),
      ),
    );
    return tokens(out.AuthenticationResult);
  }

  async refresh(refreshToken: string) {
    const out = await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().InitiateAuthCommand)({
          ClientId: this.options.clientId,
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          AuthParameters: { REFRESH_TOKEN: refreshToken },
        }),
      ),
    );
    return tokens(out.AuthenticationResult);
  }

  async logout(accessToken: string, refreshToken?: string) {
    if (refreshToken)
      await this.send(() =>
        this.client.send(
          new (awsSdk.cognitoIdentityProvider().RevokeTokenCommand)({
            ClientId: this.options.clientId,
            Token: refreshToken,
          }),
        ),
      );
    if (this.options.supportsGlobalSignOut)
      await this.send(() =>
        this.client.send(new (awsSdk.cognitoIdentityProvider().GlobalSignOutCommand)({ AccessToken: accessToken })),
      );
  }

  async getProfile(accessToken: string): Promise<IdentityProfile> {
    const out = await this.send(() =>
      this.client.send(new (awsSdk.cognitoIdentityProvider().GetUserCommand)({ AccessToken: accessToken })),
    );
    const attr = (name: string) => out.UserAttributes?.find((a) => a.Name === name)?.Value;
    const email = attr('email');
    if (!email) throw new AppError('INTERNAL_SERVER_ERROR', 'The identity has no email address', 500);
    return {
      sub: attr('sub') ?? out.Username ?? '',
      email,
      emailVerified: attr('email_verified') === 'true',
      ...(attr('given_name') ? { firstName: attr('given_name') } : {}),
      ...(attr('family_name') ? { lastName: attr('family_name') } : {}),
    };
  }

  async updateProfile(accessToken: string, changes: { firstName?: string; lastName?: string }) {
    const attributes = [
      ...(changes.firstName !== undefined ? [{ Name: 'given_name', Value: changes.firstName }] : []),
      ...(changes.lastName !== undefined ? [{ Name: 'family_name', Value: changes.lastName }] : []),
    ];
    if (!attributes.length) return;
    await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().UpdateUserAttributesCommand)({
          AccessToken: accessToken,
          UserAttributes: attributes,
        }),
      ),
    );
  }

  async changePassword(accessToken: string, previousPassword: string, proposedPassword: string) {
    await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().ChangePasswordCommand)({
          AccessToken: accessToken,
          PreviousPassword: previousPassword,
          ProposedPassword: proposedPassword,
        }),
      ),
    );
  }

  async forgotPassword(email: string) {
    try {
      await this.client.send(
        new (awsSdk.cognitoIdentityProvider().ForgotPasswordCommand)({
          ClientId: this.options.clientId,
          Username: email,
        }),
      );
    } catch (error) {
      // answering the same for unknown addresses keeps the endpoint from confirming which accounts exist
      if ((error as { name?: string }).name === 'UserNotFoundException') return;
      mapError(error);
    }
  }

  async confirmForgotPassword(email: string, code: string, password: string) {
    await this.send(() =>
      this.client.send(
        new (awsSdk.cognitoIdentityProvider().ConfirmForgotPasswordCommand)({
          ClientId: this.options.clientId,
          Username: email,
          ConfirmationCode: code,
          Password: password,
        }),
      ),
    );
  }
}
