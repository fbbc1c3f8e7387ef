// The synthesized template read as the rehearsal (and the grants test) needs it: CloudFormation's
// intrinsics resolved to stand-in values, each function's role policies, and an IAM policy simulator
// (@cloud-copilot/iam-simulate) that says whether that role allows one call.
import { createHash } from 'node:crypto';
import { runSimulation } from '@cloud-copilot/iam-simulate';

export const REHEARSAL_ACCOUNT = '123456789012';
export const REHEARSAL_REGION = 'us-east-1';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
  DependsOn?: string | string[];
}
export interface CfnTemplate {
  Resources: Record<string, TemplateResource>;
}

/** What a resource's Ref and Fn::GetAtt resolve to; the rehearsal points them at its stand-ins. */
export type PhysicalValues = Record<
  string,
  { ref: string; attributes?: Record<string, string>; secretString?: string }
>;

const lower = (id: string) =>
  id
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 50);

/**
 * The physical names and ARNs a deploy would give each resource, made up in the same shapes (a bucket
 * name, a table name, an ARN). `overrides` replace them for resources a stand-in names itself (user pool,
 * app clients, endpoints).
 */
export function physicalValues(template: CfnTemplate, overrides: PhysicalValues = {}): PhysicalValues {
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${REHEARSAL_REGION}:${REHEARSAL_ACCOUNT}:${resource}`;
  const values: PhysicalValues = {};
  for (const [id, r] of Object.entries(template.Resources)) {
    const name = `rehearsal-${lower(id)}`;
    switch (r.Type) {
      case 'AWS::S3::Bucket':
        values[id] = {
          ref: name,
          attributes: {
            Arn: `arn:aws:s3:::${name}`,
            RegionalDomainName: `${name}.s3.${REHEARSAL_REGION}.amazonaws.com`,
          },
        };
        break;
      case 'AWS::DynamoDB::Table':
        values[id] = { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`) } };
        break;
      case 'AWS::KMS::Key': {
        const keyId = `0000000${lower(id).slice(0, 5)}-0000-4000-8000-000000000000`.slice(-36);
        values[id] = { ref: keyId, attributes: { Arn: arn('kms', `key/${keyId}`), KeyId: keyId } };
        break;
      }
      case 'AWS::SecretsManager::Secret': {
        const secretName = (r.Properties?.Name as string | undefined) ?? name;
        // what GenerateSecretString would make: alphanumeric, or a JSON template with the password added
        const password = createHash('sha256').update(`rehearsal:${id}`).digest('hex').repeat(2);
        const generate = r.Properties?.GenerateSecretString as
          { SecretStringTemplate?: string; GenerateStringKey?: string } | undefined;
        const secretString = generate?.SecretStringTemplate
          ? JSON.stringify({
              ...JSON.parse(generate.SecretStringTemplate),
              [generate.GenerateStringKey ?? 'password']: password,
            })
          : password;
        values[id] = { ref: arn('secretsmanager', `secret:${secretName}-AbCdEf`), secretString };
        break;
      }
      case 'AWS::SecretsManager::SecretTargetAttachment':
        values[id] = { ref: values[(r.Properties?.SecretId as { Ref: string }).Ref]?.ref ?? name };
        break;
      case 'AWS::StepFunctions::StateMachine':
        values[id] = {
          ref: arn('states', `stateMachine:${name}`),
          attributes: { Name: name, Arn: arn('states', `stateMachine:${name}`) },
        };
        break;
      case 'AWS::Lambda::Function':
        values[id] = { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
        break;
      case 'AWS::IAM::Role':
        values[id] = { ref: name, attributes: { Arn: `arn:aws:iam::${REHEARSAL_ACCOUNT}:role/${name}` } };
        break;
      case 'AWS::SQS::Queue':
        values[id] = {
          ref: `https://sqs.${REHEARSAL_REGION}.amazonaws.com/${REHEARSAL_ACCOUNT}/${name}`,
          attributes: { Arn: arn('sqs', name), QueueName: name },
        };
        break;
      case 'AWS::ApiGatewayV2::Api': {
        const apiId = lower(id).slice(-10);
        values[id] = {
          ref: apiId,
          attributes: { ApiEndpoint: `https://${apiId}.execute-api.${REHEARSAL_REGION}.amazonaws.com`, ApiId: apiId },
        };
        break;
      }
      case 'AWS::RDS::DBProxy':
        values[id] = {
          ref: name,
          attributes: {
            Endpoint: `${name}.proxy.rds.amazonaws.com`,
            DBProxyArn: arn('rds', `db-proxy:prx-${lower(id).slice(-17)}`),
          },
        };
        break;
      case 'AWS::RDS::DBCluster':
        values[id] = {
          ref: name,
          attributes: { 'Endpoint.Address': `${name}.cluster.rds.amazonaws.com`, 'Endpoint.Port': '5432' },
        };
        break;
      case 'AWS::Scheduler::ScheduleGroup':
        values[id] = {
          ref: r.Properties?.Name ?? name,
          attributes: { Arn: arn('scheduler', `schedule-group/${r.Properties?.Name ?? name}`) },
        };
        break;
      case 'AWS::CloudFront::Distribution':
        values[id] = { ref: name, attributes: { DomainName: `${lower(id).slice(-12)}.cloudfront.net` } };
        break;
      case 'AWS::Cognito::UserPool':
        values[id] = {
          ref: `${REHEARSAL_REGION}_${lower(id).slice(-9)}`,
          attributes: { Arn: arn('cognito-idp', `userpool/${REHEARSAL_REGION}_${lower(id).slice(-9)}`) },
        };
        break;
      default:
        values[id] = { ref: name, attributes: { Arn: arn(r.Type.split('::')[1]!.toLowerCase(), name) } };
    }
  }
  for (const [id, v] of Object.entries(overrides))
    values[id] = { ref: v.ref, attributes: { ...values[id]?.attributes, ...v.attributes } };
  return values;
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REHEARSAL_REGION,
  'AWS::AccountId': REHEARSAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Tributary-rehearsal',
  'AWS::NoValue': '',
};

