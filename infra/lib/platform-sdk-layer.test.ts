// Seam: the platform SDK layer as `cdk synth` builds the stack (bundling skipped), read back through
// aws-cdk-lib/assertions: one layer, named by exactly the functions that call platforms. What the layer holds
// and how bundles reach it: node-function.test.ts; that they run together as Lambda runs them: the rehearsal.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { REPO_ROOT } from './node-function';

const cdkJsonContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;
let template: Template;

beforeAll(() => {
  const { stack } = buildApp({ context: { ...cdkJsonContext, env: 'dev', 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(stack);
}, 600_000);

describe('platform SDK layer', () => {
  it('is one Node.js 22 arm64 layer, attached to the functions that call platforms, download XLSX or serve the OData feed', () => {
    // CDK's BucketDeployment brings a layer of its own (the AWS CLI)
    const layers = Object.fromEntries(
      Object.entries(template.findResources('AWS::Lambda::LayerVersion')).filter(([id]) =>
        /^PlatformSdkLayer/.test(id),
      ),
    );
    expect(Object.keys(layers)).toHaveLength(1);
    const [layerId, layer] = Object.entries(layers)[0]!;
    expect(layer.Properties.CompatibleRuntimes).toEqual(['nodejs22.x']);
    expect(layer.Properties.CompatibleArchitectures).toEqual(['arm64']);

    const functions = template.findResources('AWS::Lambda::Function');
    const withLayer = Object.entries(functions)
      .filter(([, f]) => (f.Properties.Layers ?? []).some((l: { Ref?: string }) => l.Ref === layerId))
      .map(([id]) => id.replace(/[A-F0-9]{8}$/, ''))
      .sort();
    expect(withLayer).toEqual([
      'ApiCredentialsFunction',
      'ApiDataFunction',
      'ApiDataSourcesFunction',
      'PipelineExtractFunction',
      'PipelineFinalizeFunction',
      'PipelinePlanFunction',
      'WebhooksFunction',
    ]);
    // the catalog-only function reads no SDK, and no other Tributary function names a layer
    const tributaryWithLayers = Object.values(functions).filter(
      (f) => f.Properties.Environment?.Variables?.TRIBUTARY_ENV && (f.Properties.Layers ?? []).length > 0,
    );
    expect(tributaryWithLayers).toHaveLength(withLayer.length);
  });
});
