// Seam: the identity and management-API resources of issue 4 as `cdk synth -c env=…` builds them (same
// feature flags from cdk.json), read back through aws-cdk-lib/assertions. Bundling is skipped
// (bundling-stacks: []), so the handler names are checked against each group's entry source instead.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MANAGEMENT_ROUTES } from '../../functions/src/openapi';
import { ROUTE_GROUPS } from '../../functions/src/api-routes';
import { buildApp } from './app';
import type { DeployEnvironment } from './environments';
import { DEPLOYED_ROUTE_GROUPS } from './management-api';
import { REPO_ROOT } from './node-function';

const cdkJsonContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;
type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
type Resources = Record<string, Resource>;

const templates = {} as Record<'dev' | 'prod', Template>;
beforeAll(() => {
  for (const env of ['dev', 'prod'] as DeployEnvironment[]) {
    templates[env as 'dev' | 'prod'] = Template.fromStack(
      buildApp({ context: { ...cdkJsonContext, env, 'aws:cdk:bundling-stacks': [] } }).stack,
    );
  }
}, 900_000);

const resources = (t: Template, type: string): Resources => t.findResources(type) as Resources;
const one = (t: Template, type: string): [string, Resource] => {
  const found = Object.entries(resources(t, type));
  expect(found, type).toHaveLength(1);
  return found[0]!;
};

/** The management API: the HTTP API (the progress WebSocket API is another ApiGatewayV2::Api). */
function httpApi(t: Template): [string, Resource] {
  const found = Object.entries(resources(t, 'AWS::ApiGatewayV2::Api')).filter(
    ([, r]) => r.Properties.ProtocolType === 'HTTP',
  );
  expect(found, 'HTTP APIs').toHaveLength(1);
  return found[0]!;
}
/** Resources of one type that belong to the given API (routes, integrations, stages). */
const ofApi = (t: Template, type: string, apiId: string): Array<[string, Resource]> =>
  Object.entries(resources(t, type)).filter(([, r]) => r.Properties.ApiId?.Ref === apiId);
/** The OAuth state / rate-limit table: the one the API functions are told about. */
function kvTable(t: Template): [string, Resource] {
  const ref = apiFunctions(t).get('credentialsHandler')!.resource.Properties.Environment.Variables
    .TRIBUTARY_KV_TABLE as { Ref: string };
  return [ref.Ref, resources(t, 'AWS::DynamoDB::Table')[ref.Ref]!];
}

/** The API functions by their handler export (index.<export>). */
function apiFunctions(t: Template): Map<string, { id: string; resource: Resource }> {
  const handlers = new Set(Object.values(DEPLOYED_ROUTE_GROUPS).map((g) => `index.${g.handler}`));
  const out = new Map<string, { id: string; resource: Resource }>();
  for (const [id, resource] of Object.entries(resources(t, 'AWS::Lambda::Function'))) {
    if (handlers.has(resource.Properties.Handler))
      out.set(resource.Properties.Handler.replace(/^index\./, ''), { id, resource });
  }
  return out;
}

