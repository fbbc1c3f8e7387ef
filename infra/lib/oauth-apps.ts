// The OAuth apps each environment registers with the platforms (one Google app for Google Ads and GA4, one
// Meta app for Meta Ads and Instagram, one Shopify app). The stack creates one Secrets Manager secret per app,
// encrypted with the data key and holding empty keys; the operator fills it once with one command (DEPLOY.md,
// "OAuth apps").
// Only the credentials routes (the connect flow's start and callback) may read them; they read on first use
// (shared/src/adapters/oauth-app-source.ts), so a filled or rotated app needs no deploy, and an empty one
// answers 501 naming the secret.
import { SecretValue, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { OAUTH_APP_SETTINGS, type OAuthAppName } from '../../shared/src/config/config';
import type { EnvironmentSettings } from './environments';

/** The keys each app's secret holds; the operator fills their values. */
export const OAUTH_APP_KEYS: Record<OAuthAppName, readonly string[]> = {
  google: ['client_id', 'client_secret', 'developer_token'],
  meta: ['client_id', 'client_secret'],
  klaviyo: ['client_id', 'client_secret'],
  shopify: ['client_id', 'client_secret'],
  // Login with Amazon: the Amazon Ads API's app (its client id is also the Amazon-Advertising-API-ClientId header)
  amazon: ['client_id', 'client_secret'],
};

export function oauthAppSecretName(environment: string, app: OAuthAppName): string {
  return `tributary/${environment}/oauth-apps/${app}`;
}

export interface OAuthAppsProps {
  settings: EnvironmentSettings;
  key: IKey;
  /** the functions that run the connect flow (the credentials routes) */
  readers: LambdaFunction[];
}

export class OAuthApps extends Construct {
  readonly secrets = {} as Record<OAuthAppName, Secret>;

  constructor(scope: Construct, id: string, { settings, key, readers }: OAuthAppsProps) {
    super(scope, id);
    for (const app of Object.keys(OAUTH_APP_KEYS) as OAuthAppName[]) {
      const secretName = oauthAppSecretName(settings.name, app);
      const empty = Object.fromEntries(OAUTH_APP_KEYS[app].map((k) => [k, '']));
      const secret = new Secret(this, `${app[0]!.toUpperCase()}${app.slice(1)}App`, {
        secretName,
        description: `Tributary ${settings.name}: the ${app} OAuth app (fill ${OAUTH_APP_KEYS[app].join(', ')}; see DEPLOY.md)`,
        encryptionKey: key,
        // empty keys, no secret: CloudFormation never rewrites it while this template value is unchanged
        secretStringValue: SecretValue.unsafePlainText(JSON.stringify(empty)),
        removalPolicy: settings.storage.removalPolicy,
      });
      this.secrets[app] = secret;
      for (const fn of readers) {
        // granted on the role, not through secret.grantRead: that would name the role in the key's policy,
        // and the key (via the database and its migrations, which the API functions wait for) would cycle
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            resources: [secret.secretArn],
          }),
        );
        fn.addEnvironment(OAUTH_APP_SETTINGS[app].secret, secretName);
      }
    }
    for (const fn of readers) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
  }
}
