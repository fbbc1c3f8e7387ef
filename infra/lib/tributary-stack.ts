// One stack per environment, composed of one construct per concern. Adding a concern is one line here:
// construct it with the settings and the foundation pieces it needs (network, key, database, storage),
// e.g. `new Api(this, 'Api', { settings, network, key, database })` for the API Gateway/Cognito/DynamoDB
// constructs of issue 4.
import { Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Database } from './database';
import { Encryption } from './encryption';
import type { EnvironmentSettings } from './environments';
import { Network } from './network';
import { Storage } from './storage';

export interface TributaryStackProps extends StackProps {
  settings: EnvironmentSettings;
}

export class TributaryStack extends Stack {
  readonly settings: EnvironmentSettings;
  readonly network: Network;
  readonly encryption: Encryption;
  readonly storage: Storage;
  readonly database: Database;

  constructor(scope: Construct, id: string, { settings, ...props }: TributaryStackProps) {
    super(scope, id, { ...props, terminationProtection: settings.database.deletionProtection });
    this.settings = settings;
    Tags.of(this).add('tributary:environment', settings.name);

    this.network = new Network(this, 'Network', { settings });
    this.encryption = new Encryption(this, 'Encryption', { settings });
    const key = this.encryption.key;
    this.storage = new Storage(this, 'Storage', { settings, key });
    this.database = new Database(this, 'Database', {
      settings,
      key,
      vpc: this.network.vpc,
      dataSubnets: this.network.dataSubnets,
      functionSubnets: this.network.functionSubnets,
    });
  }
}
