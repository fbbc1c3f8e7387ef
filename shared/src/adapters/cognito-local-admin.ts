// cognito-local's set-up, for the local runner and the rehearsal: probing it, making the user pool and
// the scripts' app client, and a confirmed user. In AWS the stack creates the pool and users sign up.
import {
  AdminConfirmSignUpCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  ListUserPoolsCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { LOCAL_AWS_CREDENTIALS } from '../local/stand-in-credentials';

export interface PoolIds {
  userPoolId: string;
  clientId: string;
}

export class CognitoLocalAdmin {
  private readonly client: CognitoIdentityProviderClient;
  /** one attempt per call: the SDK's own retries with backoff would stretch a start-up probe to seconds */
  private readonly probeClient: CognitoIdentityProviderClient;

  constructor(endpoint: string) {
    this.client = new CognitoIdentityProviderClient({
      region: 'us-east-1',
      endpoint,
      credentials: LOCAL_AWS_CREDENTIALS,
    });
    this.probeClient = new CognitoIdentityProviderClient({
      region: 'us-east-1',
      endpoint,
      credentials: LOCAL_AWS_CREDENTIALS,
      maxAttempts: 1,
    });
  }

  async probe(): Promise<void> {
    await this.probeClient.send(new ListUserPoolsCommand({ MaxResults: 1 }));
  }

  async hasClient(ids: PoolIds): Promise<boolean> {
    try {
      await this.client.send(new DescribeUserPoolClientCommand({ UserPoolId: ids.userPoolId, ClientId: ids.clientId }));
      return true;
    } catch {
      return false;
    }
  }

  /** a pool with email usernames and the scripts' app client (USER_PASSWORD_AUTH) */
  async createPool(): Promise<PoolIds> {
    const pool = await this.client.send(
      new CreateUserPoolCommand({
        PoolName: 'tributary-local',
        UsernameAttributes: ['email'],
        AutoVerifiedAttributes: ['email'],
        // keepOriginal, as infra/lib/identity.ts: a changed email takes effect only once verified (pools made
        // before this setting existed lack it: delete .tributary/cognito to get one that has it)
        UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
        Policies: {
          PasswordPolicy: {
            MinimumLength: 8,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: false,
          },
        },
      }),
    );
    const userPoolId = pool.UserPool?.Id;
    if (!userPoolId) throw new Error('cognito-local created no user pool');
    const appClient = await this.client.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: 'tributary-scripts',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        GenerateSecret: false,
      }),
    );
    const clientId = appClient.UserPoolClient?.ClientId;
    if (!clientId) throw new Error('cognito-local created no app client');
    return { userPoolId, clientId };
  }

  /** signs a user up and confirms them at once; a UsernameExistsException is the caller's to handle */
  async createConfirmedUser(ids: PoolIds, email: string, password: string): Promise<void> {
    await this.client.send(
      new SignUpCommand({
        ClientId: ids.clientId,
        Username: email,
        Password: password,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    await this.client.send(new AdminConfirmSignUpCommand({ UserPoolId: ids.userPoolId, Username: email }));
    // only verified emails count (invitations, the users row): the demo user's is
    await this.setEmail(ids, email, email, true);
  }

  /** what an administrator (or Cognito's own verification) does: set an address and whether it is verified */
  async setEmail(ids: PoolIds, username: string, email: string, verified: boolean): Promise<void> {
    await this.client.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: ids.userPoolId,
        Username: username,
        UserAttributes: [
          { Name: 'email', Value: email },
          { Name: 'email_verified', Value: String(verified) },
        ],
      }),
    );
  }

  /** what a signed-in user may do with their own access token: ask to change their email */
  async changeOwnEmail(accessToken: string, email: string): Promise<void> {
    await this.client.send(
      new UpdateUserAttributesCommand({ AccessToken: accessToken, UserAttributes: [{ Name: 'email', Value: email }] }),
    );
  }

  destroy(): void {
    this.client.destroy();
    this.probeClient.destroy();
  }
}