/** Every statement of the inline policies attached to a function's role. */
function statementsOf(
  t: Template,
  fn: Resource,
): Array<{ Action: string | string[]; Condition?: Record<string, any>; Resource: unknown; Sid?: string }> {
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(resources(t, 'AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}
const actionsOf = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('identity (Cognito)', () => {
  it('when synthesized, the pool signs in by email with a password policy, optional TOTP MFA, and two clients: the SPA with SRP, scripts with USER_PASSWORD_AUTH', () => {
    const t = templates.dev;
    const [, pool] = one(t, 'AWS::Cognito::UserPool');
    expect(pool.Properties.UsernameAttributes).toEqual(['email']);
    expect(pool.Properties.Policies.PasswordPolicy).toMatchObject({
      MinimumLength: 12,
      RequireUppercase: true,
      RequireLowercase: true,
      RequireNumbers: true,
    });
    expect(pool.Properties.MfaConfiguration).toBe('OPTIONAL');
    expect(pool.Properties.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    const clients = Object.values(resources(t, 'AWS::Cognito::UserPoolClient')).map((c) => c.Properties);
    expect(clients).toHaveLength(2);
    const byName = Object.fromEntries(clients.map((c) => [c.ClientName, c]));
    expect(byName.dashboard!.ExplicitAuthFlows).toEqual(
      expect.arrayContaining(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
    );
    expect(byName.dashboard!.ExplicitAuthFlows).not.toContain('ALLOW_USER_PASSWORD_AUTH');
    expect(byName.scripts!.ExplicitAuthFlows).toEqual(
      expect.arrayContaining(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
    );
    for (const c of clients) {
      expect(c.GenerateSecret).toBe(false);
      // logout revokes the refresh token
      expect(c.EnableTokenRevocation).toBe(true);
    }
  });

  it('when dev is synthesized, a pre-sign-up trigger auto-confirms; prod has none and retains its pool', () => {
    const [, devPool] = one(templates.dev, 'AWS::Cognito::UserPool');
    const trigger = devPool.Properties.LambdaConfig?.PreSignUp as { 'Fn::GetAtt': [string, string] } | undefined;
    expect(trigger).toBeDefined();
    const fn = resources(templates.dev, 'AWS::Lambda::Function')[trigger!['Fn::GetAtt'][0]]!;
    expect(fn.Properties.Handler).toBe('index.handler');
    const [prodId, prodPool] = one(templates.prod, 'AWS::Cognito::UserPool');
    expect(prodPool.Properties.LambdaConfig?.PreSignUp).toBeUndefined();
    expect(prodPool.DeletionPolicy, prodId).toBe('Retain');
    expect(prodPool.Properties.DeletionProtection).toBe('ACTIVE');
  });
});

describe('management API (API Gateway HTTP API)', () => {
  it('when synthesized, every management route is an API Gateway route, integrated with the Lambda of its group', () => {
    const t = templates.dev;
    const [apiId, api] = httpApi(t);
    // the configured dashboard origin and the dashboard's own CloudFront domain (web-hosting.test.ts)
    expect(api.Properties.CorsConfiguration.AllowOrigins[0]).toBe('http://localhost:5173');
    expect(JSON.stringify(api.Properties.CorsConfiguration.AllowOrigins.slice(1))).toContain('WebDistribution');
    const fns = apiFunctions(t);
    expect([...fns.keys()].sort()).toEqual(
      Object.values(DEPLOYED_ROUTE_GROUPS)
        .map((g) => g.handler)
        .sort(),
    );
    const integrationTarget = new Map<string, string>();
    for (const [id, integration] of ofApi(t, 'AWS::ApiGatewayV2::Integration', apiId)) {
      expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
      integrationTarget.set(id, integration.Properties.IntegrationUri['Fn::GetAtt'][0]);
    }
    const routes = new Map<string, string>();
    for (const [, route] of ofApi(t, 'AWS::ApiGatewayV2::Route', apiId)) {
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref as string;
      routes.set(route.Properties.RouteKey, integrationTarget.get(integrationId)!);
    }
    const groupOf = new Map(
      Object.values(DEPLOYED_ROUTE_GROUPS).flatMap((g) => g.routes.map((r) => [r.operationId, g.handler] as const)),
    );
    for (const route of MANAGEMENT_ROUTES) {
      const key = `${route.method.toUpperCase()} ${route.path}`;
      const handler = groupOf.get(route.operationId);
      expect(handler, `${route.operationId} belongs to no deployed group`).toBeDefined();
      expect(routes.get(key), key).toBe(fns.get(handler!)!.id);
    }
    // no route reaches a function that does not serve it
    expect(routes.size).toBe(MANAGEMENT_ROUTES.length);
  });

  it("when bundled, each group's entry exports the handler the API names, serving that group's routes", () => {
    for (const [group, g] of Object.entries(DEPLOYED_ROUTE_GROUPS)) {
      const source = readFileSync(path.join(REPO_ROOT, g.entry), 'utf8');
      expect(source, group).toMatch(new RegExp(`export const ${g.handler} = apiGroupLambda\\(`));
    }
    expect(Object.keys(DEPLOYED_ROUTE_GROUPS).sort()).toEqual(Object.keys(ROUTE_GROUPS).sort());
  });

  it('when synthesized, every API function runs in the VPC with the pool, the key-value table and its OAuth redirect URI in its environment', () => {
    const t = templates.dev;
    const [tableId] = kvTable(t);
    expect(resources(t, 'AWS::DynamoDB::Table')[tableId]).toBeDefined();
    for (const [handler, { resource }] of apiFunctions(t)) {
      const env = resource.Properties.Environment.Variables as Record<string, unknown>;
      for (const name of [
        'TRIBUTARY_USER_POOL_ID',
        'TRIBUTARY_USER_POOL_CLIENT_ID',
        'TRIBUTARY_USER_POOL_SPA_CLIENT_ID',
        'TRIBUTARY_DB_PROXY_HOST',
        'TRIBUTARY_OAUTH_REDIRECT_URI',
        'TRIBUTARY_DASHBOARD_ORIGIN',
      ]) {
        expect(env[name], `${handler} ${name}`).toBeDefined();
      }
      expect(env.TRIBUTARY_KV_TABLE, handler).toEqual({ Ref: tableId });
      expect(resource.Properties.VpcConfig, handler).toBeDefined();
      // the RDS CAs load with the pool's first connection, not with every process (NODE_EXTRA_CA_CERTS)
      expect(env.TRIBUTARY_DB_CA_FILE, handler).toBe('/var/runtime/ca-cert.pem');
      expect(env.NODE_EXTRA_CA_CERTS, handler).toBeUndefined();
    }
  });

  it('when prod is synthesized, the stage is throttled more generously than dev', () => {
    const limits = (t: Template) => {
      const stages = ofApi(t, 'AWS::ApiGatewayV2::Stage', httpApi(t)[0]);
      expect(stages).toHaveLength(1);
      return stages[0]![1].Properties.DefaultRouteSettings;
    };
    expect(limits(templates.dev)).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(limits(templates.prod)).toEqual({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 });
  });
});

describe('OAuth state and rate-limit table (DynamoDB)', () => {
  it('when synthesized, it is keyed on pk, expires items by TTL on expiresAt, and is encrypted at rest', () => {
    const t = templates.dev;
    const [, table] = kvTable(t);
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true });
  });
});

describe('credential secrets (Secrets Manager + KMS)', () => {
  it('when synthesized, the credentials function may create secrets only under the prefix with the organization and project tags, and use the key only through Secrets Manager', () => {
    const t = templates.dev;
    const statements = statementsOf(t, apiFunctions(t).get('credentialsHandler')!.resource);
    const create = statements.find((s) => actionsOf(s).includes('secretsmanager:CreateSecret'))!;
    expect(JSON.stringify(create.Resource)).toContain(':secret:tributary/dev/credentials/*');
    expect(create.Condition).toEqual({
      Null: { 'aws:RequestTag/tributary:organization': 'false', 'aws:RequestTag/tributary:project': 'false' },
      'ForAllValues:StringEquals': {
        'aws:TagKeys': ['tributary:organization', 'tributary:project', 'tributary:platform'],
      },
    });
    const use = statements.find(
      (s) =>
        actionsOf(s).includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource).includes('/credentials/*'),
    )!;
    expect(use.Condition).toEqual({
      Null: {
        'secretsmanager:ResourceTag/tributary:organization': 'false',
        'secretsmanager:ResourceTag/tributary:project': 'false',
      },
    });
    // nothing else touches Secrets Manager, and nothing lists secrets
    const secretActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('secretsmanager:'));
    expect(new Set(secretActions)).toEqual(
      new Set([
        'secretsmanager:CreateSecret',
        'secretsmanager:TagResource',
        'secretsmanager:GetSecretValue',
        'secretsmanager:PutSecretValue',
        'secretsmanager:DeleteSecret',
        'secretsmanager:DescribeSecret',
      ]),
    );
    // the credential secrets' statement, and the OAuth apps' (oauth-apps.ts): both only through Secrets Manager
    const kms = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    expect(kms.length).toBeGreaterThan(0);
    for (const s of kms)
      expect(s.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } });
  });

  it('when synthesized, the functions of groups that never read secrets (auth, members, openapi) get no Secrets Manager or KMS access', () => {
    const t = templates.dev;
    for (const handler of ['authHandler', 'membersHandler', 'openApiHandler']) {
      const actions = statementsOf(t, apiFunctions(t).get(handler)!.resource).flatMap(actionsOf);
      expect(
        actions.filter((a) => a.startsWith('secretsmanager:') || a.startsWith('kms:')),
        handler,
      ).toEqual([]);
    }
  });
});
