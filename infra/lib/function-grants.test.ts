// Seam: each function of the synthesized dev stack, by function: its role's policies (resolved and run
// through an IAM policy simulator) allow the calls that function makes and refuse the ones it must not,
// and its environment is enough for loadConfig of its kind. Bundling is skipped here; the rehearsal
// (infra/rehearsal/) runs the real bundles.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type FunctionKind } from '@tributary/shared/config/config';
import { buildApp } from './app';
import { REPO_ROOT } from './node-function';
import {
  lambdaFunctions,
  physicalValues,
  resolve,
  resourcePolicyFor,
  rolePolicies,
  simulate,
  type AwsCall,
  type CfnTemplate,
  type FunctionInTemplate,
  type PhysicalValues,
} from '../rehearsal/template';

const cdkJsonContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;
let template: CfnTemplate;
let values: PhysicalValues;
let functions: FunctionInTemplate[];

beforeAll(() => {
  const { app, stack } = buildApp({ context: { ...cdkJsonContext, env: 'dev', 'aws:cdk:bundling-stacks': [] } });
  template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  values = physicalValues(template);
  functions = lambdaFunctions(template);
}, 600_000);

function fn(prefix: string): FunctionInTemplate {
  const found = functions.filter((f) => new RegExp(`^${prefix}[A-F0-9]{8}$`).test(f.logicalId));
  expect(found, prefix).toHaveLength(1);
  return found[0]!;
}

const idOf = (type: string, pattern: RegExp) =>
  Object.entries(template.Resources).find(([id, r]) => r.Type === type && pattern.test(id))![0];
const arnOf = (id: string, attribute = 'Arn') => values[id]!.attributes![attribute]!;

async function allows(f: FunctionInTemplate, call: AwsCall): Promise<boolean> {
  const verdict = await simulate(
    rolePolicies(template, f.roleId, values),
    arnOf(f.roleId),
    call,
    resourcePolicyFor(template, values, call.resource),
  );
  return verdict.allowed;
}

const credentialSecret = () =>
  `arn:aws:secretsmanager:us-east-1:123456789012:secret:tributary/dev/credentials/org/project/google_ads-AbCdEf`;
