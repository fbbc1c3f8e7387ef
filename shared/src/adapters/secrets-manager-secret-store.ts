// One Secrets Manager secret per credential, encrypted under the customer-managed KMS key and tagged with
// organization and project, which is what the Lambdas' IAM policies are scoped by. PutSecretValue makes
// the new version AWSCURRENT; the application only ever reads AWSCURRENT, so the old value is unreadable to it.
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NotFoundError } from '../domain/errors';
import type { SecretStore, SecretTags, StoredSecretRef } from '../ports/secret-store';
import { awsSdk } from './aws-sdk';

export class SecretsManagerSecretStore implements SecretStore {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: { kmsKeyId: string; secretPrefix: string },
  ) {}

  async create(name: string, value: Record<string, unknown>, tags: SecretTags): Promise<StoredSecretRef> {
    const out = await this.client.send(
      new (awsSdk.secretsManager().CreateSecretCommand)({
        Name: `${this.options.secretPrefix}${tags.organizationId}/${tags.projectId}/${name}`,
        KmsKeyId: this.options.kmsKeyId,
        SecretString: JSON.stringify(value),
        Tags: [
          { Key: 'tributary:organization', Value: tags.organizationId },
          { Key: 'tributary:project', Value: tags.projectId },
          { Key: 'tributary:platform', Value: tags.platform },
        ],
      }),
    );
    return { ref: out.ARN ?? '', keyId: this.options.kmsKeyId };
  }

  async update(ref: string, value: Record<string, unknown>): Promise<void> {
    await this.client.send(
      new (awsSdk.secretsManager().PutSecretValueCommand)({ SecretId: ref, SecretString: JSON.stringify(value) }),
    );
  }

  async read(ref: string): Promise<Record<string, unknown>> {
    try {
      const out = await this.client.send(
        new (awsSdk.secretsManager().GetSecretValueCommand)({ SecretId: ref, VersionStage: 'AWSCURRENT' }),
      );
      return JSON.parse(out.SecretString ?? '{}') as Record<string, unknown>;
    } catch (error) {
      if (error instanceof awsSdk.secretsManager().ResourceNotFoundException) throw new NotFoundError('Secret');
      throw error;
    }
  }

  async delete(ref: string): Promise<void> {
    // a 7-day recovery window: a credential deleted by mistake can still be restored by an operator
    await this.client.send(
      new (awsSdk.secretsManager().DeleteSecretCommand)({ SecretId: ref, RecoveryWindowInDays: 7 }),
    );
  }
}
