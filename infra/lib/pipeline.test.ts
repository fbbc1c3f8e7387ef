// Seam: the pipeline as `cdk synth` builds it, read back through aws-cdk-lib/assertions (bundling skipped),
// and the local runner's definition: both must come from the one ASL file. The extract function's second
// bundle (its page encoder thread) is built here as infra builds it and run with plain node.
import { exec as execCallback, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXTRACTION_DEFINITION } from '@tributary/shared/workflow/extraction-definition';
import { EXTRACTION_TASK_PLACEHOLDERS } from '@tributary/shared/ports/workflow-runner';
import { buildApp } from './app';
import { PAGE_ENCODER_THREAD_BUNDLE, PAGE_ENCODER_THREAD_ENTRY } from '../../functions/src/pipeline/page-encoder';
import { DIRNAME_DEFINE, REPO_ROOT, REQUIRE_BANNER, threadBundleCommand } from './node-function';

const exec = promisify(execCallback);
const execFileAsync = promisify(execFile);
const cdkJsonContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;
let template: Template;

beforeAll(() => {
  const { stack } = buildApp({ context: { ...cdkJsonContext, env: 'dev', 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(stack);
}, 600_000);

/** The state machine's DefinitionString with each Fn::Join/Ref piece rendered back to `${placeholder}`. */
function deployedDefinition(): { text: string; substitutions: Record<string, unknown> } {
  const [sm] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as {
    Properties: Record<string, any>;
  }[];
  return { text: sm!.Properties.DefinitionString, substitutions: sm!.Properties.DefinitionSubstitutions };
}

describe('extraction pipeline', () => {
  it('when synthesized, the state machine is the ASL definition the local runner runs, inlined, with every Lambda placeholder substituted', () => {
    const { text, substitutions } = deployedDefinition();
    // DefinitionBody.fromString keeps the text verbatim; DefinitionSubstitutions fills the placeholders at deploy
    expect(JSON.parse(text)).toEqual(JSON.parse(EXTRACTION_DEFINITION));
    expect(Object.keys(substitutions).sort()).toEqual([...EXTRACTION_TASK_PLACEHOLDERS].sort());
    for (const value of Object.values(substitutions)) expect(JSON.stringify(value)).toMatch(/Fn::GetAtt.*Arn/);
  });

  it('when synthesized, the state machine may invoke only the three pipeline functions', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('ExtractionStateMachineRole') }] },
    }) as Record<
      string,
      { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }
    >;
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const invoke = statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    const targets = new Set(
      invoke
        .flatMap((s) => [s.Resource].flat())
        .map((r) => JSON.stringify(r).match(/Pipeline(Plan|Extract|Finalize)Function[A-Z0-9]+/)?.[0]),
    );
    expect(targets.has(undefined)).toBe(false);
    expect(targets.size).toBe(3);
    expect(
      statements.every((s) =>
        [s.Action].flat().every((a) => a.startsWith('lambda:') || a.startsWith('logs:') || a.startsWith('xray:')),
      ),
    ).toBe(true);
  });

  it('when synthesized, the worker may write raw pages and credential secrets under their prefix only, and nothing may read every secret', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
    }[];
    const secretStatements = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:PutSecretValue')));
    expect(secretStatements.length).toBeGreaterThan(0);
    for (const s of secretStatements)
      expect(JSON.stringify(s.Resource)).toContain('secret:tributary/dev/credentials/*');
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.extractHandler' });
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.planHandler' });
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.finalizeHandler' });
  });

  it('when synthesized, the planner and the worker may use the key-value table of the shared rate limiter, and are told its name', () => {
    const functions = template.findResources('AWS::Lambda::Function') as Record<
      string,
      {
        Properties: {
          Handler: string;
          Role: { 'Fn::GetAtt': [string, string] };
          Environment: { Variables: Record<string, unknown> };
        };
      }
    >;
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
      Properties: {
        Roles: { Ref: string }[];
        PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
      };
    }[];
    for (const handler of ['index.planHandler', 'index.extractHandler']) {
      const fn = Object.values(functions).find((f) => f.Properties.Handler === handler)!;
      const table = fn.Properties.Environment.Variables.TRIBUTARY_KV_TABLE as { Ref: string };
      expect(table, handler).toEqual({ Ref: expect.stringMatching(/KeyValue/) });
      const statements = policies
        .filter((p) => p.Properties.Roles.some((r) => r.Ref === fn.Properties.Role['Fn::GetAtt'][0]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement);
      const write = statements.find((s) => [s.Action].flat().includes('dynamodb:UpdateItem'));
      expect(write, handler).toBeDefined();
      expect(JSON.stringify(write!.Resource), handler).toContain(table.Ref);
    }
  });

  it('when synthesized, each pipeline function stops before its state machine task times out, so a retry never overlaps a live invocation', () => {
    const definition = JSON.parse(EXTRACTION_DEFINITION) as {
      States: Record<
        string,
        { TimeoutSeconds?: number; ItemProcessor?: { States: Record<string, { TimeoutSeconds?: number }> } }
      >;
    };
    const taskTimeout = {
      planHandler: definition.States.Plan!.TimeoutSeconds!,
      extractHandler: definition.States.ExtractWorkItems!.ItemProcessor!.States.Extract!.TimeoutSeconds!,
      finalizeHandler: definition.States.Finalize!.TimeoutSeconds!,
    };
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Handler: string; Timeout: number };
    }[];
    for (const [handler, seconds] of Object.entries(taskTimeout)) {
      const fn = functions.find((f) => f.Properties.Handler === `index.${handler}`)!;
      expect(fn.Properties.Timeout, handler).toBeLessThan(seconds);
    }
  });

  it('when synthesized, an execution that fails, times out or is stopped runs the finalize function', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as {
      Properties: {
        EventPattern: { source: string[]; detail: { status: string[]; stateMachineArn: unknown[] } };
        Targets: { Arn: unknown }[];
      };
    }[];
    const rule = rules.find((r) => r.Properties.EventPattern.source?.includes('aws.states'))!;
    expect(rule).toBeDefined();
    expect(rule.Properties.EventPattern.detail.status.sort()).toEqual(['ABORTED', 'FAILED', 'TIMED_OUT']);
    expect(JSON.stringify(rule.Properties.EventPattern.detail.stateMachineArn)).toMatch(/ExtractionStateMachine/);
    expect(JSON.stringify(rule.Properties.Targets.map((t) => t.Arn))).toMatch(/FinalizeFunction/);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('FinalizeFunction'), 'Arn'] }),
    });
  });

  it('when synthesized, an alarm fires on any failed execution', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: Match.stringLikeRegexp('ExtractionStateMachine') } }],
    });
  });
});

