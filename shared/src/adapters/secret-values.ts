// Reading a whole secret by ARN from Secrets Manager: the deploy-time migration reads the database
// logins this way (the application's credential secrets go through SecretsManagerSecretStore).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;

export async function readSecretString(arn: string): Promise<string> {
  client ??= new SecretsManagerClient({});
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  return SecretString ?? '';
}
