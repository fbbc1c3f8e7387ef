// Cognito, the identity provider of the management API (issue 4). One user pool per environment, signed in
// with the email address, and two app clients:
//   - the dashboard's (SPA, no secret): SRP, so the password never leaves the browser (Amplify);
//   - the scripts' (no secret): USER_PASSWORD_AUTH, which /api/v1/auth/login calls for them.
// Both may refresh. Where the environment auto-confirms sign-ups (dev), a pre-sign-up trigger confirms the
// account at once, as the local runner does, so a script can register and log in without an emailed code.
// The dashboard's client may also sign in through the hosted domain with the authorization code flow (PKCE)
// only, back to the dashboard's own origin; the scripts' client has no OAuth at all. Staging and prod send
// Cognito's email through SES (sesFromEmail in infra/deploy-settings.json); prod enforces threat protection.
import { Annotations, Aws, CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  UserPoolEmail,
  UserPoolOperation,
  type CfnUserPoolClient,
  type IUserPool,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { AppEnvironment } from './app-environment';
import type { EnvironmentSettings } from './environments';
import { TributaryFunction } from './node-function';
import type { OperationsSettings } from './operations-settings';

/** Where the dashboard receives the authorization code, and where Cognito sends the user after logout. */
export const DASHBOARD_CALLBACK_PATH = '/auth/callback';
export const DASHBOARD_LOGOUT_PATH = '/';

export interface IdentityProps {
  settings: EnvironmentSettings;
  operations: OperationsSettings;
  appEnvironment: AppEnvironment;
  /** the dashboard's origin (https://…, or http://localhost:5173 in dev): its callback and logout URLs */
  dashboardOrigin: string;
}

export class Identity extends Construct {
  readonly userPool: IUserPool;
  readonly spaClient: UserPoolClient;
  readonly scriptClient: UserPoolClient;
  readonly preSignUp?: TributaryFunction;
  /** the hosted sign-in domain (https://<prefix>.auth.<region>.amazoncognito.com) */
  readonly domain: UserPoolDomain;

  constructor(scope: Construct, id: string, { settings, operations, appEnvironment, dashboardOrigin }: IdentityProps) {
    super(scope, id);
    const threatProtection = operations.threatProtection ?? 'off';
    if (!operations.sesFromEmail && settings.name !== 'dev') {
      Annotations.of(this).addWarningV2(
        'tributary:noSesSender',
        `no sesFromEmail for ${settings.name}: Cognito sends its email itself (50 a day)`,
      );
    }
    const pool = new UserPool(this, 'UserPool', {
      userPoolName: `tributary-${settings.name}`,
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      // keepOriginal: a changed email takes effect only once its owner verifies it, so nobody can claim an
      // address (and the invitations sent to it) by typing it into UpdateUserAttributes
      keepOriginal: { email: true },
      standardAttributes: {
        email: { required: true, mutable: true },
        givenName: { required: false, mutable: true },
        familyName: { required: false, mutable: true },
      },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: false,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: settings.identity.mfa === 'REQUIRED' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      ...(operations.sesFromEmail
        ? {
            email: UserPoolEmail.withSES({
              fromEmail: operations.sesFromEmail,
              fromName: 'Tributary',
              sesRegion: settings.region,
              ...(operations.sesVerifiedDomain ? { sesVerifiedDomain: operations.sesVerifiedDomain } : {}),
            }),
          }
        : {}),
      // threat protection (compromised credentials, adaptive authentication) needs the Plus plan
      ...(threatProtection === 'off'
        ? { featurePlan: FeaturePlan.ESSENTIALS }
        : {
            featurePlan: FeaturePlan.PLUS,
            standardThreatProtectionMode:
              threatProtection === 'enforced'
                ? StandardThreatProtectionMode.FULL_FUNCTION
                : StandardThreatProtectionMode.AUDIT_ONLY,
          }),
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

    const tokenValidity = {
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    };
    this.spaClient = pool.addClient('DashboardClient', {
      userPoolClientName: 'dashboard',
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [`${dashboardOrigin}${DASHBOARD_CALLBACK_PATH}`],
        logoutUrls: [`${dashboardOrigin}${DASHBOARD_LOGOUT_PATH}`],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      // logout revokes the refresh token (RevokeToken), so it is refused afterwards
      enableTokenRevocation: true,
      ...tokenValidity,
    });
    this.scriptClient = pool.addClient('ScriptClient', {
      userPoolClientName: 'scripts',
      generateSecret: false,
      authFlows: { userPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      ...tokenValidity,
    });

    // a prefix unique to the account and environment; hosted sign-in for the dashboard's code flow
    this.domain = pool.addDomain('HostedDomain', {
      cognitoDomain: { domainPrefix: `tributary-${settings.name}-${Aws.ACCOUNT_ID}` },
    });
    new CfnOutput(this, 'HostedSignInDomain', { value: this.domain.baseUrl() });

    appEnvironment.set('TRIBUTARY_USER_POOL_ID', pool.userPoolId);
    appEnvironment.set('TRIBUTARY_USER_POOL_CLIENT_ID', this.scriptClient.userPoolClientId);
    appEnvironment.set('TRIBUTARY_USER_POOL_SPA_CLIENT_ID', this.spaClient.userPoolClientId);
  }

  /**
   * Points the dashboard's callback and logout URLs at another origin (the dashboard's CloudFront domain when
   * its hosting is built in this stack).
   */
  useDashboardOrigin(origin: string): void {
    const client = this.spaClient.node.defaultChild as CfnUserPoolClient;
    client.callbackUrLs = [`${origin}${DASHBOARD_CALLBACK_PATH}`];
    client.logoutUrLs = [`${origin}${DASHBOARD_LOGOUT_PATH}`];
  }
}
