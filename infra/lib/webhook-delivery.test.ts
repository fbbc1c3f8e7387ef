// Seam: WebhookDelivery's hand-off to the management API (signed-URL minting), synthesized inside the real
// stack (dev context, bundling skipped) and read back through aws-cdk-lib/assertions. The delivery itself
// (streamed URL, CloudFront, WAF) is asserted in tributary-stack.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { REPO_ROOT } from './node-function';

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;
let template: Template;

beforeAll(() => {
  const context = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const { stack } = buildApp({ context: { ...context, env: 'dev', 'aws:cdk:bundling-stacks': [] } });
  // stands in for the API Gateway function of the webhooks route group, which mints signed URLs
  const minter = new LambdaFunction(stack, 'SignedUrlMinter', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({})'), description: 'minter under test' });
  stack.webhooks.allowUrlMinting(minter);
  template = Template.fromStack(stack);
}, 600_000);

describe('webhook URL minting', () => {
  it('when a function may mint signed URLs, it gets the signing secret as a deploy-time reference and the CloudFront base URL', () => {
    const [minter] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: 'minter under test' } }) as Resources);
    const vars = minter!.Properties!.Environment.Variables as Record<string, unknown>;
    expect(JSON.stringify(vars.TRIBUTARY_WEBHOOK_SIGNING_SECRET)).toContain('{{resolve:secretsmanager:');
    expect(JSON.stringify(vars.TRIBUTARY_WEBHOOK_URL)).toMatch(/https:\/\/.*DomainName/);
  });

  it('when synthesized, only the webhook function and the minting function carry the signing secret', () => {
    const holders = Object.values(template.findResources('AWS::Lambda::Function') as Resources)
      .filter((fn) => fn.Properties?.Environment?.Variables?.TRIBUTARY_WEBHOOK_SIGNING_SECRET !== undefined)
      .map((fn) => String(fn.Properties!.Description));
    expect(holders.sort()).toEqual(['Public webhook data endpoint (streamed CSV, XLSX, JSON, … for Excel and Sheets)', 'minter under test'].sort());
  });
});
