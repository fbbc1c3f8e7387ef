// The settings that belong to one customer's deployment rather than to the code: who gets the alarms,
// which domains and certificates, which SES identity sends Cognito's email. They come from
// infra/deploy-settings.json (one object per environment) and can be overridden one by one with
// `-c key=value` (e.g. `npm run synth -- -c env=prod -c alarmEmail=ops@example.com`). DEPLOY.md lists them.
// Everything else that differs between environments stays in environments.ts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Node } from 'constructs';
import * as z from 'zod';
import type { DeployEnvironment } from './environments';
import { REPO_ROOT } from './node-function';

export const DEPLOY_SETTINGS_FILE = path.join(REPO_ROOT, 'infra/deploy-settings.json');

const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case host name');
const certificateArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]+$/,
    'must be an ACM certificate ARN in us-east-1',
  );
const customDomain = z.object({ domainName: hostname, certificateArn }).strict();

export const operationsSettingsSchema = z
  .object({
    /** where alarm notifications go (an SNS email subscription the recipient confirms once) */
    alarmEmail: z.string().email().optional(),
    /** Cognito's sender (verification codes, password resets) through SES; the identity must be verified in SES */
    sesFromEmail: z.string().email().optional(),
    /** the SES identity's domain when sesFromEmail's domain is not itself the verified identity */
    sesVerifiedDomain: hostname.optional(),
    /** custom domains, each with an ACM certificate in us-east-1 (the region of the stack and of CloudFront) */
    apiDomain: customDomain.optional(),
    webhookDomain: customDomain.optional(),
    progressDomain: customDomain.optional(),
    /** AWS Backup of Aurora: days a daily backup is kept (0: no backup plan; Aurora's point-in-time recovery stays) */
    backupDailyRetentionDays: z.number().int().min(0).max(36500).optional(),
    /** days a monthly backup is kept (0: none) */
    backupMonthlyRetentionDays: z.number().int().min(0).max(36500).optional(),
    /** Cognito threat protection (Plus plan): off, audit (metrics only) or enforced (blocks risky sign-ins) */
    threatProtection: z.enum(['off', 'audit', 'enforced']).optional(),
    /** days the access-log bucket keeps API, CloudFront and S3 access logs */
    accessLogRetentionDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

export type OperationsSettings = z.infer<typeof operationsSettingsSchema>;

/** What every environment gets unless deploy-settings.json or -c says otherwise. */
type Defaulted =
  'accessLogRetentionDays' | 'backupDailyRetentionDays' | 'backupMonthlyRetentionDays' | 'threatProtection';
const DEFAULTS: Record<DeployEnvironment, Required<Pick<OperationsSettings, Defaulted>>> = {
  dev: {
    accessLogRetentionDays: 14,
    backupDailyRetentionDays: 0,
    backupMonthlyRetentionDays: 0,
    threatProtection: 'off',
  },
  staging: {
    accessLogRetentionDays: 90,
    backupDailyRetentionDays: 7,
    backupMonthlyRetentionDays: 0,
    threatProtection: 'off',
  },
  prod: {
    accessLogRetentionDays: 400,
    backupDailyRetentionDays: 35,
    backupMonthlyRetentionDays: 365,
    threatProtection: 'enforced',
  },
};

/**
 * The environment's operations settings: defaults, then infra/deploy-settings.json's entry for it, then single
 * `-c` context values (strings; a domain is `-c apiDomain=api.example.com -c apiCertificateArn=arn:…`).
 */
export function operationsSettings(
  node: Node,
  environment: DeployEnvironment,
  file: string = DEPLOY_SETTINGS_FILE,
): OperationsSettings {
  const fromFile = existsSync(file)
    ? ((JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)[environment] ?? {})
    : {};
  const merged: Record<string, unknown> = { ...DEFAULTS[environment], ...(fromFile as object) };
  for (const key of ['alarmEmail', 'sesFromEmail', 'sesVerifiedDomain', 'threatProtection'] as const) {
    const value = node.tryGetContext(key) as unknown;
    if (typeof value === 'string' && value !== '') merged[key] = value;
  }
  for (const key of ['api', 'webhook', 'progress'] as const) {
    const domainName = node.tryGetContext(`${key}Domain`) as unknown;
    const arn = node.tryGetContext(`${key}CertificateArn`) as unknown;
    if (typeof domainName === 'string' && domainName !== '')
      merged[`${key}Domain`] = { domainName, certificateArn: arn };
  }
  for (const key of ['accessLogRetentionDays', 'backupDailyRetentionDays', 'backupMonthlyRetentionDays'] as const) {
    const value = node.tryGetContext(key) as unknown;
    if (value !== undefined) merged[key] = Number(value);
  }
  const parsed = operationsSettingsSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`deploy settings for ${environment}: ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  return parsed.data;
}
