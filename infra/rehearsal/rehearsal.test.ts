// Seam: the deployment as `cdk deploy` would ship it. Synthesizes the dev stack with its real bundles and
// runs every function from its bundle alone (rehearse.ts); the outside world is the local stand-ins and
// the platform sandboxes. Slow by nature (synthesis with real bundles, then ~25 processes): one test,
// about 4 minutes on an idle two-core machine, much longer on a shared one.
import { describe, expect, it } from 'vitest';
import { formatReport, rehearse } from './rehearse';

describe('the rehearsal', () => {
  it('when every function of the synthesized dev stack starts from its bundle alone, each initializes, answers its event, and makes only AWS calls its role allows', async () => {
    const result = await rehearse({ log: () => {}, parallelStarts: 4 });
    const report = formatReport(result);
    expect(result.failures, report).toEqual([]);
    const application = result.functions.filter((f) => !f.cdkProvided);
    expect(application.length).toBeGreaterThanOrEqual(19);
    for (const f of application) {
      expect(f.initDurationMs, f.logicalId).toBeDefined();
      expect(f.invocations.length, f.logicalId).toBeGreaterThan(0);
      expect(
        f.invocations.every((i) => i.ok),
        f.logicalId,
      ).toBe(true);
    }
    // issue 21 §3: API route bundles ≤ 1 MB zipped, pipeline ≤ 3 MB; the platform SDKs come from the layer
    for (const f of application.filter((x) => /^Api[A-Za-z]+Function/.test(x.logicalId)))
      expect(f.zippedBytes, f.logicalId).toBeLessThanOrEqual(1024 * 1024);
    for (const f of application.filter((x) => /^Pipeline[A-Za-z]+Function/.test(x.logicalId))) {
      expect(f.zippedBytes, f.logicalId).toBeLessThanOrEqual(3 * 1024 * 1024);
      expect(f.layersZippedBytes, f.logicalId).toBeGreaterThan(0);
    }
    // the calls were seen: the planner and the worker read the credential, the worker wrote raw pages
    const calls = (prefix: string) =>
      result.functions.find((f) => f.logicalId.startsWith(prefix))!.calls.map((c) => c.action);
    expect(calls('PipelinePlanFunction')).toContain('secretsmanager:GetSecretValue');
    expect(calls('PipelineExtractFunction')).toContain('s3:PutObject');
    expect(calls('ApiDataSourcesFunction')).toContain('states:StartExecution');
    expect(calls('ApiAuthFunction')).toContain('rds-db:connect');
  }, 1_800_000);
});
