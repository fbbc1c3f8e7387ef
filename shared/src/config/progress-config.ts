// Where live progress goes (read by config.ts from the environment it is handed; see adapters.ts):
//  - api-gateway: post to the connections of the API Gateway WebSocket API (AWS), connections in DynamoDB
//  - local-websocket: hand each event to the local runner's WebSocket server (infra/local/progress.service.ts)
//  - in-memory: in-process listeners only (tests, functions that never publish)
import * as z from 'zod';

export type ProgressConfig =
  | { kind: 'api-gateway'; region: string; callbackUrl: string; connectionsTable: string; dynamoDbEndpoint?: string }
  | { kind: 'local-websocket'; publishUrl: string; publishKey: string }
  | { kind: 'in-memory' };

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

function value<T>(env: Record<string, string | undefined>, name: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(env[name]);
  if (!parsed.success)
    throw new Error(`environment variable ${name} ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return parsed.data;
}

export function readProgressConfig(
  env: Record<string, string | undefined>,
  region: string,
  dynamoDbEndpoint?: string,
): ProgressConfig {
  if (env.TRIBUTARY_PROGRESS_CALLBACK_URL) {
    return {
      kind: 'api-gateway',
      region,
      callbackUrl: value(env, 'TRIBUTARY_PROGRESS_CALLBACK_URL', httpUrl),
      connectionsTable: value(
        env,
        'TRIBUTARY_PROGRESS_CONNECTIONS_TABLE',
        z.string().min(1, 'is missing (TRIBUTARY_PROGRESS_CALLBACK_URL is set)'),
      ),
      ...(dynamoDbEndpoint ? { dynamoDbEndpoint } : {}),
    };
  }
  if (env.TRIBUTARY_PROGRESS_PUBLISH_URL) {
    return {
      kind: 'local-websocket',
      publishUrl: value(env, 'TRIBUTARY_PROGRESS_PUBLISH_URL', httpUrl),
      // a secret: checked for presence and length only, so no message can echo it
      publishKey: value(
        env,
        'TRIBUTARY_PROGRESS_PUBLISH_KEY',
        z.string({ message: 'is missing' }).min(32, 'must be at least 32 characters'),
      ),
    };
  }
  return { kind: 'in-memory' };
}
