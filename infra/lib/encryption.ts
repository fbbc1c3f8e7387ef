// The customer-managed KMS key that encrypts Tributary's data at rest: the Aurora storage, the database
// secrets, the platform credentials in Secrets Manager and the S3 buckets. One key per environment keeps
// the grants readable; every use of it is logged by CloudTrail, and yearly rotation is on.
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from './environments';

export interface EncryptionProps {
  settings: EnvironmentSettings;
}

export class Encryption extends Construct {
  readonly key: IKey;

  constructor(scope: Construct, id: string, { settings }: EncryptionProps) {
    super(scope, id);
    this.key = new Key(this, 'DataKey', {
      alias: `alias/tributary-${settings.name}-data`,
      description: `Tributary ${settings.name}: data at rest (Aurora, secrets, S3)`,
      enableKeyRotation: true,
      pendingWindow: settings.kms.pendingWindow,
      removalPolicy: settings.kms.removalPolicy,
    });
  }
}
