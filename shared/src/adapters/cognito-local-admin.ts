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
} from '@aws-sdk/client-cognito-identity-provider';
import { LOCAL_AWS_CREDENTIALS } from '../local/stand-in-credentials';

export interface PoolIds {
  userPoolId: string;
  clientId: string;
}

export class CognitoLocalAdmin {
  /** for tests that drive cognito-local beyond set-up (attribute changes, …) */
  readonly client: CognitoIdentityProviderClient;
  /** one attempt per call: the SDK's own retries with backoff would stretch a start-up probe to seconds */
  private readonly probeClient: CognitoIdentityProviderClient;

  constructor(endpoint: string) {
    this.client = new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint, credentials: LOCAL_AWS_CREDENTIALS });
    this.probeClient = new CognitoIdentityProviderClient({ region: 'us-east-1', endpoint, credentials: LOCAL_AWS_CREDENTIALS, maxAttempts: 1 });
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
        Policies: { PasswordPolicy: { MinimumLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: false } },
      }),
    );
    const userPoolId = pool.UserPool?.Id;
    if (!userPoolId) throw new Error('cognito-local created no user pool');
    const appClient = await this.client.send(
      new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: 'tributary-scripts', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'], GenerateSecret: false }),
    );
    const clientId = appClient.UserPoolClient?.ClientId;
    if (!clientId) throw new Error('cognito-local created no app client');
    return { userPoolId, clientId };
  }

  /** signs a user up, confirms them and verifies their email at once; a UsernameExistsException is the caller's to handle */
  async createConfirmedUser(ids: PoolIds, email: string, password: string): Promise<void> {
    await this.client.send(new SignUpCommand({ ClientId: ids.clientId, Username: email, Password: password, UserAttributes: [{ Name: 'email', Value: email }] }));
    await this.client.send(new AdminConfirmSignUpCommand({ UserPoolId: ids.userPoolId, Username: email }));
    await this.client.send(new AdminUpdateUserAttributesCommand({ UserPoolId: ids.userPoolId, Username: email, UserAttributes: [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }] }));
  }

  destroy(): void {
    this.client.destroy();
    this.probeClient.destroy();
  }
}
