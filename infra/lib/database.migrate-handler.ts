// Runs on every deploy as the onEvent handler of the database's migration custom resource (database.ts):
// applies the schema migrations with the same migrateToLatest that `npm start` and the tests use, then
// creates (or re-passwords) the login role the application reaches through RDS Proxy. Everything it needs
// arrives as resource properties, so it reads no environment; secrets arrive as ARNs and are read here.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as z from 'zod';
import { readSecretString } from '@tributary/shared/adapters/secret-values';
import { ensureLoginRole, migrateToLatest } from '@tributary/shared/db/migrate';

export const MigrationPropertiesSchema = z.object({
  AdminSecretArn: z.string().min(1),
  AppUserSecretArn: z.string().min(1),
  /** the pipeline's login; absent in stacks deployed before the split (then only the web login is managed) */
  PipelineUserSecretArn: z.string().min(1).optional(),
  Host: z.string().min(1),
  Port: z.coerce.number().int().positive(),
  Database: z.string().min(1),
  /** changes whenever a migration file changes, which is what makes CloudFormation send an Update */
  MigrationsHash: z.string().min(1),
});
export type MigrationProperties = z.infer<typeof MigrationPropertiesSchema>;

const DatabaseSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

export interface MigrationResponse {
  PhysicalResourceId: string;
  Data: { AppliedCount: number; LoginRole: string };
}

async function readDatabaseSecret(arn: string): Promise<z.infer<typeof DatabaseSecretSchema>> {
  const parsed = DatabaseSecretSchema.safeParse(JSON.parse((await readSecretString(arn)) || '{}'));
  // never echo the secret's content: name only what is missing
  if (!parsed.success)
    throw new Error(`secret ${arn} lacks ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return parsed.data;
}

/** verify-full: the Lambda trusts the RDS CA through NODE_EXTRA_CA_CERTS (set by database.ts). */
export function adminDatabaseUrl(
  props: Pick<MigrationProperties, 'Host' | 'Port' | 'Database'>,
  user: string,
  password: string,
): string {
  const url = new URL(`postgres://${props.Host}:${props.Port}/${encodeURIComponent(props.Database)}`);
  url.username = user;
  url.password = password;
  url.searchParams.set('sslmode', 'verify-full');
  return url.toString();
}

const log = (message: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ level: 'INFO', message, ...extra }));

/** What the custom resource does once it has the credentials; exported so a test can run the bundled artifact. */
export async function applySchema(
  adminUrl: string,
  login: { username: string; password: string },
  pipelineLogin?: { username: string; password: string },
): Promise<{ applied: string[] }> {
  const { applied } = await migrateToLatest(adminUrl, (message) => log(message));
  // the web login can never become the loader; only the pipeline's can
  await ensureLoginRole(adminUrl, login.username, login.password, 'web');
  if (pipelineLogin) await ensureLoginRole(adminUrl, pipelineLogin.username, pipelineLogin.password, 'pipeline');
  log('migrations applied', { applied, loginRole: login.username, pipelineLoginRole: pipelineLogin?.username });
  return { applied };
}

export async function handler(
  event: CloudFormationCustomResourceEvent,
): Promise<MigrationResponse | { PhysicalResourceId: string }> {
  const props = MigrationPropertiesSchema.parse(event.ResourceProperties);
  // The id never changes, so an Update is never a replacement and CloudFormation never sends a Delete
  // for the old one; a real Delete (stack teardown) leaves the schema to the cluster's own removal policy.
  const physicalResourceId = `tributary-migrations/${props.Database}`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalResourceId };

  const [admin, app, pipeline] = await Promise.all([
    readDatabaseSecret(props.AdminSecretArn),
    readDatabaseSecret(props.AppUserSecretArn),
    props.PipelineUserSecretArn ? readDatabaseSecret(props.PipelineUserSecretArn) : Promise.resolve(undefined),
  ]);
  const { applied } = await applySchema(adminDatabaseUrl(props, admin.username, admin.password), app, pipeline);
  return { PhysicalResourceId: physicalResourceId, Data: { AppliedCount: applied.length, LoginRole: app.username } };
}
