// Stand-ins for the AWS services the rehearsal needs beyond s3rver, dynalite and cognito-local: Secrets
// Manager, Step Functions, EventBridge Scheduler and the API Gateway management API. Each speaks its
// service's wire protocol (what the AWS SDK v3 sends), keeps its state in memory, and answers with the
// service's error shapes, so the functions' own SDK clients talk to them unchanged (only the endpoint
// differs). The Step Functions stand-in runs each execution through a caller-supplied function (the
// rehearsal runs the definition against the rehearsed pipeline Lambdas).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REHEARSAL_ACCOUNT, REHEARSAL_REGION } from './template';

export interface StandIn {
  endpoint: string;
  stop(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const close = (server: Server) => () => new Promise<void>((resolve) => server.close(() => resolve()));

function jsonError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ __type: type, message, Message: message }));
}

export interface StoredSecret {
  arn: string;
  name: string;
  kmsKeyId: string;
  tags: Record<string, string>;
  versions: { id: string; value: string; stages: string[] }[];
  deleted: boolean;
}

/** Secrets Manager (JSON 1.1): the calls Tributary makes, with versions and stages as the service keeps them. */
export async function startSecretsManager(): Promise<
  StandIn & {
    secrets: Map<string, StoredSecret>;
    seed(arn: string, value: string, kmsKeyId: string): void;
    find(id: string): StoredSecret | undefined;
  }
> {
  const secrets = new Map<string, StoredSecret>();
  const find = (id: string) => secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id || s.name === id);
  const addVersion = (s: StoredSecret, value: string) => {
    const previous = s.versions.find((v) => v.stages.includes('AWSCURRENT'));
    for (const v of s.versions) v.stages = v.stages.filter((stage) => stage !== 'AWSPREVIOUS');
    if (previous) previous.stages = previous.stages.filter((stage) => stage !== 'AWSCURRENT').concat('AWSPREVIOUS');
    const version = { id: randomUUID(), value, stages: ['AWSCURRENT'] };
    s.versions.push(version);
    return version;
  };
  const seed = (arn: string, value: string, kmsKeyId: string) => {
    const name = arn.split(':secret:')[1]!.replace(/-[A-Za-z0-9]{6}$/, '');
    secrets.set(name, {
      arn,
      name,
      kmsKeyId,
      tags: {},
      versions: [{ id: randomUUID(), value, stages: ['AWSCURRENT'] }],
      deleted: false,
    });
  };
  const { server, endpoint } = await listen(async (req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^secretsmanager\./, '');
    const input = JSON.parse((await body(req)) || '{}') as Record<string, any>;
    const ok = (out: unknown) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(out));
    };
    if (op === 'CreateSecret') {
      const name = String(input.Name);
      if (find(name) && !find(name)!.deleted)
        return jsonError(
          res,
          400,
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      const arn = `arn:aws:secretsmanager:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:secret:${name}-${randomUUID().replace(/-/g, '').slice(0, 6)}`;
      const tags = Object.fromEntries(
        ((input.Tags ?? []) as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]),
      );
      const secret: StoredSecret = {
        arn,
        name,
        kmsKeyId: String(input.KmsKeyId ?? 'aws/secretsmanager'),
        tags,
        versions: [],
        deleted: false,
      };
      const version = addVersion(secret, String(input.SecretString ?? ''));
      secrets.set(name, secret);
      return ok({ ARN: arn, Name: name, VersionId: version.id });
    }
    const secret = find(String(input.SecretId ?? ''));
    if (!secret || secret.deleted)
      return jsonError(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    switch (op) {
      case 'GetSecretValue': {
        const version = input.VersionId
          ? secret.versions.find((v) => v.id === input.VersionId)
          : secret.versions.find((v) => v.stages.includes(String(input.VersionStage ?? 'AWSCURRENT')));
        if (!version)
          return jsonError(
            res,
            400,
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret value for staging label",
          );
        return ok({
          ARN: secret.arn,
          Name: secret.name,
          SecretString: version.value,
          VersionId: version.id,
          VersionStages: version.stages,
          CreatedDate: Date.now() / 1000,
        });
      }
      case 'PutSecretValue': {
        const version = addVersion(secret, String(input.SecretString ?? ''));
        return ok({ ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: version.stages });
      }
      case 'DescribeSecret':
        return ok({
          ARN: secret.arn,
          Name: secret.name,
          KmsKeyId: secret.kmsKeyId,
          Tags: Object.entries(secret.tags).map(([Key, Value]) => ({ Key, Value })),
          VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.id, v.stages])),
        });
      case 'DeleteSecret':
        secret.deleted = true;
        return ok({ ARN: secret.arn, Name: secret.name, DeletionDate: Date.now() / 1000 + 7 * 86400 });
      case 'TagResource':
        for (const t of (input.Tags ?? []) as { Key: string; Value: string }[]) secret.tags[t.Key] = t.Value;
        return ok({});
      default:
        return jsonError(res, 400, 'InvalidRequestException', `the rehearsal's Secrets Manager does not serve ${op}`);
    }
  });
  return { endpoint, secrets, seed, find, stop: close(server) };
}

