// Seam: live progress as `cdk synth` builds it (bundling skipped), read back through aws-cdk-lib/assertions:
// the WebSocket API, its $connect authorizer, the connections table, and who may post to connections.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { REPO_ROOT } from './node-function';

const cdkJsonContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;
let template: Template;
type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

beforeAll(() => {
  const { stack } = buildApp({ context: { ...cdkJsonContext, env: 'dev', 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(stack);
}, 600_000);

const resources = (type: string, props?: object) =>
  Object.entries(template.findResources(type, props ? { Properties: props } : undefined) as Record<string, Resource>);
const functionId = (handler: string) => {
  const found = resources('AWS::Lambda::Function', { Handler: `index.${handler}` });
  expect(found, handler).toHaveLength(1);
  return found[0]![0];
};
/** every statement of the policies attached to a function's role */
function statementsOf(fnId: string): Statement[] {
  const role = (template.findResources('AWS::Lambda::Function')[fnId] as Resource).Properties.Role[
    'Fn::GetAtt'
  ][0] as string;
  return resources('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}
const apiId = () => resources('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' })[0]![0];

describe('live progress (API Gateway WebSocket)', () => {
  it('when synthesized, there is one WebSocket API with $connect behind a Lambda authorizer reading the token from Sec-WebSocket-Protocol, and $disconnect', () => {
    expect(resources('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET' })).toHaveLength(1);
    const authorizers = resources('AWS::ApiGatewayV2::Authorizer', { ApiId: { Ref: apiId() } });
    expect(authorizers).toHaveLength(1);
    const authorizer = authorizers[0]!;
    expect(authorizer[1].Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.header.Sec-WebSocket-Protocol'],
    });
    expect(JSON.stringify(authorizer[1].Properties.AuthorizerUri)).toContain(functionId('authorizeHandler'));
    const routes = Object.fromEntries(
      resources('AWS::ApiGatewayV2::Route', { ApiId: { Ref: apiId() } }).map(([, r]) => [
        r.Properties.RouteKey,
        r.Properties,
      ]),
    );
    expect(Object.keys(routes).sort()).toEqual(['$connect', '$disconnect']);
    expect(routes.$connect).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizer[0] } });
    expect(routes.$disconnect!.AuthorizationType ?? 'NONE').toBe('NONE');
    const integrations = resources('AWS::ApiGatewayV2::Integration', { ApiId: { Ref: apiId() } }).map(([, i]) =>
      JSON.stringify(i.Properties.IntegrationUri),
    );
    expect(integrations.some((u) => u.includes(functionId('connectHandler')))).toBe(true);
    expect(integrations.some((u) => u.includes(functionId('disconnectHandler')))).toBe(true);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: apiId() },
      StageName: 'v1',
      AutoDeploy: true,
    });
  });

  it('when synthesized, connections have their own table keyed by pk/sk with TTL on expiresAt', () => {
    const tables = resources('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    expect(tables).toHaveLength(1);
    expect(tables[0]![1].Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    // every function of the WebSocket API and every publisher is told where the table and the callback URL are
    for (const handler of [
      'authorizeHandler',
      'connectHandler',
      'disconnectHandler',
      'planHandler',
      'extractHandler',
      'finalizeHandler',
    ]) {
      const vars = (template.findResources('AWS::Lambda::Function')[functionId(handler)] as Resource).Properties
        .Environment.Variables;
      expect(JSON.stringify(vars.TRIBUTARY_PROGRESS_CONNECTIONS_TABLE), handler).toContain(tables[0]![0]);
      expect(JSON.stringify(vars.TRIBUTARY_PROGRESS_CALLBACK_URL), handler).toContain(apiId());
    }
  });

  it('when synthesized, only the pipeline functions may post to connections, and only to this API', () => {
    const manage = (s: Statement) => [s.Action].flat().includes('execute-api:ManageConnections');
    for (const handler of ['planHandler', 'extractHandler', 'finalizeHandler']) {
      const statements = statementsOf(functionId(handler)).filter(manage);
      expect(statements, handler).toHaveLength(1);
      expect(JSON.stringify(statements[0]!.Resource)).toContain(apiId());
      expect(JSON.stringify(statements[0]!.Resource)).toMatch(/\/\*\/\*\/@connections\/\*/);
    }
    const all = resources('AWS::IAM::Policy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter(manage);
    expect(all).toHaveLength(3);
    // the $connect function writes the table but cannot post; the authorizer neither writes nor posts
    expect(statementsOf(functionId('connectHandler')).some(manage)).toBe(false);
    expect(
      statementsOf(functionId('authorizeHandler')).some((s) =>
        [s.Action].flat().some((a) => a.startsWith('dynamodb:') || a === 'execute-api:ManageConnections'),
      ),
    ).toBe(false);
    expect(statementsOf(functionId('authorizeHandler')).some((s) => [s.Action].flat().includes('rds-db:connect'))).toBe(
      true,
    );
    expect(statementsOf(functionId('connectHandler')).some((s) => [s.Action].flat().includes('rds-db:connect'))).toBe(
      false,
    );
  });

  it('when synthesized, the stack outputs the WebSocket URL', () => {
    template.hasOutput('ProgressWebSocketUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
  });
});
