// Reading a whole secret by ARN from Secrets Manager: the deploy-time migration reads the database
// logins this way (the application's credential secrets go through SecretsManagerSecretStore).
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsSdk } from './aws-sdk';

let client: SecretsManagerClient | undefined;

export async function readSecretString(arn: string): Promise<string> {
  client ??= new (awsSdk.secretsManager().SecretsManagerClient)({});
  const { SecretString } = await client.send(new (awsSdk.secretsManager().GetSecretValueCommand)({ SecretId: arn }));
  return SecretString ?? '';
}
