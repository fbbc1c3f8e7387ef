// The public webhook route that Excel and Google Sheets call (functions/src/webhooks/webhook-lambda.ts).
// API Gateway's HTTP API stops at 30 s and 10 MB, too little for a year of ads, so the function is a
// Lambda function URL with response streaming (up to 15 minutes), reachable only through CloudFront
// (origin access control signs CloudFront's requests; the URL itself refuses unsigned callers).
// CloudFront caches per full query string and Accept header, so two different filters or formats never
// share an entry, and honours the function's Cache-Control and ETag so Excel refreshes see each new
// extraction. Two throttles: WAF blocks an IP past its rate, reserved concurrency caps the function.
import { Duration } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { FunctionUrlOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  FunctionUrlAuthType,
  InvokeMode,
  type FunctionUrl,
  type Function as LambdaFunction,
} from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { AppEnvironment } from './app-environment';
import type { Database } from './database';
import type { EnvironmentSettings } from './environments';
import { TributaryFunction } from './node-function';

export interface WebhookDeliveryProps {
  settings: EnvironmentSettings;
  vpc: IVpc;
  functionSubnets: SubnetSelection;
  key: IKey;
  database: Database;
  appEnvironment: AppEnvironment;
}

export class WebhookDelivery extends Construct {
  readonly function: TributaryFunction;
  readonly functionUrl: FunctionUrl;
  readonly distribution: Distribution;
  readonly webAcl: CfnWebACL;
  readonly signingSecret: Secret;
  private readonly key: IKey;

  constructor(
    scope: Construct,
    id: string,
    { settings, vpc, functionSubnets, key, database, appEnvironment }: WebhookDeliveryProps,
  ) {
    super(scope, id);

    // HMAC key of the time-limited signed URLs; alphanumeric, which webhook-lambda.ts reads as base64
    const signingSecret = (this.signingSecret = new Secret(this, 'SigningSecret', {
      secretName: `tributary/${settings.name}/webhook-signing`,
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    }));

    this.function = new TributaryFunction(this, 'Function', {
      settings,
      entry: 'functions/src/webhooks/webhook-lambda.ts',
      description: 'Public webhook data endpoint (streamed CSV, XLSX, JSON, … for Excel and Sheets)',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      vpc,
      vpcSubnets: functionSubnets,
      reservedConcurrentExecutions: settings.webhooks.reservedConcurrency,
      environmentEncryption: key,
      // exceljs and the OData parser, loaded by the first XLSX download or feed request, come from the layer
      platformSdks: 'layer',
      environment: {
        // the function reads the secret itself at cold start: its value is never in the function's environment
        TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN: signingSecret.secretArn,
      },
    });
    database.allowConnect(this.function);
    appEnvironment.apply(this.function);
    this.key = key;
    this.grantSigningSecretRead(this.function);

    this.functionUrl = this.function.addFunctionUrl({
      authType: FunctionUrlAuthType.AWS_IAM,
      invokeMode: InvokeMode.RESPONSE_STREAM,
    });

    const cachePolicy = new CachePolicy(this, 'CachePolicy', {
      comment: 'Tributary webhooks: keyed on the whole query string and Accept; TTLs from the origin',
      queryStringBehavior: CacheQueryStringBehavior.all(),
      headerBehavior: CacheHeaderBehavior.allowList('Accept'),
      cookieBehavior: CacheCookieBehavior.none(),
      // 0 by default: only what the function marks cacheable is cached, for as long as it says
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.hours(1),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: `tributary-${settings.name}-webhooks`,
        sampledRequestsEnabled: true,
      },
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: settings.webhooks.requestsPerIpPer5Minutes,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: `tributary-${settings.name}-webhooks-rate`,
            sampledRequestsEnabled: true,
          },
        },
        {
          name: 'aws-ip-reputation',
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesAmazonIpReputationList' },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: `tributary-${settings.name}-webhooks-ip-reputation`,
            sampledRequestsEnabled: true,
          },
        },
      ],
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Tributary ${settings.name} webhooks`,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      webAclId: this.webAcl.attrArn,
      defaultBehavior: {
        origin: FunctionUrlOrigin.withOriginAccessControl(this.functionUrl, { readTimeout: Duration.seconds(60) }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        cachePolicy,
        // everything the viewer sent (If-None-Match, User-Agent, X-Forwarded-For) except Host, which a
        // function URL must receive as its own
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: true,
      },
    });
  }

  /**
   * For the management API's webhooks function (POST …/webhooks/{id}/signed-urls): read access to the same
   * signing secret (by ARN, read at first use) and the public base URL the signed URLs start with.
   */
  allowUrlMinting(fn: LambdaFunction): void {
    fn.addEnvironment('TRIBUTARY_WEBHOOK_SIGNING_SECRET_ARN', this.signingSecret.secretArn);
    this.grantSigningSecretRead(fn);
    fn.addEnvironment('TRIBUTARY_WEBHOOK_URL', `https://${this.distribution.distributionDomainName}`);
  }

  /**
   * GetSecretValue on the signing secret and kms:Decrypt on its key, both in the function's own role.
   * (Secret.grantRead would put the role into the key's policy; the key then depends on a role that
   * depends on the migrations, which depend on the cluster the key encrypts: a cycle.)
   */
  private grantSigningSecretRead(fn: LambdaFunction): void {
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [this.signingSecret.secretArn],
      }),
    );
    fn.addToRolePolicy(new PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.key.keyArn] }));
  }
}
