// Seam: WebhookDelivery's hand-off to the management API (signed-URL minting), synthesized as the real
// stack (dev context, bundling skipped) and read back through aws-cdk-lib/assertions. The delivery itself
// (streamed URL, CloudFront, WAF) is asserted in tributary-stack.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { REPO_ROOT } from './node-function';

type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;
let template: Template;
/** the management API's function of the webhooks route group: POST …/webhooks/{id}/signed-urls */
const MINTER = 'Management API: webhooks routes';

beforeAll(() => {
  const context = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const { stack } = buildApp({ context: { ...context, env: 'dev', 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(stack);
}, 600_000);

describe('webhook URL minting', () => {
  it("when synthesized, the management API's webhooks function (which mints signed URLs) gets the signing secret by ARN (never its value) and the CloudFront base URL", () => {
    const [minter] = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Description: MINTER } }) as Resources,
    );
    const vars = minter!.Properties!.Environment.Variables as Record<string, unknown>;
    expect(vars.TRIBUTARY_WEBHOOK_SIGNING_SECRET).toBeUndefined();
    expect(JSON.stringify(vars.TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN)).toMatch(/SigningSecret/);
    expect(JSON.stringify(vars.TRIBUTARY_WEBHOOK_URL)).toMatch(/https:\/\/.*DomainName/);
  });

  it('when synthesized, no function carries the signing secret in its environment; only the webhook and minting functions name it', () => {
    const all = Object.values(template.findResources('AWS::Lambda::Function') as Resources);
    expect(
      all.filter((fn) => fn.Properties?.Environment?.Variables?.TRIBUTARY_WEBHOOK_SIGNING_SECRET !== undefined),
    ).toEqual([]);
    const holders = all
      .filter((fn) => fn.Properties?.Environment?.Variables?.TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN !== undefined)
      .map((fn) => String(fn.Properties!.Description));
    expect(holders.sort()).toEqual(
      ['Public webhook data endpoint (streamed CSV, XLSX, JSON, … for Excel and Sheets)', MINTER].sort(),
    );
  });
});