export interface StartedExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: Record<string, unknown>;
  /** settles when the execution ends */
  done: Promise<{ status: string; output?: unknown; error?: string }>;
}

/**
 * Step Functions (JSON 1.0): StartExecution of the known state machines, each run by `run`; names are unique per
 * machine.
 */
export async function startStepFunctions(
  stateMachineArns: string[],
  run: (execution: {
    name: string;
    input: Record<string, unknown>;
  }) => Promise<{ status: string; output?: unknown; error?: string }>,
): Promise<StandIn & { executions: StartedExecution[] }> {
  const executions: StartedExecution[] = [];
  const { server, endpoint } = await listen(async (req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '').replace(/^AWSStepFunctions\./, '');
    const input = JSON.parse((await body(req)) || '{}') as Record<string, any>;
    if (op !== 'StartExecution')
      return jsonError(res, 400, 'UnknownOperationException', `the rehearsal's Step Functions does not serve ${op}`);
    if (!stateMachineArns.includes(String(input.stateMachineArn)))
      return jsonError(
        res,
        400,
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${input.stateMachineArn}'`,
      );
    const name = String(input.name ?? randomUUID());
    if (executions.some((e) => e.stateMachineArn === input.stateMachineArn && e.name === name))
      return jsonError(res, 400, 'ExecutionAlreadyExists', `Execution Already Exists: '${name}'`);
    const executionArn = String(input.stateMachineArn).replace(':stateMachine:', ':execution:') + `:${name}`;
    const parsed = JSON.parse(String(input.input ?? '{}')) as Record<string, unknown>;
    executions.push({
      executionArn,
      stateMachineArn: String(input.stateMachineArn),
      name,
      input: parsed,
      done: run({ name, input: parsed }),
    });
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ executionArn, startDate: Date.now() / 1000 }));
  });
  return { endpoint, executions, stop: close(server) };
}

/** EventBridge Scheduler (REST JSON): schedules by group and name. */
export async function startScheduler(): Promise<StandIn & { schedules: Map<string, Record<string, unknown>> }> {
  const schedules = new Map<string, Record<string, unknown>>();
  const { server, endpoint } = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = decodeURIComponent(url.pathname.replace(/^\/schedules\//, ''));
    const text = await body(req);
    const input = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const group = String(input.GroupName ?? url.searchParams.get('groupName') ?? 'default');
    const key = `${group}/${name}`;
    const notFound = () => {
      res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
      res.end(JSON.stringify({ Message: `Schedule ${name} does not exist.` }));
    };
    const ok = (out: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    };
    const arn = `arn:aws:scheduler:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:schedule/${key}`;
    switch (req.method) {
      case 'POST':
        if (schedules.has(key)) {
          res.writeHead(409, { 'content-type': 'application/json', 'x-amzn-errortype': 'ConflictException' });
          return res.end(JSON.stringify({ Message: `Schedule ${name} already exists.` }));
        }
        schedules.set(key, { ...input, Name: name, GroupName: group });
        return ok({ ScheduleArn: arn });
      case 'PUT':
        if (!schedules.has(key)) return notFound();
        schedules.set(key, { ...input, Name: name, GroupName: group });
        return ok({ ScheduleArn: arn });
      case 'GET':
        return schedules.has(key) ? ok({ ...schedules.get(key), Arn: arn }) : notFound();
      case 'DELETE':
        if (!schedules.delete(key)) return notFound();
        return ok({});
      default:
        res.writeHead(405).end();
    }
  });
  return { endpoint, schedules, stop: close(server) };
}

/**
 * The WebSocket API's management endpoint: POST /{stage}/@connections/{id}; a connection it does not know is gone
 * (410).
 */
export async function startApiGatewayManagement(): Promise<
  StandIn & { connections: Set<string>; posts: { connectionId: string; data: string }[] }
> {
  const connections = new Set<string>();
  const posts: { connectionId: string; data: string }[] = [];
  const { server, endpoint } = await listen(async (req, res) => {
    const match = /^\/[^/]+\/@connections\/([^/]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const data = await body(req);
    if (!match || req.method !== 'POST') return jsonError(res, 404, 'NotFoundException', 'not found');
    const connectionId = decodeURIComponent(match[1]!);
    if (!connections.has(connectionId))
      return jsonError(res, 410, 'GoneException', `connection ${connectionId} is gone`);
    posts.push({ connectionId, data });
    res.writeHead(200).end();
  });
  return { endpoint, connections, posts, stop: close(server) };
}
