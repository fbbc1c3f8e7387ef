// The AWS side of live progress against stand-ins: the connections table on dynalite (pk/sk as infra/
// creates it), the $connect/$disconnect handlers, and ApiGatewayProgressPublisher posting through the real
// @aws-sdk/client-apigatewaymanagementapi to a loopback server that answers as @connections does (410 Gone
// for a connection that has left).
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayProgressPublisher } from '@tributary/shared/adapters/api-gateway-progress-publisher';
import { DynamoDbProgressConnections } from '@tributary/shared/adapters/dynamodb-progress-connections';
import { toProgressMessage } from '@tributary/shared/adapters/progress-message';
import { freePort } from '@tributary/shared/local/embedded-postgres';
import { LOCAL_AWS_CREDENTIALS, startDynalite, type DynaliteHandle } from '@tributary/shared/local/dynalite';
import type { ProgressEvent } from '@tributary/shared/ports/progress-events';
import { makeConnectionHandlers } from './progress-handlers';

const TABLE = 'progress-connections';
let dynalite: DynaliteHandle;
let ddb: DynamoDBClient;
let connections: DynamoDbProgressConnections;
let api: Server;
let apiUrl: string;
const posted: { connectionId: string; body: string }[] = [];
const gone = new Set<string>();

beforeAll(async () => {
  dynalite = await startDynalite({ port: await freePort(), tables: [] });
  ddb = new DynamoDBClient({ endpoint: dynalite.endpoint, region: 'us-east-1', credentials: LOCAL_AWS_CREDENTIALS });
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  connections = new DynamoDbProgressConnections(ddb, TABLE);
  api = createServer((req, res) => {
    const m = /\/@connections\/([^/?]+)$/.exec(req.url ?? '');
    let body = '';
    req.on('data', (c: Buffer) => (body += String(c)));
    req.on('end', () => {
      if (req.method !== 'POST' || !m) return res.writeHead(404).end();
      const connectionId = decodeURIComponent(m[1]!);
      if (gone.has(connectionId))
        return res.writeHead(410, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Gone' }));
      posted.push({ connectionId, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', () => resolve()));
  apiUrl = `http://127.0.0.1:${(api.address() as { port: number }).port}/v1`;
}, 120_000);

afterAll(async () => {
  ddb?.destroy();
  await new Promise<void>((resolve) => (api ? api.close(() => resolve()) : resolve()));
  await dynalite?.stop();
});

const event = (organizationId: string, type: ProgressEvent['type'] = 'progress'): ProgressEvent => ({
  type,
  organizationId,
  projectId: 'p1',
  dataSourceId: 'd1',
  jobId: 'j1',
  percent: 40,
  rows: 120,
  at: '2026-11-23T12:00:00.000Z',
});

describe('live progress in AWS (handlers, connections table, publisher)', () => {
  it('$connect registers a connection under each organization the authorizer resolved and selects the tributary subprotocol', async () => {
    const handlers = makeConnectionHandlers(connections);
    const r = await handlers.connect({
      headers: { 'Sec-WebSocket-Protocol': 'tributary, eyJ.token.sig' },
      requestContext: { connectionId: 'c1', authorizer: { organizationIds: 'orgA,orgB' } },
    });
    expect(r).toMatchObject({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'tributary' } });
    await handlers.connect({
      headers: {},
      requestContext: { connectionId: 'c2', authorizer: { organizationIds: 'orgA' } },
    });
    expect((await handlers.connect({ requestContext: { connectionId: 'c9', authorizer: {} } })).statusCode).toBe(403);
    expect((await connections.list('orgA')).sort()).toEqual(['c1', 'c2']);
    expect(await connections.list('orgB')).toEqual(['c1']);
    await handlers.disconnect({ requestContext: { connectionId: 'c1' } });
    expect(await connections.list('orgA')).toEqual(['c2']);
    expect(await connections.list('orgB')).toEqual([]);
  });

  it("the publisher posts the message to its organization's connections only, and forgets a connection that answers 410", async () => {
    await connections.add('a1', ['org1']);
    await connections.add('a2', ['org1', 'org2']);
    await connections.add('left', ['org1']);
    await connections.add('b1', ['org3']);
    gone.add('left');
    const publisher = new ApiGatewayProgressPublisher(
      new ApiGatewayManagementApiClient({ region: 'us-east-1', endpoint: apiUrl, credentials: LOCAL_AWS_CREDENTIALS }),
      connections,
    );
    posted.length = 0;
    await publisher.publish(event('org1'));
    expect(posted.map((p) => p.connectionId).sort()).toEqual(['a1', 'a2']);
    for (const p of posted) expect(JSON.parse(p.body)).toEqual(toProgressMessage(event('org1')));
    expect(JSON.parse(posted[0]!.body)).toMatchObject({
      type: 'extraction_progress',
      data: { job_id: 'j1', progress: 40, records_processed: 120 },
    });
    expect((await connections.list('org1')).sort()).toEqual(['a1', 'a2']);
    posted.length = 0;
    await publisher.publish(event('org-without-connections', 'completed'));
    expect(posted).toEqual([]);
  });

  it('an expired registration is not listed', async () => {
    const past = new DynamoDbProgressConnections(ddb, TABLE, () => Date.now() - 4 * 60 * 60 * 1000);
    await past.add('old', ['orgOld']);
    expect(await connections.list('orgOld')).toEqual([]);
  });
});
