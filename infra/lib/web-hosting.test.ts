// The dashboard's hosting, synthesized as the real stack (dev context, bundling skipped) and read back through
// aws-cdk-lib/assertions: a private bucket behind CloudFront with origin access control, SPA fallback,
// security headers, config.json written at deploy, Cognito redirect URLs and API CORS for the distribution.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { REPO_ROOT } from './node-function';

type Resources = Record<string, { Type: string; Properties?: Record<string, any>; DependsOn?: unknown }>;
let template: Template;

beforeAll(() => {
  const context = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const { stack } = buildApp({ context: { ...context, env: 'dev', 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(stack);
}, 600_000);

const dashboardDistribution = () => {
  const found = Object.entries(template.findResources('AWS::CloudFront::Distribution') as Resources).filter(([, r]) =>
    String(r.Properties?.DistributionConfig?.Comment).includes('dashboard'),
  );
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe('the dashboard hosting', () => {
  it('when synthesized, the bundle bucket blocks every public access and refuses plain HTTP', () => {
    const [, dist] = dashboardDistribution();
    const originBucket = JSON.stringify(dist.Properties!.DistributionConfig.Origins[0].DomainName);
    const bucketId = /"Fn::GetAtt":\["([^"]+)","RegionalDomainName"\]/.exec(originBucket)?.[1];
    expect(bucketId).toBeDefined();
    const bucket = (template.findResources('AWS::S3::Bucket') as Resources)[bucketId!]!;
    expect(bucket.Properties!.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy') as Resources).filter((p) =>
      JSON.stringify(p.Properties!.Bucket).includes(bucketId!),
    );
    const statements = JSON.stringify(policies.map((p) => p.Properties!.PolicyDocument.Statement));
    expect(statements).toContain('"aws:SecureTransport":"false"');
    // the only reader: CloudFront, for this distribution
    expect(statements).toContain('cloudfront.amazonaws.com');
    expect(statements).toContain('AWS:SourceArn');
  });

  it('when synthesized, CloudFront reads the bucket through origin access control, redirects HTTP, and answers index.html for unknown paths', () => {
    const [, dist] = dashboardDistribution();
    const config = dist.Properties!.DistributionConfig;
    expect(config.Origins[0].OriginAccessControlId).toBeDefined();
    expect(config.Origins[0].S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      }),
    });
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.CustomErrorResponses).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/index.html' }),
        expect.objectContaining({ ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/index.html' }),
      ]),
    );
  });

  it('when synthesized, every response carries a CSP without inline scripts, HSTS, DENY framing and nosniff', () => {
    const [, dist] = dashboardDistribution();
    const policyRef = dist.Properties!.DistributionConfig.DefaultCacheBehavior.ResponseHeadersPolicyId.Ref as string;
    const policy = (template.findResources('AWS::CloudFront::ResponseHeadersPolicy') as Resources)[policyRef]!;
    const security = policy.Properties!.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = String(security.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(security.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 730 * 86400,
      IncludeSubdomains: true,
      Override: true,
    });
    expect(security.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
    expect(security.ContentTypeOptions).toMatchObject({ Override: true });
  });

  it('when synthesized, the deployment writes config.json with the API, progress and webhook URLs and the dashboard client, and invalidates it', () => {
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment') as Resources);
    const web = deployments.find((d) => JSON.stringify(d.Properties).includes('config.json'));
    expect(web).toBeDefined();
    const markers = JSON.stringify(web!.Properties!.SourceMarkers);
    // jsonData resolves tokens at deploy through markers: the HTTP API's endpoint, the WebSocket API, the pool and its
    // client
    const [httpApi] = Object.keys(
      template.findResources('AWS::ApiGatewayV2::Api', { Properties: { ProtocolType: 'HTTP' } }),
    );
    const [wsApi] = Object.keys(
      template.findResources('AWS::ApiGatewayV2::Api', { Properties: { ProtocolType: 'WEBSOCKET' } }),
    );
    expect(markers).toContain(httpApi!);
    expect(markers).toContain(wsApi!);
    expect(markers).toContain('UserPool');
    expect(markers).toContain('DashboardClient');
    expect(web!.Properties!.DistributionPaths).toEqual(expect.arrayContaining(['/index.html', '/config.json']));
    expect(web!.Properties!.SourceObjectKeys).toHaveLength(2);
  });

  it("when synthesized, the dashboard's Cognito client may redirect only to the distribution and the configured origin, and the API's CORS allows both", () => {
    const clients = Object.values(template.findResources('AWS::Cognito::UserPoolClient') as Resources);
    const dashboard = clients.find((c) => c.Properties!.ClientName === 'dashboard')!;
    const [distId] = dashboardDistribution();
    expect(JSON.stringify(dashboard.Properties!.CallbackURLs)).toContain(distId);
    // the Cognito callback path and the root, on the distribution and on the configured origin
    expect(dashboard.Properties!.CallbackURLs).toHaveLength(4);
    expect(JSON.stringify(dashboard.Properties!.LogoutURLs)).toContain(distId);
    expect(JSON.stringify(dashboard.Properties!.CallbackURLs)).not.toContain('example.com');
    const [api] = Object.values(
      template.findResources('AWS::ApiGatewayV2::Api', { Properties: { ProtocolType: 'HTTP' } }) as Resources,
    );
    const origins = api!.Properties!.CorsConfiguration.AllowOrigins as unknown[];
    expect(origins).toHaveLength(2);
    expect(JSON.stringify(origins)).toContain(distId);
  });
});
