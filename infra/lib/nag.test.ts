// Seam: the whole app as `cdk synth -c env=…` builds it (bundling skipped), with cdk-nag's AwsSolutions rules
// registered as a CDK validation plugin: a finding nobody acknowledged fails the synthesis.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from './app';
import { DEPLOY_ENVIRONMENTS } from './environments';
import { REPO_ROOT } from './node-function';

const cdkJsonContext = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function build(env: string) {
  const outdir = mkdtempSync(path.join(os.tmpdir(), `tributary-nag-${env}-`));
  dirs.push(outdir);
  return { outdir, ...buildApp({ outdir, context: { ...cdkJsonContext, env, 'aws:cdk:bundling-stacks': [] } }) };
}

type Report = {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
};
const awsSolutionsViolations = (outdir: string) => {
  const file = path.join(outdir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  return report.pluginReports
    .filter((p) => p.pluginName === 'AwsSolutions')
    .flatMap((p) =>
      p.violations.map(
        (v) => `${v.severity} ${v.ruleName} ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
      ),
    );
};

describe('cdk-nag AwsSolutions', () => {
  it.each(DEPLOY_ENVIRONMENTS)(
    'when %s is synthesized, no AwsSolutions finding is left unacknowledged',
    (env) => {
      const { app, outdir } = build(env);
      let failure: unknown;
      try {
        app.synth();
      } catch (error) {
        failure = error;
      }
      expect(awsSolutionsViolations(outdir)).toEqual([]);
      expect(failure).toBeUndefined();
    },
    300_000,
  );

  it('when a role gets a wildcard nobody explained, the synthesis fails naming the rule and the resource', () => {
    const { app, stack, outdir } = build('dev');
    stack.maintenance.function.addToRolePolicy(new PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    expect(() => app.synth()).toThrow();
    const violations = awsSolutionsViolations(outdir);
    expect(
      violations.some(
        (v) => v.startsWith('error AwsSolutions-IAM5[Action::s3:*]') && v.includes('Maintenance/Function/ServiceRole'),
      ),
    ).toBe(true);
  }, 300_000);
});