/** A value with every Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split and Fn::Sub resolved. */
export function resolve(value: unknown, values: PhysicalValues): any {
  if (Array.isArray(value)) return value.map((v) => resolve(v, values));
  if (typeof value === 'string' && value.includes('{{resolve:secretsmanager:'))
    return resolveDynamicReferences(value, values);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0]!;
    switch (fn) {
      case 'Ref': {
        const id = arg as string;
        if (id in PSEUDO) return PSEUDO[id];
        const v = values[id];
        if (!v) throw new Error(`Ref to unknown resource ${id}`);
        return v.ref;
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg)
          ? (arg as [string, string])
          : ((arg as string).split(/\.(.*)/) as [string, string]);
        if (!values[id]) throw new Error(`Fn::GetAtt of unknown resource ${id}`);
        // an attribute nothing here reads (a VPC's default security group, …) gets a made-up value of its own
        return values[id]!.attributes?.[attribute] ?? `${values[id]!.ref}-${attribute.toLowerCase()}`;
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        const joined = (resolve(parts, values) as unknown[]).join(sep);
        return joined.includes('{{resolve:') ? resolveDynamicReferences(joined, values) : joined;
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (resolve(list, values) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(resolve(text, values)).split(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in (vars as object)) return String(resolve((vars as Record<string, unknown>)[name], values));
          if (name in PSEUDO) return PSEUDO[name]!;
          const [id, attribute] = name.split(/\.(.*)/) as [string, string | undefined];
          return attribute ? resolve({ 'Fn::GetAtt': [id, attribute] }, values) : resolve({ Ref: id }, values);
        });
      }
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, values)]));
}

/** `{{resolve:secretsmanager:<arn>:SecretString:<json key>::}}`, as CloudFormation fills it in at deploy. */
function resolveDynamicReferences(text: string, values: PhysicalValues): string {
  return text.replace(
    /\{\{resolve:secretsmanager:(arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+):SecretString:([^:]*):[^:]*:[^}]*\}\}/g,
    (_, secretArn: string, jsonKey: string) => {
      const secret = Object.values(values).find((v) => v.ref === secretArn && v.secretString !== undefined);
      if (!secret) throw new Error(`dynamic reference to unknown secret ${secretArn}`);
      return jsonKey
        ? String((JSON.parse(secret.secretString!) as Record<string, unknown>)[jsonKey])
        : secret.secretString!;
    },
  );
}

export interface FunctionInTemplate {
  logicalId: string;
  handler: string;
  runtime: string;
  /** cdk.out/asset.… directory name, or undefined for inline code */
  assetPath: string | undefined;
  environment: Record<string, unknown>;
  roleId: string;
  memorySize: number;
  timeout: number;
  /**
   * its layers in order (Lambda extracts them into /opt, later over earlier): each one's cdk.out/asset.…
   * directory name, undefined for a layer the template holds no asset of (an ARN, or no asset metadata)
   */
  layerAssetPaths: (string | undefined)[];
}

