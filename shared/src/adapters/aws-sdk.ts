// The AWS SDK v3 packages the adapters use, each loaded (a synchronous require, cached) when an adapter first
// needs it, never at module load: loading the SDK's clients is most of a Lambda's cold start, and most
// invocations touch one or two of them. Only types are imported statically (a static value import would be
// hoisted into every bundle's first lines and loaded at start). In Lambda the packages come from the runtime
// (the bundles leave @aws-sdk/* out); require() and import() load the same CommonJS build of each.
import { createRequire } from 'node:module';
import type * as ApiGatewayManagementApi from '@aws-sdk/client-apigatewaymanagementapi';
import type * as CognitoIdentityProvider from '@aws-sdk/client-cognito-identity-provider';
import type * as DynamoDb from '@aws-sdk/client-dynamodb';
import type * as S3 from '@aws-sdk/client-s3';
import type * as Scheduler from '@aws-sdk/client-scheduler';
import type * as SecretsManager from '@aws-sdk/client-secrets-manager';
import type * as SesV2 from '@aws-sdk/client-sesv2';
import type * as Sfn from '@aws-sdk/client-sfn';
import type * as DynamoDbDocument from '@aws-sdk/lib-dynamodb';
import type * as Storage from '@aws-sdk/lib-storage';
import type * as RdsSigner from '@aws-sdk/rds-signer';

const load = createRequire(import.meta.url);

function lazily<T>(id: string): () => T {
  let module: T | undefined;
  return () => (module ??= load(id) as T);
}

export const awsSdk = {
  apiGatewayManagementApi: lazily<typeof ApiGatewayManagementApi>('@aws-sdk/client-apigatewaymanagementapi'),
  cognitoIdentityProvider: lazily<typeof CognitoIdentityProvider>('@aws-sdk/client-cognito-identity-provider'),
  dynamoDb: lazily<typeof DynamoDb>('@aws-sdk/client-dynamodb'),
  dynamoDbDocument: lazily<typeof DynamoDbDocument>('@aws-sdk/lib-dynamodb'),
  rdsSigner: lazily<typeof RdsSigner>('@aws-sdk/rds-signer'),
  s3: lazily<typeof S3>('@aws-sdk/client-s3'),
  s3Storage: lazily<typeof Storage>('@aws-sdk/lib-storage'),
  scheduler: lazily<typeof Scheduler>('@aws-sdk/client-scheduler'),
  secretsManager: lazily<typeof SecretsManager>('@aws-sdk/client-secrets-manager'),
  sesV2: lazily<typeof SesV2>('@aws-sdk/client-sesv2'),
  sfn: lazily<typeof Sfn>('@aws-sdk/client-sfn'),
};
