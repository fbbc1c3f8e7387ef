// `npm run rehearse`: what `cdk deploy` would ship, run as Lambda would run it. Synthesizes the dev stack
// with its real bundles; copies each function's asset alone into an empty directory (only the AWS SDK v3
// beside it, as the Lambda runtime provides); starts it in a fresh process with exactly its template
// environment (CloudFormation's references resolved to the stand-ins, endpoint settings added); invokes it
// with a representative event; records its AWS calls and checks each against its role's policies in the
// template with an IAM policy simulator. A function that fails to start or answer, or a call its role
// would refuse, fails the rehearsal.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import pg from 'pg';
import { LocalStepFunctionsRunner } from '@tributary/shared/adapters/local-step-functions-runner';
import { ensureDynamoDbTables } from '@tributary/shared/adapters/dynamodb-tables';
import { identityProvider } from '@tributary/shared/config/adapters';
import { freePort, startEmbeddedPostgres } from '@tributary/shared/local/embedded-postgres';
import { startDynalite } from '@tributary/shared/local/dynalite';
import { startS3rver } from '@tributary/shared/local/s3rver';
import { apiGatewayEvent } from '@tributary/shared/http/api-gateway-event';
import { routeKey } from '@tributary/shared/http/route';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { EXTRACTION_TASK_PLACEHOLDERS } from '@tributary/shared/ports/workflow-runner';
import { startEcbSandbox } from '@tributary/connectors/sandboxes/ecb/ecb-sandbox';
import {
  GOOGLE_DEMO_CLIENT,
  GOOGLE_DEMO_DEVELOPER_TOKEN,
  startGoogleSandbox,
} from '@tributary/connectors/sandboxes/google/google-sandbox';
import { buildApp, stackName } from '../lib/app';
import { DEPLOYED_ROUTE_GROUPS } from '../lib/management-api';
import { DIRNAME_DEFINE, REPO_ROOT, REQUIRE_BANNER } from '../lib/node-function';
import { startCognitoLocal } from '../local/cognito.service';
import { sandboxTokens } from '../local/demo-data.service';
import { makeCertificates, startTlsPostgres } from './postgres-tls';
import { startApiGatewayManagement, startScheduler, startSecretsManager, startStepFunctions } from './stand-ins';
import {
  lambdaFunctions,
  physicalValues,
  REHEARSAL_ACCOUNT,
  REHEARSAL_REGION,
  resolve,
  resourcePolicyFor,
  rolePolicies,
  simulate,
  type AwsCall,
  type CallVerdict,
  type CfnTemplate,
  type FunctionInTemplate,
} from './template';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface Invocation {
  name: string;
  ms: number;
  /** a one-line summary of the answer (status code, body's start) */
  answer: string;
  ok: boolean;
}

export interface FunctionReport {
  logicalId: string;
  /** the asset directory's size, and its size deflated file by file (what the deployment zip weighs) */
  assetBytes: number;
  zippedBytes: number;
  /** the same for its layers together, if it has any (shared with the other functions that name them) */
  layersZippedBytes?: number;
  /** loading its handler module alone (the runtime's import of it), as the runtime around it measures */
  moduleLoadMs?: number;
  /** its init as Lambda's Init Duration counts it: from the runtime's process starting to the handler ready */
  initDurationMs?: number;
  /** the same of the minimal bundle, started alternately with this function's cold starts: its yardstick */
  minimal?: InitTimes;
  invocations: Invocation[];
  calls: CallVerdict[];
  /** why it failed to start, if it did */
  error?: string;
  /** functions CDK adds for its own custom resources: initialized, not invoked */
  cdkProvided: boolean;
  /** why the function was not started: not a Node.js function (CDK's Python BucketDeployment handler) */
  skipped?: string;
}

export interface RehearsalResult {
  functions: FunctionReport[];
  failures: string[];
  /** the same of a minimal bundle (a handler that imports nothing) in the same runtime: medians over the run */
  minimalModuleLoadMs?: number;
  minimalInitDurationMs?: number;
}

interface RecordedSdkCall {
  service: string;
  command: string;
  input: Record<string, any> | null;
}