describe('extract function bundle', () => {
  it('when bundled as infra bundles it, the page encoder runs its thread from the bundled file beside index.mjs, with plain node', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-thread-bundle-'));
    try {
      // a handler stand-in that uses the page encoder, bundled with the function's own settings
      const probe = path.join(dir, 'probe.ts');
      await writeFile(
        probe,
        `
        import { createPageEncoder } from ${JSON.stringify(path.join(REPO_ROOT, 'functions/src/pipeline/page-encoder.ts'))};
        const encoder = createPageEncoder(1);
        const message = { results: [{ campaign: { id: '1', name: 'Brand' }, segments: { date: '2026-11-02' }, metrics: { impressions: '10', costMicros: '1500000' } }] };
        const meta = { account: { id: '9', name: 'A', currency: 'EUR', timeZone: 'Europe/Madrid' }, reportType: 'campaign_daily', window: { start: '2026-11-01', end: '2026-11-30' } };
        const batch = await encoder.encode('google_ads', [Buffer.from(JSON.stringify(message))], meta);
        console.log(JSON.stringify({ count: batch.count, line: batch.line(0) }));
        await encoder.close();
      `,
      );
      const out = path.join(dir, 'bundle');
      await build({
        entryPoints: [probe],
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        mainFields: ['module', 'main'],
        outfile: path.join(out, 'index.mjs'),
        banner: { js: REQUIRE_BANNER },
        define: DIRNAME_DEFINE,
        external: ['@aws-sdk/*', 'pg-native'],
        logLevel: 'error',
      });
      await exec(threadBundleCommand(PAGE_ENCODER_THREAD_ENTRY, out, PAGE_ENCODER_THREAD_BUNDLE), { cwd: REPO_ROOT });
      // plain node, no TypeScript loader: only the bundled thread can run
      const { stdout } = await execFileAsync(process.execPath, [path.join(out, 'index.mjs')], { cwd: out });
      const result = JSON.parse(stdout) as { count: number; line: string };
      expect(result.count).toBe(1);
      expect(result.line).toMatch(/^campaign_daily\t2026-11-02\t9\t1\t.*\t1\.5\t.*\t-?\d+$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