function layerAssets(template: CfnTemplate, layers: unknown[] | undefined): (string | undefined)[] {
  return (layers ?? []).map((layer) => {
    const ref = (layer as { Ref?: string }).Ref;
    const resource = ref ? template.Resources[ref] : undefined;
    const asset = resource?.Type === 'AWS::Lambda::LayerVersion' ? resource.Metadata?.['aws:asset:path'] : undefined;
    return typeof asset === 'string' ? asset : undefined;
  });
}

export function lambdaFunctions(template: CfnTemplate): FunctionInTemplate[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([logicalId, r]) => ({
      logicalId,
      handler: r.Properties!.Handler as string,
      runtime: r.Properties!.Runtime as string,
      assetPath: r.Metadata?.['aws:asset:path'] as string | undefined,
      environment: (r.Properties!.Environment?.Variables ?? {}) as Record<string, unknown>,
      roleId: (r.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
      memorySize: (r.Properties!.MemorySize as number | undefined) ?? 128,
      timeout: (r.Properties!.Timeout as number | undefined) ?? 3,
      layerAssetPaths: layerAssets(template, r.Properties!.Layers as unknown[] | undefined),
    }));
}

export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, unknown>[];
}

/**
 * The inline policies of a role, as the template attaches them (AWS::IAM::Policy and the role's own Policies),
 * resolved.
 */
export function rolePolicies(
  template: CfnTemplate,
  roleId: string,
  values: PhysicalValues,
): { name: string; policy: PolicyDocument }[] {
  const found: { name: string; policy: PolicyDocument }[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = (r.Properties!.Roles ?? []) as { Ref: string }[];
    if (roles.some((ref) => ref.Ref === roleId))
      found.push({ name: id, policy: resolve(r.Properties!.PolicyDocument, values) as PolicyDocument });
  }
  const role = template.Resources[roleId];
  for (const p of (role?.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]) {
    found.push({ name: p.PolicyName, policy: resolve(p.PolicyDocument, values) as PolicyDocument });
  }
  return found;
}

/** One AWS call as IAM sees it. */
export interface AwsCall {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

export interface CallVerdict extends AwsCall {
  allowed: boolean;
  detail?: string;
}

/**
 * The resource policy the call meets, where the template has one: a KMS key's key policy (KMS asks it
 * first), a bucket's policy.
 */
export function resourcePolicyFor(
  template: CfnTemplate,
  values: PhysicalValues,
  resourceArn: string,
): PolicyDocument | undefined {
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type === 'AWS::KMS::Key' && values[id]?.attributes?.Arn === resourceArn)
      return resolve(r.Properties!.KeyPolicy, values) as PolicyDocument;
    if (r.Type === 'AWS::S3::BucketPolicy') {
      const bucket = resolve(r.Properties!.Bucket, values) as string;
      if (resourceArn === `arn:aws:s3:::${bucket}` || resourceArn.startsWith(`arn:aws:s3:::${bucket}/`))
        return resolve(r.Properties!.PolicyDocument, values) as PolicyDocument;
    }
  }
  return undefined;
}

/**
 * IAM documents `secretsmanager:ResourceTag/<key>` as the same key as `aws:ResourceTag/<key>`; the
 * simulator's data knows only the latter, so conditions are read under that name.
 */
function normalizeConditionKeys(policy: PolicyDocument): PolicyDocument {
  return JSON.parse(
    JSON.stringify(policy).replace(/"secretsmanager:ResourceTag\//g, '"aws:ResourceTag/'),
  ) as PolicyDocument;
}

/** Whether the role's policies (and the resource's own policy, if it has one) allow the call. */
export async function simulate(
  policies: { name: string; policy: PolicyDocument }[],
  roleArn: string,
  call: AwsCall,
  resourcePolicy?: PolicyDocument,
): Promise<CallVerdict> {
  const result = await runSimulation(
    {
      request: {
        principal: roleArn,
        action: call.action,
        resource: { resource: call.resource, accountId: REHEARSAL_ACCOUNT },
        contextVariables: { 'aws:RequestedRegion': REHEARSAL_REGION, 'aws:SecureTransport': 'true', ...call.context },
      },
      identityPolicies: policies.map((p) => ({ name: p.name, policy: normalizeConditionKeys(p.policy) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy: normalizeConditionKeys(resourcePolicy) } : {}),
    },
    {},
  );
  if (result.resultType === 'error') return { ...call, allowed: false, detail: result.errors.message };
  return { ...call, allowed: result.overallResult === 'Allowed', detail: result.overallResult };
}