const viaSecretsManager = { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' };

describe('grants, function by function', () => {
  it('when the planner refreshes a token, its role lets it read and write the credential secret and use the key through Secrets Manager', async () => {
    const plan = fn('PipelinePlanFunction');
    const key = arnOf(idOf('AWS::KMS::Key', /^Encryption/));
    for (const action of ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']) {
      expect(await allows(plan, { action, resource: credentialSecret() }), action).toBe(true);
    }
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey'])
      expect(await allows(plan, { action, resource: key, context: viaSecretsManager }), action).toBe(true);
    // only credential secrets: not the database's
    const adminSecret = `arn:aws:secretsmanager:us-east-1:123456789012:secret:tributary/dev/database/admin-AbCdEf`;
    expect(await allows(plan, { action: 'secretsmanager:GetSecretValue', resource: adminSecret })).toBe(false);
  });

  it('when the worker extracts, it may read and write credential secrets and write raw pages; the finalizer may do neither', async () => {
    const extract = fn('PipelineExtractFunction');
    const finalize = fn('PipelineFinalizeFunction');
    const rawBucket = values[idOf('AWS::S3::Bucket', /RawPage/)]!.ref;
    const page = `arn:aws:s3:::${rawBucket}/raw/org/source/page.json.gz`;
    expect(await allows(extract, { action: 's3:PutObject', resource: page })).toBe(true);
    expect(await allows(extract, { action: 'secretsmanager:PutSecretValue', resource: credentialSecret() })).toBe(true);
    expect(await allows(finalize, { action: 's3:PutObject', resource: page })).toBe(false);
    expect(await allows(finalize, { action: 'secretsmanager:PutSecretValue', resource: credentialSecret() })).toBe(
      false,
    );
    expect(await allows(finalize, { action: 'secretsmanager:GetSecretValue', resource: credentialSecret() })).toBe(
      false,
    );
  });

  it('when a user presses "extract now", the data-sources function is given the state machine and may start it; other API functions may not', async () => {
    const stateMachineId = idOf('AWS::StepFunctions::StateMachine', /ExtractionStateMachine/);
    const stateMachine = values[stateMachineId]!.ref;
    const dataSources = fn('ApiDataSourcesFunction');
    expect(dataSources.environment.TRIBUTARY_STATE_MACHINE_ARN).toEqual({ Ref: stateMachineId });
    expect(await allows(dataSources, { action: 'states:StartExecution', resource: stateMachine })).toBe(true);
    expect(
      await allows(fn('SchedulesStarterFunction'), { action: 'states:StartExecution', resource: stateMachine }),
    ).toBe(true);
    for (const other of [
      'ApiAuthFunction',
      'ApiDataFunction',
      'ApiWebhooksFunction',
      'WebhooksFunction',
      'PipelinePlanFunction',
    ]) {
      expect(await allows(fn(other), { action: 'states:StartExecution', resource: stateMachine }), other).toBe(false);
    }
  });

  it('when dev confirms sign-ups at once, the auth function may confirm and verify a sign-up in its user pool, and no other function may', async () => {
    const pool = values[idOf('AWS::Cognito::UserPool', /UserPool/)]!.attributes!.Arn!;
    for (const action of ['cognito-idp:AdminConfirmSignUp', 'cognito-idp:AdminUpdateUserAttributes']) {
      expect(await allows(fn('ApiAuthFunction'), { action, resource: pool }), action).toBe(true);
      expect(await allows(fn('ApiMembersFunction'), { action, resource: pool }), action).toBe(false);
    }
  });

  it('when a web function runs, it may not touch credential secrets unless its routes do', async () => {
    for (const reader of ['ApiProjectsFunction', 'ApiCredentialsFunction', 'ApiDataSourcesFunction']) {
      expect(
        await allows(fn(reader), {
          action: 'secretsmanager:GetSecretValue',
          resource: credentialSecret(),
          context: { 'aws:ResourceTag/tributary:organization': 'o', 'aws:ResourceTag/tributary:project': 'p' },
        }),
        reader,
      ).toBe(true);
    }
    for (const other of [
      'ApiAuthFunction',
      'ApiMembersFunction',
      'ApiDataFunction',
      'ApiOpenapiFunction',
      'WebhooksFunction',
      'MaintenanceFunction',
      'ProgressAuthorizerFunction',
    ]) {
      expect(
        await allows(fn(other), { action: 'secretsmanager:GetSecretValue', resource: credentialSecret() }),
        other,
      ).toBe(false);
    }
  });
});

/** The kind of function each application Lambda is, by its construct's id. */
describe('identity and deletion grants', () => {
  it('when a deleted project is purged, the maintenance function may delete every object version in both buckets; an API function may not', async () => {
    const maintenance = fn('MaintenanceFunction');
    for (const pattern of [/^StorageRawPage/, /^StorageArchive/]) {
      const bucket = values[idOf('AWS::S3::Bucket', pattern)]!.ref;
      expect(
        await allows(maintenance, { action: 's3:ListBucketVersions', resource: `arn:aws:s3:::${bucket}` }),
        String(pattern),
      ).toBe(true);
      expect(
        await allows(maintenance, {
          action: 's3:DeleteObjectVersion',
          resource: `arn:aws:s3:::${bucket}/org/project/x.ndjson.gz`,
        }),
        String(pattern),
      ).toBe(true);
      expect(
        await allows(fn('ApiProjectsFunction'), {
          action: 's3:DeleteObjectVersion',
          resource: `arn:aws:s3:::${bucket}/org/project/x.ndjson.gz`,
        }),
        String(pattern),
      ).toBe(false);
    }
  });

  it('when someone is invited, the members function may send email from the configured sender only', async () => {
    const members = fn('ApiMembersFunction');
    const from = (resolve(members.environment, values) as Record<string, string>).TRIBUTARY_MAIL_FROM!;
    expect(from).toMatch(/@/);
    expect(
      await allows(members, {
        action: 'ses:SendEmail',
        resource: 'arn:aws:ses:us-east-1:123456789012:identity/example.com',
        context: { 'ses:FromAddress': from },
      }),
    ).toBe(true);
    expect(
      await allows(members, {
        action: 'ses:SendEmail',
        resource: 'arn:aws:ses:us-east-1:123456789012:identity/example.com',
        context: { 'ses:FromAddress': 'someone@else.example' },
      }),
    ).toBe(false);
    expect(
      await allows(fn('ApiAuthFunction'), {
        action: 'ses:SendEmail',
        resource: 'arn:aws:ses:us-east-1:123456789012:identity/example.com',
        context: { 'ses:FromAddress': from },
      }),
    ).toBe(false);
  });
});

const KINDS: [RegExp, Exclude<FunctionKind, 'all'>][] = [
  [/^ApiDataSourcesFunction/, 'api-extract'],
  [/^Api[A-Za-z]+Function/, 'api'],
  [/^WebhooksFunction/, 'webhook'],
  [/^Pipeline(Plan|Extract|Finalize)Function/, 'pipeline'],
  [/^Progress[A-Za-z]+Function/, 'progress'],
  [/^MaintenanceFunction/, 'maintenance'],
  [/^SchedulesStarterFunction/, 'schedule-starter'],
];

describe('config per function kind', () => {
  it('when each application function starts with exactly its template environment, loadConfig of its kind accepts it', () => {
    let checked = 0;
    for (const f of functions) {
      const kind = KINDS.find(([pattern]) => pattern.test(f.logicalId))?.[1];
      if (!kind) continue;
      const env = resolve(f.environment, values) as Record<string, string>;
      expect(() => loadConfig(env, kind), f.logicalId).not.toThrow();
      checked++;
    }
    expect(checked).toBe(18); // nine API route groups (the platform catalog among them) and nine others
  });

  it('when a pipeline function starts, it is not given the API-only settings, and does not need them', () => {
    for (const id of [
      'PipelinePlanFunction',
      'MaintenanceFunction',
      'SchedulesStarterFunction',
      'ProgressConnectFunction',
    ]) {
      const env = fn(id).environment;
      expect(env.TRIBUTARY_DASHBOARD_ORIGIN, id).toBeUndefined();
      expect(env.TRIBUTARY_OAUTH_REDIRECT_URI, id).toBeUndefined();
    }
    const apiEnv = resolve(fn('ApiDataSourcesFunction').environment, values) as Record<string, string>;
    const { TRIBUTARY_STATE_MACHINE_ARN: _arn, ...withoutArn } = apiEnv;
    expect(() => loadConfig(withoutArn, 'api-extract')).toThrow(/TRIBUTARY_STATE_MACHINE_ARN is missing/);
    const { TRIBUTARY_DASHBOARD_ORIGIN: _origin, ...withoutOrigin } = apiEnv;
    expect(() => loadConfig(withoutOrigin, 'api')).toThrow(/TRIBUTARY_DASHBOARD_ORIGIN is missing/);
  });
});