/** A function's process: the rehearsal's Lambda runtime around its bundle. */
class LambdaProcess {
  private seq = 0;
  private readonly pending = new Map<number, (m: any) => void>();
  readonly sdkCalls: RecordedSdkCall[] = [];
  stderr = '';
  moduleLoadMs?: number;
  initDurationMs?: number;
  constructor(
    readonly fn: FunctionInTemplate,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-4000)));
    child.stdout?.on('data', () => {});
    child.on('message', (m: any) => {
      if (m.calls) this.sdkCalls.push(...(m.calls as RecordedSdkCall[]));
      if (m.type === 'result') this.pending.get(m.id)?.(m);
    });
  }
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: any) => {
        if (m.type === 'ready') {
          this.moduleLoadMs = m.moduleLoadMs as number;
          // timed in the process itself: neither the rehearsal's own wrapper (unshare) nor this process, which
          // also runs the stand-ins and may be busy when the message comes, counts
          this.initDurationMs = m.sinceStartMs as number;
          resolve();
        } else if (m.type === 'error') reject(new Error(String(m.message)));
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code) =>
        reject(new Error(`exited with ${code} before it was ready: ${this.stderr.slice(-1500)}`)),
      );
    });
  }
  invoke(
    event: unknown,
    timeoutMs = 120_000,
  ): Promise<{ result?: any; error?: { name: string; message: string }; ms: number }> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${this.fn.logicalId} did not answer within ${timeoutMs} ms: ${this.stderr.slice(-1500)}`)),
        timeoutMs,
      );
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(m);
      });
      this.child.send({ id, event });
    });
  }
  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** unshare's arguments that run a command with the directory after them bind-mounted at /opt, for it alone. */
const OWN_OPT_MOUNT = ['--mount', '--map-root-user', '--', 'sh', '-c', 'mount --bind "$0" /opt && exec "$@"'];

/** Whether this machine lets a process mount its own /opt (a private mount namespace: Linux, as root or not). */
function optMountAvailable(work: string): boolean {
  const probe = mkdtempSync(path.join(work, 'opt-probe-'));
  const result = spawnSync('unshare', [...OWN_OPT_MOUNT, probe, 'test', '-d', '/opt'], { stdio: 'ignore' });
  return result.status === 0;
}

function zippedSize(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const file = path.join(dir, e.name);
    // a zip entry: its deflated bytes plus about 100 bytes of local and central headers
    return (
      sum + (e.isDirectory() ? zippedSize(file) : deflateRawSync(readFileSync(file)).length + 100 + 2 * e.name.length)
    );
  }, 22);
}

function dirSize(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, e) => sum + (e.isDirectory() ? dirSize(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).size),
    0,
  );
}

/** The IAM view of a recorded SDK call: action, resource and the context keys the policies test. */
function iamCalls(
  call: RecordedSdkCall,
  ctx: {
    secretOf(id: string): { arn: string; tags: Record<string, string>; kmsKeyId: string } | undefined;
    progressApi?: { apiId: string; stage: string };
  },
): AwsCall[] {
  const input = call.input ?? {};
  const op = call.command.replace(/Command$/, '');
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:${resource}`;
  switch (call.service) {
    case 'S3': {
      const bucket = String(input.Bucket);
      const object = `arn:aws:s3:::${bucket}/${input.Key ?? ''}`;
      const byOp: Record<string, AwsCall[]> = {
        PutObject: [{ action: 's3:PutObject', resource: object }],
        CreateMultipartUpload: [{ action: 's3:PutObject', resource: object }],
        UploadPart: [{ action: 's3:PutObject', resource: object }],
        CompleteMultipartUpload: [{ action: 's3:PutObject', resource: object }],
        AbortMultipartUpload: [{ action: 's3:AbortMultipartUpload', resource: object }],
        GetObject: [{ action: input.VersionId ? 's3:GetObjectVersion' : 's3:GetObject', resource: object }],
        HeadObject: [{ action: 's3:GetObject', resource: object }],
        DeleteObject: [{ action: input.VersionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject', resource: object }],
        DeleteObjects: ((input.Delete?.Objects ?? []) as { Key: string; VersionId?: string }[]).map((o) => ({
          action: o.VersionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
          resource: `arn:aws:s3:::${bucket}/${o.Key}`,
        })),
        ListObjectsV2: [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` }],
        ListObjectVersions: [{ action: 's3:ListBucketVersions', resource: `arn:aws:s3:::${bucket}` }],
      };
      return byOp[op] ?? [{ action: `s3:${op}`, resource: object }];
    }
    case 'DynamoDB': {
      const doc: Record<string, string> = {
        Put: 'PutItem',
        Get: 'GetItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        BatchGet: 'BatchGetItem',
        BatchWrite: 'BatchWriteItem',
      };
      const action = `dynamodb:${doc[op] ?? op}`;
      const tables: string[] = input.TableName ? [String(input.TableName)] : Object.keys(input.RequestItems ?? {});
      if (op === 'TransactWriteItems' || op === 'TransactWrite') {
        return ((input.TransactItems ?? []) as Record<string, { TableName: string }>[]).flatMap((item) =>
          Object.entries(item).map(([kind, v]) => ({
            action: `dynamodb:${{ Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind] ?? kind}`,
            resource: arn('dynamodb', `table/${v.TableName}`),
          })),
        );
      }
      return tables.map((t) => ({ action, resource: arn('dynamodb', `table/${t}`) }));
    }
    case 'Secrets Manager': {
      const viaSecretsManager = { 'kms:ViaService': `secretsmanager.${REHEARSAL_REGION}.amazonaws.com` };
      if (op === 'CreateSecret') {
        const tags = (input.Tags ?? []) as { Key: string; Value: string }[];
        const context = {
          'aws:TagKeys': tags.map((t) => t.Key),
          ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])),
        };
        return [
          {
            action: 'secretsmanager:CreateSecret',
            resource: arn('secretsmanager', `secret:${input.Name}-AbCdEf`),
            context,
          },
          ...(tags.length
            ? [
                {
                  action: 'secretsmanager:TagResource',
                  resource: arn('secretsmanager', `secret:${input.Name}-AbCdEf`),
                  context,
                },
              ]
            : []),
          { action: 'kms:GenerateDataKey', resource: String(input.KmsKeyId), context: viaSecretsManager },
        ];
      }
      const secret = ctx.secretOf(String(input.SecretId));
      const resource =
        secret?.arn ??
        (String(input.SecretId).startsWith('arn:')
          ? String(input.SecretId)
          : arn('secretsmanager', `secret:${input.SecretId}-AbCdEf`));
      const context = Object.fromEntries(
        Object.entries(secret?.tags ?? {}).map(([k, v]) => [`aws:ResourceTag/${k}`, v]),
      );
      const out: AwsCall[] = [{ action: `secretsmanager:${op}`, resource, context }];
      // Secrets Manager uses the secret's key on the caller's behalf: their role must allow it too
      if (secret && op === 'GetSecretValue')
        out.push({ action: 'kms:Decrypt', resource: secret.kmsKeyId, context: viaSecretsManager });
      if (secret && op === 'PutSecretValue')
        out.push({ action: 'kms:GenerateDataKey', resource: secret.kmsKeyId, context: viaSecretsManager });
      return out;
    }
    case 'SFN':
      return [{ action: `states:${op}`, resource: String(input.stateMachineArn) }];
    case 'Scheduler': {
      const out: AwsCall[] = [
        {
          action: `scheduler:${op}`,
          resource: arn('scheduler', `schedule/${input.GroupName ?? 'default'}/${input.Name}`),
        },
      ];
      if (input.Target?.RoleArn)
        out.push({
          action: 'iam:PassRole',
          resource: String(input.Target.RoleArn),
          context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
        });
      return out;
    }
    case 'ApiGatewayManagementApi': {
      const api = ctx.progressApi;
      return [
        {
          action: 'execute-api:ManageConnections',
          resource: arn(
            'execute-api',
            `${api?.apiId ?? 'unknown'}/${api?.stage ?? 'unknown'}/POST/@connections/${input.ConnectionId}`,
          ),
        },
      ];
    }
    case 'Cognito Identity Provider':
      // the user-pool calls the API makes are public (sign-up, sign-in, tokens): no IAM; Admin* need it
      return op.startsWith('Admin')
        ? [{ action: `cognito-idp:${op}`, resource: arn('cognito-idp', `userpool/${input.UserPoolId}`) }]
        : [];
    default:
      return [{ action: `${call.service.toLowerCase().replace(/\s+/g, '')}:${op}`, resource: '*' }];
  }
}

export interface RehearsalOptions {
  log?: (line: string) => void;
  /** keep the temporary directory (bundles, data) for inspection */
  keep?: boolean;
  /** a cloud assembly `cdk synth` already wrote (its dev stack), instead of synthesizing */
  cdkOut?: string;
  /** functions started at once (default 1, so init times compare with the minimal bundle's) */
  parallelStarts?: number;
  /** write a CPU profile of each function's init here (<logical id>.cpuprofile), to see what its cold start runs */
  cpuProfDir?: string;
  /**
   * cold starts per function (and of the minimal bundle), each a fresh process; the reported times are the
   * medians (the bench takes several: one start's time swings with what else the machine is doing)
   */
  coldStarts?: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface InitTimes {
  moduleLoadMs: number;
  initDurationMs: number;
}

/**
 * `first` (ready) and `count - 1` more cold starts of the same function, one after another, each stopped once
 * ready, each next to a cold start of the minimal bundle: the medians of both. Only `first` answers the
 * rehearsal's invocations.
 */
async function coldStartMedians(
  first: LambdaProcess,
  count: number,
  start: () => LambdaProcess,
  startMinimal: () => LambdaProcess,
): Promise<{ function: InitTimes; minimal: InitTimes }> {
  const ours = [first];
  const minimal: LambdaProcess[] = [];
  const coldStart = async (make: () => LambdaProcess) => {
    const started = make();
    await started.ready();
    started.stop();
    return started;
  };
  for (let i = 0; i < count; i++) {
    minimal.push(await coldStart(startMinimal));
    if (i > 0) ours.push(await coldStart(start));
  }
  const medians = (processes: LambdaProcess[]): InitTimes => ({
    moduleLoadMs: median(processes.map((p) => p.moduleLoadMs!)),
    initDurationMs: median(processes.map((p) => p.initDurationMs!)),
  });
  return { function: medians(ours), minimal: medians(minimal) };
}

export async function rehearse(options: RehearsalOptions = {}): Promise<RehearsalResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const work = mkdtempSync(path.join(os.tmpdir(), 'tributary-rehearsal-'));
  // PostgreSQL runs as its own system user when we are root, and must reach its data directory
  chmodSync(work, 0o711);
  const stops: (() => Promise<void> | void)[] = [];
  const failures: string[] = [];
  const reports: FunctionReport[] = [];
  try {
    // 1. synthesize with real bundles (or read a synthesized cloud assembly)
    const synthStarted = performance.now();
    let outdir: string;
    let template: CfnTemplate;
    if (options.cdkOut) {
      outdir = path.resolve(options.cdkOut);
      template = JSON.parse(
        readFileSync(path.join(outdir, `${stackName('dev')}.template.json`), 'utf8'),
      ) as CfnTemplate;
    } else {
      const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
        context: Record<string, unknown>;
      };
      outdir = path.join(work, 'cdk.out');
      // asset metadata on, as the CLI sets it: each function's template entry names its asset directory
      const { app, stack } = buildApp({
        outdir,
        context: { ...cdkJson.context, env: 'dev', 'aws:cdk:enable-asset-metadata': true },
      });
      template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
      log(`synthesized ${stack.stackName} in ${((performance.now() - synthStarted) / 1000).toFixed(1)} s`);
    }

    // 2. the stand-ins
    const certificates = makeCertificates(path.join(work, 'tls'));
    const pgHandle = await startEmbeddedPostgres({
      dataDir: path.join(work, 'pg'),
      port: await freePort(),
      ephemeral: true,
    });
    stops.push(() => pgHandle.stop());
    const s3Port = await freePort();
    const ddbPort = await freePort();
    const [secretsManager, scheduler, apiGateway, cognito, google, ecb] = await Promise.all([
      startSecretsManager(),
      startScheduler(),
      startApiGatewayManagement(),
      startCognitoLocal({ port: await freePort(), dataDir: path.join(work, 'cognito') }),
      startGoogleSandbox({}),
      startEcbSandbox({}),
    ]);
    for (const s of [secretsManager, scheduler, apiGateway, cognito, google, ecb]) stops.push(() => s.stop());

    const userPoolId = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::Cognito::UserPool')![0];
    const clientIds = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Cognito::UserPoolClient')
      .map(([id]) => id);
    const values = physicalValues(template, {
      [userPoolId]: {
        ref: cognito.userPoolId,
        attributes: {
          Arn: `arn:aws:cognito-idp:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:userpool/${cognito.userPoolId}`,
        },
      },
      ...Object.fromEntries(clientIds.map((id) => [id, { ref: cognito.clientId }])),
    });
    const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

    const s3 = await startS3rver({
      port: s3Port,
      directory: path.join(work, 's3'),
      buckets: ofType('AWS::S3::Bucket').map(([id]) => values[id]!.ref),
    });
    stops.push(() => s3.stop());
    const ddb = await startDynalite({ port: ddbPort, tables: [] });
    stops.push(() => ddb.stop());
    await ensureDynamoDbTables(
      ddb.endpoint,
      ofType('AWS::DynamoDB::Table').map(([id, r]) => ({
        name: values[id]!.ref,
        keySchema: r.Properties!.KeySchema,
        attributes: r.Properties!.AttributeDefinitions,
      })),
    );

    // secrets CloudFormation would create: their generated values, under the template's key
    for (const [id, r] of ofType('AWS::SecretsManager::Secret')) {
      secretsManager.seed(
        values[id]!.ref,
        values[id]!.secretString!,
        r.Properties!.KmsKeyId ? String(resolve(r.Properties!.KmsKeyId, values)) : 'aws/secretsmanager',
      );
    }
    const secretJson = (pattern: RegExp) => {
      const [id] = ofType('AWS::SecretsManager::Secret').find(([sid]) => pattern.test(sid))!;
      return JSON.parse(values[id]!.secretString!) as { username: string; password: string };
    };
    // Aurora as CloudFormation leaves it: the database and its admin login (from the admin secret)
    const admin = secretJson(/DatabaseClusterSecret/);
    const adminPg = new pg.Client({ connectionString: pgHandle.adminUrl });
    await adminPg.connect();
    await adminPg.query(
      `CREATE ROLE ${admin.username} LOGIN SUPERUSER PASSWORD '${admin.password.replace(/'/g, "''")}'`,
    );
    await adminPg.query('CREATE DATABASE tributary');
    await adminPg.end();

    const cluster = await startTlsPostgres({ certificates, upstream: { host: '127.0.0.1', port: pgHandle.port } });
    stops.push(() => cluster.stop());
    const appLogin = secretJson(/^DatabaseAppUserSecret/);
    const [proxyResourceId, proxyResource] = ofType('AWS::RDS::DBProxy')[0]!;
    void proxyResourceId;
    const proxyLogins = ((proxyResource.Properties!.Auth ?? []) as { SecretArn: unknown }[]).flatMap((auth) => {
      const arn = String(resolve(auth.SecretArn, values));
      const secret = Object.values(values).find((v) => v.ref === arn && v.secretString !== undefined);
      return secret ? [JSON.parse(secret.secretString!) as { username: string; password: string }] : [];
    });
    const connects = new Map<string, string[]>(); // access key id → dbuser ARNs
    const proxyId = String(resolve({ 'Fn::GetAtt': [ofType('AWS::RDS::DBProxy')[0]![0], 'DBProxyArn'] }, values)).split(
      ':',
    )[6];
    const proxy = await startTlsPostgres({
      certificates,
      upstream: { host: '127.0.0.1', port: pgHandle.port },
      iam: {
        onConnect: (user, token) => {
          const accessKey = (token.searchParams.get('X-Amz-Credential') ?? '').split('/')[0]!;
          connects.set(accessKey, [
            ...(connects.get(accessKey) ?? []),
            `arn:aws:rds-db:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:dbuser:${proxyId}/${user}`,
          ]);
        },
        // the logins the proxy holds (one per role that connects: web functions, pipeline), as RDS Proxy holds their
        // secrets
        password: (user) => proxyLogins.find((l) => l.username === user)?.password,
      },
    });
    stops.push(() => proxy.stop());

    const baseUrls: Record<string, string> = { ecb: ecb.url };
    for (const key of ['google_ads', 'google_oauth_authorize', 'google_oauth_token', 'ga4_data', 'ga4_admin'])
      baseUrls[key] = google.url;

    // 3. every function in its own directory and process
    const functions = lambdaFunctions(template);
    const processes = new Map<string, LambdaProcess>();
    const sdkRoot = path.join(REPO_ROOT, 'node_modules');
    // Lambda extracts a function's layers into /opt. Where this machine lets a process have a mount namespace of
    // its own (Linux, CI), each function sees its layers bind-mounted at /opt itself; elsewhere they sit in its
    // own opt/ directory and Lambda's NODE_PATH names that instead (the only way Tributary's code reaches them).
    const ownOpt = optMountAvailable(work);
    log(
      ownOpt
        ? 'layers: mounted at /opt in each function’s own mount namespace'
        : 'layers: no mount namespace here, so NODE_PATH names each function’s opt/ directory instead of /opt',
    );
    const stateMachineArns = ofType('AWS::StepFunctions::StateMachine').map(([id]) => values[id]!.ref);
    const planId = functions.find((f) => /^PipelinePlanFunction/.test(f.logicalId))!.logicalId;
    const extractId = functions.find((f) => /^PipelineExtractFunction/.test(f.logicalId))!.logicalId;
    const finalizeId = functions.find((f) => /^PipelineFinalizeFunction/.test(f.logicalId))!.logicalId;
    type Outcome = { status: string; output?: unknown; error?: string };
    const settled = new Map<string, (outcome: Outcome) => void>();
    const runner = new LocalStepFunctionsRunner(EXTRACTION_DEFINITION, {
      retryIntervalMs: 50,
      waitMs: 50,
      onExecutionSettled: (id, o) => settled.get(id)?.(o),
    });
    const task = (logicalId: string) => async (input: unknown) => {
      const p = processes.get(logicalId)!;
      const out = await p.invoke(input);
      const report = reports.find((r) => r.logicalId === logicalId);
      report?.invocations.push({
        name: `state machine task (${(input as { action?: string }).action ?? 'run'})`,
        ms: out.ms,
        answer: out.error ? `${out.error.name}: ${out.error.message}` : JSON.stringify(out.result).slice(0, 100),
        ok: !out.error,
      });
      if (out.error) throw Object.assign(new Error(out.error.message), { name: out.error.name });
      return out.result;
    };
    runner.useTaskHandlers({
      PlanFunctionArn: task(planId),
      ExtractFunctionArn: task(extractId),
      FinalizeFunctionArn: task(finalizeId),
    } as Record<(typeof EXTRACTION_TASK_PLACEHOLDERS)[number], (input: unknown) => Promise<unknown>>);
    // each execution the state machine stand-in starts runs the definition against the rehearsed pipeline functions
    const sfn = await startStepFunctions(stateMachineArns, async ({ name, input }) => {
      let resolveOutcome!: (o: Outcome) => void;
      const outcome = new Promise<Outcome>((r) => (resolveOutcome = r));
      const { executionId } = await runner.start({ name, input });
      settled.set(executionId, resolveOutcome);
      return outcome;
    });
    stops.push(() => sfn.stop());

    // the yardstick: a handler that imports nothing, bundled and started the same way
    // (each function's cold starts alternate with its own, so both see the machine in the same state)
    const minimalSamples: { moduleLoadMs: number[]; initDurationMs: number[] } = {
      moduleLoadMs: [],
      initDurationMs: [],
    };
    let startMinimal: () => LambdaProcess;
    {
      const root = path.join(work, 'lambda', 'minimal');
      mkdirSync(path.join(root, 'runtime'), { recursive: true });
      mkdirSync(path.join(root, 'node_modules'), { recursive: true });
      for (const scope of ['@aws-sdk', '@smithy', '@aws-crypto'])
        symlinkSync(path.join(sdkRoot, scope), path.join(root, 'node_modules', scope));
      copyFileSync(path.join(HERE, 'lambda-runtime.mjs'), path.join(root, 'runtime', 'lambda-runtime.mjs'));
      await build({
        stdin: {
          contents: 'export const handler = async () => ({ statusCode: 200 });',
          loader: 'ts',
          resolveDir: root,
        },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        minify: true,
        banner: { js: REQUIRE_BANNER },
        define: DIRNAME_DEFINE,
        outfile: path.join(root, 'task', 'index.mjs'),
        logLevel: 'error',
      });
      // started as the functions are (its own /opt where they get one), so cold starts compare
      const runtimeArgs = [
        path.join(root, 'runtime', 'lambda-runtime.mjs'),
        path.join(root, 'task'),
        'index.mjs',
        'handler',
      ];
      const spawnOptions = {
        cwd: path.join(root, 'task'),
        env: { PATH: '/usr/bin:/bin', AWS_REGION: REHEARSAL_REGION },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'] as ('ignore' | 'pipe' | 'ipc')[],
      };
      mkdirSync(path.join(root, 'opt'));
      startMinimal = () => {
        const child = ownOpt
          ? spawn('unshare', [...OWN_OPT_MOUNT, path.join(root, 'opt'), process.execPath, ...runtimeArgs], spawnOptions)
          : fork(runtimeArgs[0]!, runtimeArgs.slice(1), { ...spawnOptions, execArgv: [] });
        const minimal = new LambdaProcess({ logicalId: 'minimal' } as FunctionInTemplate, child);
        stops.push(() => minimal.stop());
        return minimal;
      };
    }

    const accessKeys = new Map<string, string>();
    const starting: Promise<void>[] = [];
    for (const fn of functions) {
      const report: FunctionReport = {
        logicalId: fn.logicalId,
        assetBytes: 0,
        zippedBytes: 0,
        invocations: [],
        calls: [],
        cdkProvided: !fn.environment.TRIBUTARY_ENV && !/^IdentityPreSignUp/.test(fn.logicalId),
      };
      reports.push(report);
      if (!fn.runtime.startsWith('nodejs')) {
        // CDK's BucketDeployment runs on Python: no Tributary code in it, and nothing here runs Python Lambdas
        report.skipped = `a ${fn.runtime} function of CDK's, not started`;
        continue;
      }
      if (!fn.assetPath || fn.layerAssetPaths.includes(undefined)) {
        report.error = `its template entry names no asset directory for its ${fn.assetPath ? 'layers' : 'code'}`;
        failures.push(`${fn.logicalId}: ${report.error}`);
        continue;
      }
      const root = path.join(work, 'lambda', fn.logicalId);
      const taskDir = path.join(root, 'task');
      cpSync(path.join(outdir, fn.assetPath), taskDir, { recursive: true });
      report.assetBytes = dirSize(taskDir);
      report.zippedBytes = zippedSize(taskDir);
      mkdirSync(path.join(root, 'node_modules'), { recursive: true });
      for (const scope of ['@aws-sdk', '@smithy', '@aws-crypto'])
        symlinkSync(path.join(sdkRoot, scope), path.join(root, 'node_modules', scope));
      const optDir = path.join(root, 'opt');
      mkdirSync(optDir);
      for (const layer of fn.layerAssetPaths)
        cpSync(path.join(outdir, layer!), optDir, { recursive: true, force: true });
      if (fn.layerAssetPaths.length) report.layersZippedBytes = zippedSize(optDir);
      const opt = ownOpt ? '/opt' : optDir;
      mkdirSync(path.join(root, 'runtime'));
      copyFileSync(path.join(HERE, 'lambda-runtime.mjs'), path.join(root, 'runtime', 'lambda-runtime.mjs'));
      const [moduleBase, exportName] = fn.handler.split(/\.(?=[^.]+$)/) as [string, string];
      const moduleFile =
        ['.mjs', '.js', '.cjs'].map((ext) => moduleBase + ext).find((f) => existsSync(path.join(taskDir, f))) ??
        `${moduleBase}.js`;

      const env = resolve(fn.environment, values) as Record<string, string>;
      const accessKey = `ASIA${fn.logicalId
        .replace(/[^A-Z0-9]/gi, '')
        .toUpperCase()
        .slice(0, 16)}`;
      accessKeys.set(accessKey, fn.logicalId);
      const endpoints: Record<string, string> = {
        TRIBUTARY_S3_ENDPOINT: s3.endpoint,
        TRIBUTARY_DYNAMODB_ENDPOINT: ddb.endpoint,
        TRIBUTARY_SECRETS_ENDPOINT: secretsManager.endpoint,
        TRIBUTARY_COGNITO_ENDPOINT: cognito.endpoint,
        TRIBUTARY_SFN_ENDPOINT: sfn.endpoint,
        TRIBUTARY_SCHEDULER_ENDPOINT: scheduler.endpoint,
        TRIBUTARY_PLATFORM_BASE_URLS: JSON.stringify(baseUrls),
        // for clients built without Tributary's config (the migration handler, CDK's providers)
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
      };
      // endpoints that replace a deployed one: the database port (RDS Proxy's), the RDS CA (the stand-in's), the
      // WebSocket callback
      const replaced: Record<string, string> = {};
      if (env.TRIBUTARY_DB_PORT) replaced.TRIBUTARY_DB_PORT = String(proxy.port);
      if (env.TRIBUTARY_DB_PROXY_HOST) replaced.TRIBUTARY_DB_PROXY_HOST = '127.0.0.1';
      if (env.NODE_EXTRA_CA_CERTS) replaced.NODE_EXTRA_CA_CERTS = certificates.caFile;
      if (env.TRIBUTARY_DB_CA_FILE) replaced.TRIBUTARY_DB_CA_FILE = certificates.caFile;
      if (env.TRIBUTARY_PROGRESS_CALLBACK_URL) replaced.TRIBUTARY_PROGRESS_CALLBACK_URL = `${apiGateway.endpoint}/v1`;
      const runtimeEnv = {
        // Lambda's own PATH and NODE_PATH (its /var/runtime/node_modules, the AWS SDK, is root/node_modules here)
        PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
        NODE_PATH: [
          `${opt}/nodejs/node22/node_modules`,
          `${opt}/nodejs/node_modules`,
          path.join(root, 'node_modules'),
          taskDir,
        ].join(':'),
        TZ: ':UTC',
        LANG: 'en_US.UTF-8',
        AWS_REGION: REHEARSAL_REGION,
        AWS_DEFAULT_REGION: REHEARSAL_REGION,
        AWS_LAMBDA_FUNCTION_NAME: values[fn.logicalId]!.ref,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        LAMBDA_TASK_ROOT: taskDir,
        AWS_ACCESS_KEY_ID: accessKey,
        AWS_SECRET_ACCESS_KEY: 'rehearsal-secret-access-key',
        AWS_SESSION_TOKEN: 'rehearsal-session-token',
      };
      const runtimeArgs = [
        path.join(root, 'runtime', 'lambda-runtime.mjs'),
        taskDir,
        moduleFile,
        exportName,
        values[fn.logicalId]!.ref,
      ];
      const spawnOptions = {
        cwd: taskDir,
        env: { ...runtimeEnv, ...env, ...replaced, ...endpoints },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'] as ('ignore' | 'pipe' | 'ipc')[],
      };
      const startProcess = (profile?: string) => {
        const args = [...runtimeArgs, ...(profile ? [profile] : [])];
        const child = ownOpt
          ? spawn('unshare', [...OWN_OPT_MOUNT, optDir, process.execPath, ...args], spawnOptions)
          : fork(args[0]!, args.slice(1), { ...spawnOptions, execArgv: [] });
        const started = new LambdaProcess(fn, child);
        stops.push(() => started.stop());
        return started;
      };
      const proc = startProcess(
        options.cpuProfDir ? path.join(path.resolve(options.cpuProfDir), `${fn.logicalId}.cpuprofile`) : undefined,
      );
      processes.set(fn.logicalId, proc);
      // cold starts one at a time (init times comparable with the minimal bundle's), or a few at once
      starting.push(
        proc
          .ready()
          .then(async () => {
            const measured = await coldStartMedians(proc, options.coldStarts ?? 1, startProcess, startMinimal);
            Object.assign(report, measured.function);
            report.minimal = measured.minimal;
            minimalSamples.moduleLoadMs.push(measured.minimal.moduleLoadMs);
            minimalSamples.initDurationMs.push(measured.minimal.initDurationMs);
          })
          .catch((error: unknown) => {
            report.error = String((error as Error).message).slice(0, 1500);
            failures.push(`${fn.logicalId} did not initialize: ${report.error}`);
          }),
      );
      if (starting.length >= (options.parallelStarts ?? 1)) await Promise.all(starting.splice(0));
    }
    await Promise.all(starting);

    // 4. representative events
    const byPrefix = (prefix: string) =>
      functions.find((f) => new RegExp(`^${prefix}[A-F0-9]{8}$`).test(f.logicalId))!.logicalId;
    const invoke = async (
      logicalId: string,
      name: string,
      event: unknown,
      check: (result: any) => boolean = () => true,
    ): Promise<any> => {
      const proc = processes.get(logicalId);
      const report = reports.find((r) => r.logicalId === logicalId)!;
      if (!proc || report.error) return undefined;
      try {
        const out = await proc.invoke(event);
        const result = out.result;
        const status = result?.statusCode;
        const answer = out.error
          ? `${out.error.name}: ${out.error.message}`
          : status !== undefined
            ? `${status} ${String(result.body ?? '').slice(0, 90)}`
            : (JSON.stringify(result)?.slice(0, 100) ?? 'null');
        const ok = !out.error && check(result);
        report.invocations.push({ name, ms: out.ms, answer, ok });
        if (!ok) failures.push(`${logicalId} ${name}: ${answer}`);
        return result;
      } catch (error) {
        report.invocations.push({ name, ms: 0, answer: String(error), ok: false });
        failures.push(`${logicalId} ${name}: ${String(error)}`);
        return undefined;
      }
    };
    const ok2xx = (r: any) => r?.statusCode >= 200 && r?.statusCode < 300;
    const json = (r: any) =>
      r?.body ? JSON.parse(r.isBase64Encoded ? Buffer.from(r.body, 'base64').toString('utf8') : r.body) : undefined;
    const routeOf = (operationId: string) =>
      Object.values(DEPLOYED_ROUTE_GROUPS)
        .flatMap((g) => g.routes)
        .find((r) => r.operationId === operationId)!;
    const api = (
      operationId: string,
      path_: string,
      params: Record<string, string>,
      opts: { token?: string; body?: unknown; query?: string } = {},
    ) =>
      apiGatewayEvent({
        method: routeOf(operationId).method.toUpperCase(),
        path: path_,
        rawQueryString: opts.query ?? '',
        headers: {
          'content-type': 'application/json',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          'user-agent': 'rehearsal',
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        sourceIp: '203.0.113.7',
        routeKey: routeKey(routeOf(operationId)),
        pathParameters: params,
      });

    try {
      // the migration custom resource first: it makes the schema and the login role
      const [migrationsId, migrations] = ofType('Custom::TributaryMigrations')[0]!;
      const migrationProps = {
        ...(resolve(migrations.Properties, values) as Record<string, string>),
        Host: '127.0.0.1',
        Port: String(cluster.port),
      };
      delete (migrationProps as Record<string, unknown>).ServiceToken;
      await invoke(
        byPrefix('DatabaseMigrationFunction'),
        'CloudFormation Create',
        {
          RequestType: 'Create',
          RequestId: randomUUID(),
          StackId: 'rehearsal',
          LogicalResourceId: migrationsId,
          ResourceType: 'Custom::TributaryMigrations',
          ServiceToken: 'x',
          ResponseURL: 'http://127.0.0.1/unused',
          ResourceProperties: migrationProps,
        },
        (r) => r?.Data?.LoginRole === appLogin.username,
      );
      await invoke(
        byPrefix('IdentityPreSignUp'),
        'Cognito pre sign-up',
        {
          version: '1',
          triggerSource: 'PreSignUp_SignUp',
          region: REHEARSAL_REGION,
          userPoolId: cognito.userPoolId,
          userName: 'x',
          callerContext: {},
          request: { userAttributes: { email: 'rehearsal@example.com' } },
          response: {},
        },
        (r) => r?.request !== undefined,
      );

      // the management API, group by group, as a user's first session would go
      const email = `rehearsal-${randomUUID().slice(0, 8)}@example.com`;
      const password = `Rehearsal-${randomUUID().slice(0, 8)}1a`;
      const auth = byPrefix('ApiAuthFunction');
      const registered = json(
        await invoke(
          auth,
          'POST /auth/register',
          api(
            'register',
            '/api/v1/auth/register',
            {},
            { body: { email, password, first_name: 'Rehearsal', last_name: 'User' } },
          ),
          ok2xx,
        ),
      );
      // where the environment asks for the emailed code, confirming stands in for the user typing it
      if (registered?.confirmation_required) {
        await identityProvider({
          kind: 'cognito-local',
          endpoint: cognito.endpoint,
          userPoolId: cognito.userPoolId,
          clientId: cognito.clientId,
        }).adminConfirmSignUp(email);
      }
      const login = json(
        await invoke(
          auth,
          'POST /auth/login',
          api('login', '/api/v1/auth/login', {}, { body: { email, password } }),
          ok2xx,
        ),
      );
      const token = login?.access_token as string | undefined;
      await invoke(auth, 'GET /auth/profile', api('getProfile', '/api/v1/auth/profile', {}, { token }), ok2xx);
      const project = json(
        await invoke(
          byPrefix('ApiProjectsFunction'),
          'POST /projects',
          api('createProject', '/api/v1/projects', {}, { token, body: { name: 'Rehearsal project' } }),
          ok2xx,
        ),
      );
      const projectId = String(project?.id);
      const orgId = String(project?.organization_id);
      await invoke(
        byPrefix('ApiMembersFunction'),
        'GET /organizations/{id}/members',
        api('listMembers', `/api/v1/organizations/${orgId}/members`, { organization_id: orgId }, { token }),
        ok2xx,
      );
      const secret = {
        ...(await sandboxTokens(google.url)),
        clientId: GOOGLE_DEMO_CLIENT.clientId,
        clientSecret: GOOGLE_DEMO_CLIENT.clientSecret,
        developerToken: GOOGLE_DEMO_DEVELOPER_TOKEN,
      };
      const credential = json(
        await invoke(
          byPrefix('ApiCredentialsFunction'),
          'POST /credentials',
          api(
            'createCredential',
            `/api/v1/projects/${projectId}/credentials`,
            { project_id: projectId },
            {
              token,
              body: { platform: 'google_ads', credential_type: 'oauth2', label: 'Rehearsal Google Ads', secret },
            },
          ),
          ok2xx,
        ),
      );
      const dataSources = byPrefix('ApiDataSourcesFunction');
      const source = json(
        await invoke(
          dataSources,
          'POST /data-sources',
          api(
            'createDataSource',
            `/api/v1/projects/${projectId}/data-sources`,
            { project_id: projectId },
            {
              token,
              body: {
                credential_id: credential?.id,
                source_name: 'Rehearsal Google Ads',
                extraction_config: { account_id: '1234567890', report_types: ['campaign_daily'] },
                schedule_config: { frequency: 'daily' },
              },
            },
          ),
          ok2xx,
        ),
      );
      const sourceId = String(source?.id);
      const extract = json(
        await invoke(
          dataSources,
          'POST /data-sources/{id}/extract',
          api(
            'extractDataSource',
            `/api/v1/projects/${projectId}/data-sources/${sourceId}/extract`,
            { project_id: projectId, source_id: sourceId },
            { token, body: {} },
          ),
          (r) => r?.statusCode === 202,
        ),
      );
      // the execution "extract now" started runs through the pipeline functions (plan, extract, finalize)
      const execution = sfn.executions.find((e) => e.name === extract?.job_id);
      if (!execution) failures.push('"extract now" started no execution of the state machine');
      else {
        const outcome = await execution.done;
        if (outcome.status !== 'SUCCEEDED')
          failures.push(`the extraction run ended ${outcome.status}: ${outcome.error ?? ''}`);
        log(`state machine execution ${execution.name}: ${outcome.status}`);
      }
      // the daily job loads the ECB's rates: the data API and the webhook convert currencies with them
      await invoke(byPrefix('MaintenanceFunction'), 'EventBridge Scheduler event (daily)', {});
      const created = json(
        await invoke(
          byPrefix('ApiWebhooksFunction'),
          'POST /webhooks',
          api(
            'createWebhook',
            `/api/v1/projects/${projectId}/webhooks`,
            { project_id: projectId },
            { token, body: { name: 'Rehearsal webhook' } },
          ),
          ok2xx,
        ),
      ) as { webhook?: { id: string }; key?: string } | undefined;
      const webhook = created?.webhook;
      if (webhook?.id) {
        await invoke(
          byPrefix('ApiWebhooksFunction'),
          'POST /webhooks/{id}/signed-urls',
          api(
            'mintWebhookSignedUrl',
            `/api/v1/projects/${projectId}/webhooks/${webhook.id}/signed-urls`,
            { project_id: projectId, webhook_id: String(webhook.id) },
            {
              token,
              body: {
                endpoint: 'data',
                query: { format: 'csv', date_range: 'last_30_days' },
                expires_in_seconds: 3600,
              },
            },
          ),
          ok2xx,
        );
      }
      await invoke(
        byPrefix('ApiDataFunction'),
        'GET /projects/{id}/data',
        api(
          'getData',
          `/api/v1/projects/${projectId}/data`,
          { project_id: projectId },
          { token, query: 'date_range=last_90_days&dimensions=campaign&metrics=cost,clicks' },
        ),
        ok2xx,
      );
      // exceljs loads on the first XLSX download, from the layer
      await invoke(
        byPrefix('ApiDataFunction'),
        'GET /projects/{id}/data/export?format=xlsx (exceljs from the layer)',
        api(
          'exportData',
          `/api/v1/projects/${projectId}/data/export`,
          { project_id: projectId },
          { token, query: 'date_range=last_90_days&format=xlsx' },
        ),
        (r) =>
          ok2xx(r) &&
          Buffer.from(String(r.body), r.isBase64Encoded ? 'base64' : 'utf8')
            .subarray(0, 2)
            .toString() === 'PK',
      );
      await invoke(
        byPrefix('ApiPlatformsFunction'),
        'GET /platforms',
        api('listPlatforms', routeOf('listPlatforms').path, {}, { token }),
        (r) => ok2xx(r) && /google_ads/.test(String(r.body)),
      );
      await invoke(
        byPrefix('ApiOpenapiFunction'),
        'GET /openapi.json',
        api('getOpenApiDocument', routeOf('getOpenApiDocument').path, {}),
        ok2xx,
      );

      // the public webhook: a streamed function URL request, as CloudFront forwards it
      const key = String(created?.key ?? '');
      if (!key) failures.push('creating a webhook returned no key');
      const functionUrlRequest = (rawPath: string, rawQueryString: string) => ({
        version: '2.0',
        routeKey: '$default',
        rawPath,
        rawQueryString,
        headers: {
          host: 'rehearsal.lambda-url.us-east-1.on.aws',
          'user-agent': 'Microsoft.Data.Mashup',
          'x-forwarded-for': '203.0.113.7',
        },
        requestContext: {
          http: {
            method: 'GET',
            path: rawPath,
            protocol: 'HTTP/1.1',
            sourceIp: '203.0.113.7',
            userAgent: 'Microsoft.Data.Mashup',
          },
          requestId: randomUUID(),
          routeKey: '$default',
          stage: '$default',
          timeEpoch: Date.now(),
        },
        isBase64Encoded: false,
      });
      const query = 'date_range=last_90_days&dimensions=campaign&metrics=cost,clicks';
      await invoke(
        byPrefix('WebhooksFunction'),
        'function URL GET /webhook/v1/{key}/data (streamed)',
        functionUrlRequest(`/webhook/v1/${key}/data`, `${query}&format=csv`),
        (r) => r?.statusCode === 200 && /campaign/i.test(String(r.body)),
      );
      // exceljs and the OData parser load on first use, from the layer: an XLSX download and a filtered feed page
      await invoke(
        byPrefix('WebhooksFunction'),
        'function URL GET /webhook/v1/{key}/data?format=xlsx (exceljs from the layer)',
        functionUrlRequest(`/webhook/v1/${key}/data`, `${query}&format=xlsx`),
        (r) => r?.statusCode === 200 && String(r.body).startsWith('PK'),
      );
      await invoke(
        byPrefix('WebhooksFunction'),
        'function URL GET /odata/v1/{key}/Facts?$filter (the OData parser from the layer)',
        functionUrlRequest(`/odata/v1/${key}/Facts`, `$filter=${encodeURIComponent("CampaignName ne ''")}&$top=3`),
        (r) => r?.statusCode === 200 && /"value"\s*:\s*\[/.test(String(r.body)),
      );

      // live progress: the WebSocket $connect authorizer, $connect and $disconnect
      const connectionId = `rehearsal${randomUUID().slice(0, 8)}=`;
      const wsRequest = (eventType: string) => ({
        requestContext: {
          routeKey: eventType === 'CONNECT' ? '$connect' : '$disconnect',
          eventType,
          connectionId,
          apiId: 'rehearsal',
          stage: 'v1',
          requestId: randomUUID(),
          domainName: 'rehearsal.execute-api.us-east-1.amazonaws.com',
          connectedAt: Date.now(),
        },
      });
      const authorized = await invoke(
        byPrefix('ProgressAuthorizerFunction'),
        'WebSocket $connect authorizer',
        {
          type: 'REQUEST',
          methodArn: `arn:aws:execute-api:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:rehearsal/v1/$connect`,
          headers: { 'Sec-WebSocket-Protocol': `tributary, ${token}` },
          ...wsRequest('CONNECT'),
        },
        (r) => r?.policyDocument?.Statement?.[0]?.Effect === 'Allow',
      );
      await invoke(
        byPrefix('ProgressConnectFunction'),
        'WebSocket $connect',
        {
          ...wsRequest('CONNECT'),
          requestContext: { ...wsRequest('CONNECT').requestContext, authorizer: authorized?.context ?? {} },
          headers: { 'Sec-WebSocket-Protocol': 'tributary' },
        },
        (r) => r?.statusCode === 200,
      );
      apiGateway.connections.add(connectionId);
      await invoke(
        byPrefix('ProgressDisconnectFunction'),
        'WebSocket $disconnect',
        {
          ...wsRequest('DISCONNECT'),
          requestContext: { ...wsRequest('DISCONNECT').requestContext, authorizer: authorized?.context ?? {} },
        },
        (r) => r?.statusCode === 200,
      );

      // the scheduled ones: the data source's schedule (Scheduler's input), the daily maintenance
      await invoke(byPrefix('SchedulesStarterFunction'), 'EventBridge Scheduler event', { data_source_id: sourceId });
      const scheduled = sfn.executions.filter((e) => e.name !== extract?.job_id);
      for (const e of scheduled) await e.done;
    } catch (error) {
      failures.push(`the rehearsal stopped: ${(error as Error).stack ?? String(error)}`);
    }

    // 5. every recorded call against the role that made it
    const secretOf = (id: string) => {
      const s = secretsManager.find(id);
      return s ? { arn: s.arn, tags: s.tags, kmsKeyId: s.kmsKeyId } : undefined;
    };
    const progressUrl = (fn: FunctionInTemplate) => {
      const url = (resolve(fn.environment, values) as Record<string, string>).TRIBUTARY_PROGRESS_CALLBACK_URL;
      const m = url ? /^https:\/\/([^.]+)\.execute-api\.[^/]+\/([^/]+)/.exec(url) : null;
      return m ? { apiId: m[1]!, stage: m[2]! } : undefined;
    };
    for (const [logicalId, proc] of processes) {
      const fn = proc.fn;
      const report = reports.find((r) => r.logicalId === logicalId)!;
      const policies = rolePolicies(template, fn.roleId, values);
      const roleArn = values[fn.roleId]!.attributes!.Arn!;
      const progressApi = progressUrl(fn);
      const calls: AwsCall[] = proc.sdkCalls.flatMap((c) =>
        iamCalls(c, { secretOf, ...(progressApi ? { progressApi } : {}) }),
      );
      const accessKey = [...accessKeys].find(([, id]) => id === logicalId)?.[0];
      for (const resource of connects.get(accessKey ?? '') ?? []) calls.push({ action: 'rds-db:connect', resource });
      const unique = [...new Map(calls.map((c) => [JSON.stringify(c), c])).values()];
      for (const call of unique) {
        const verdict = await simulate(policies, roleArn, call, resourcePolicyFor(template, values, call.resource));
        report.calls.push(verdict);
        if (!verdict.allowed)
          failures.push(`${logicalId}: its role refuses ${call.action} on ${call.resource} (${verdict.detail})`);
      }
    }
    for (const report of reports) {
      if (!report.cdkProvided && !report.error && report.invocations.length === 0)
        failures.push(`${report.logicalId} was never invoked`);
    }
    return {
      functions: reports,
      failures,
      ...(minimalSamples.initDurationMs.length
        ? {
            minimalModuleLoadMs: median(minimalSamples.moduleLoadMs),
            minimalInitDurationMs: median(minimalSamples.initDurationMs),
          }
        : {}),
    };
  } finally {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch {
        // best effort
      }
    }
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  }
}

export function formatReport(result: RehearsalResult): string {
  const lines: string[] = [];
  for (const f of result.functions) {
    const size = `${(f.zippedBytes / 1024 / 1024).toFixed(2)} MB zipped`;
    const init =
      (f.moduleLoadMs === undefined
        ? 'did not start'
        : `init ${f.initDurationMs?.toFixed(0) ?? '?'} ms (module load ${f.moduleLoadMs.toFixed(0)} ms)`) +
      (f.layersZippedBytes ? `  (+ layers ${(f.layersZippedBytes / 1024 / 1024).toFixed(2)} MB zipped)` : '');
    lines.push(
      `${f.logicalId.padEnd(48)} ${size.padStart(9)}  ${init}${f.skipped ? `  (${f.skipped})` : f.cdkProvided ? '  (CDK provider: initialized only)' : ''}${f.error ? `\n    ${f.error.split('\n')[0]}` : ''}`,
    );
    for (const i of f.invocations)
      lines.push(`    ${i.ok ? 'ok  ' : 'FAIL'} ${i.name} (${i.ms.toFixed(0)} ms) → ${i.answer.replace(/\s+/g, ' ')}`);
    const refused = f.calls.filter((c) => !c.allowed);
    if (f.calls.length)
      lines.push(
        `    AWS calls: ${f.calls.length} distinct, ${refused.length} refused by its role${refused.length ? `: ${refused.map((c) => `${c.action} ${c.resource}`).join(', ')}` : ''}`,
      );
  }
  if (result.minimalModuleLoadMs !== undefined)
    lines.push(
      `minimal bundle: init ${result.minimalInitDurationMs?.toFixed(0) ?? '?'} ms (module load ${result.minimalModuleLoadMs.toFixed(0)} ms)`,
    );
  lines.push(
    result.failures.length
      ? `\nrehearsal FAILED:\n- ${result.failures.join('\n- ')}`
      : '\nrehearsal passed: every function initialized and answered, every AWS call allowed by its role',
  );
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--cdk-out');
  const prof = process.argv.indexOf('--cpu-prof');
  if (prof > 0) mkdirSync(process.argv[prof + 1]!, { recursive: true });
  const starts = process.argv.indexOf('--cold-starts');
  const result = await rehearse({
    keep: process.argv.includes('--keep'),
    ...(starts > 0 ? { coldStarts: Number(process.argv[starts + 1]) } : {}),
    ...(at > 0 ? { cdkOut: process.argv[at + 1]! } : {}),
    ...(prof > 0 ? { cpuProfDir: process.argv[prof + 1]! } : {}),
  });
  console.log(formatReport(result));
  process.exitCode = result.failures.length ? 1 : 0;
}
