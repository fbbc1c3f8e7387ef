// The composition root: the one place that turns a Config into implementations. It branches on what the
// config says to build (an endpoint, a store kind), never on "am I local?". Lambdas call
// createAdapters(loadConfig()) once at module scope; tests and the local runner pass their own Config.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config, IdentityConfig, KeyValueConfig, ObjectStoreConfig, SecretStoreConfig } from './config';
import { CognitoIdentityProvider } from '../adapters/cognito-identity-provider';
import { CognitoTokenVerifier, JwksTokenVerifier } from '../adapters/jwt-token-verifier';
import { LocalEnvelopeSecretStore } from '../adapters/local-envelope-secret-store';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store';
import type { IdentityProvider } from '../ports/identity-provider';
import type { SecretStore } from '../ports/secret-store';
import type { TokenVerifier } from '../ports/token-verifier';
import { createDatabase, type Database } from '../db/database';
import { DynamoDbKeyValueStore } from '../adapters/dynamodb-key-value-store';
import { S3BlobStore } from '../adapters/s3-blob-store';
import type { BlobStore } from '../ports/blob-store';
import type { KeyValueStore } from '../ports/key-value-store';
import { LOCAL_AWS_CREDENTIALS, S3RVER_CREDENTIALS } from '../local/stand-in-credentials';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface Adapters {
  config: Config;
  db: Database;
  kv: KeyValueStore;
  blobs: BlobStore;
  clock: Clock;
  secrets: SecretStore;
  identity: IdentityProvider;
  verifier: TokenVerifier;
  /** releases pools and clients (tests, the local runner's shutdown) */
  close(): Promise<void>;
}

export function s3Client(config: ObjectStoreConfig): S3Client {
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    // a configured endpoint is a stand-in (s3rver) that accepts only its own fixed credentials
    ...(config.endpoint ? { endpoint: config.endpoint, credentials: S3RVER_CREDENTIALS } : {}),
  });
}

export function dynamoDbClient(config: KeyValueConfig): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint, credentials: LOCAL_AWS_CREDENTIALS } : {}),
  });
}

export function secretStore(config: SecretStoreConfig): SecretStore {
  return config.kind === 'aws-secrets-manager'
    ? new SecretsManagerSecretStore(new SecretsManagerClient({ region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}) }), { kmsKeyId: config.kmsKeyId, secretPrefix: config.secretPrefix })
    : new LocalEnvelopeSecretStore({ keyFile: config.keyFile, storeDir: config.storeDir });
}

export function identityProvider(config: IdentityConfig): IdentityProvider {
  const client = new CognitoIdentityProviderClient(
    config.kind === 'cognito-local'
      ? { region: 'us-east-1', endpoint: config.endpoint, credentials: LOCAL_AWS_CREDENTIALS }
      : { region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}) },
  );
  return new CognitoIdentityProvider(client, { userPoolId: config.userPoolId, clientId: config.clientId, supportsGlobalSignOut: config.kind === 'cognito' });
}

export function tokenVerifier(config: IdentityConfig): TokenVerifier {
  const clientIds = [config.clientId, ...(config.extraClientIds ?? [])];
  if (config.kind === 'cognito-local') {
    const issuer = `${config.endpoint}/${config.userPoolId}`;
    return new JwksTokenVerifier({ issuer, jwksUri: `${issuer}/.well-known/jwks.json`, clientIds });
  }
  return new CognitoTokenVerifier({ userPoolId: config.userPoolId, clientIds });
}

export function createAdapters(config: Config): Adapters {
  const db = createDatabase(config.database);
  const s3 = s3Client(config.objectStore);
  const ddb = dynamoDbClient(config.keyValue);
  return {
    config,
    db,
    kv: new DynamoDbKeyValueStore(ddb, config.keyValue.table),
    blobs: new S3BlobStore(s3),
    clock: systemClock,
    secrets: secretStore(config.secrets),
    identity: identityProvider(config.identity),
    verifier: tokenVerifier(config.identity),
    close: async () => {
      await db.close();
      s3.destroy();
      ddb.destroy();
    },
  };
}
