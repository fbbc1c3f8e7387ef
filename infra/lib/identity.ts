// Cognito, the identity provider of the management API (issue 4). One user pool per environment, signed in
// with the email address, and two app clients:
//   - the dashboard's (SPA, no secret): SRP, so the password never leaves the browser (Amplify);
//   - the scripts' (no secret): USER_PASSWORD_AUTH, which /api/v1/auth/login calls for them.
// Both may refresh. Where the environment auto-confirms sign-ups (dev), a pre-sign-up trigger confirms the
// account at once, as the local runner does, so a script can register and log in without an emailed code.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  Mfa,
  UserPool,
  UserPoolClient,
  UserPoolOperation,
  type IUserPool,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { AppEnvironment } from './app-environment';
import type { EnvironmentSettings } from './environments';
import { TributaryFunction } from './node-function';

export interface IdentityProps {
  settings: EnvironmentSettings;
  appEnvironment: AppEnvironment;
}

export class Identity extends Construct {
  readonly userPool: IUserPool;
  readonly spaClient: UserPoolClient;
  readonly scriptClient: UserPoolClient;
  readonly preSignUp?: TributaryFunction;

  constructor(scope: Construct, id: string, { settings, appEnvironment }: IdentityProps) {
    super(scope, id);
    const pool = new UserPool(this, 'UserPool', {
      userPoolName: `tributary-${settings.name}`,
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      // keepOriginal: a changed email takes effect only once its owner verifies it, so nobody can claim an
      // address (and the invitations sent to it) by typing it into UpdateUserAttributes
      keepOriginal: { email: true },
      standardAttributes: { email: { required: true, mutable: true }, givenName: { required: false, mutable: true }, familyName: { required: false, mutable: true } },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: false, tempPasswordValidity: Duration.days(3) },
      mfa: settings.identity.mfa === 'REQUIRED' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: settings.identity.removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy: settings.identity.removalPolicy,
    });
    this.userPool = pool;

    if (settings.identity.autoConfirmSignUp) {
      this.preSignUp = new TributaryFunction(this, 'PreSignUp', {
        settings,
        entry: 'functions/src/auth/pre-sign-up.ts',
        description: 'Cognito pre-sign-up: confirms registrations at once in this environment',
        memorySize: 128,
        timeout: Duration.seconds(5),
      });
      pool.addTrigger(UserPoolOperation.PRE_SIGN_UP, this.preSignUp);
    }

    const tokenValidity = { accessTokenValidity: Duration.hours(1), idTokenValidity: Duration.hours(1), refreshTokenValidity: Duration.days(30) };
    this.spaClient = pool.addClient('DashboardClient', {
      userPoolClientName: 'dashboard',
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      // logout revokes the refresh token (RevokeToken), so it is refused afterwards
      enableTokenRevocation: true,
      ...tokenValidity,
    });
    this.scriptClient = pool.addClient('ScriptClient', {
      userPoolClientName: 'scripts',
      generateSecret: false,
      authFlows: { userPassword: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      ...tokenValidity,
    });

    appEnvironment.set('TRIBUTARY_USER_POOL_ID', pool.userPoolId);
    appEnvironment.set('TRIBUTARY_USER_POOL_CLIENT_ID', this.scriptClient.userPoolClientId);
    appEnvironment.set('TRIBUTARY_USER_POOL_SPA_CLIENT_ID', this.spaClient.userPoolClientId);
  }
}
