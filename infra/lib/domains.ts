// Optional custom domains, each with an ACM certificate the operator issued in us-east-1 (the stack's region,
// which CloudFront also requires), from the environment's deploy settings (apiDomain, webhookDomain,
// progressDomain). TLS 1.2 is the minimum on every one. Without a setting the service keeps its AWS domain
// (execute-api, cloudfront.net). DNS stays with the operator: the outputs name the target of each CNAME/alias.
//  - API: a regional API Gateway domain mapped to the HTTP API; the OAuth redirect URI registered with the
//    platforms moves to it;
//  - webhooks: an alias on the CloudFront distribution; signed webhook URLs start with it;
//  - live progress: a regional domain mapped to the WebSocket stage (the dashboard connects to it; the
//    pipeline keeps posting to the execute-api callback URL).
import { CfnOutput } from 'aws-cdk-lib';
import { DomainName, HttpApi, SecurityPolicy, WebSocketStage, ApiMapping } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { CfnDistribution, Distribution } from 'aws-cdk-lib/aws-cloudfront';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { OperationsSettings } from './operations-settings';

export interface CustomDomainsProps {
  operations: OperationsSettings;
  httpApi: HttpApi;
  /** the functions told the OAuth redirect URI (the management API's) */
  apiFunctions: LambdaFunction[];
  webhookDistribution: Distribution;
  /** the functions told the public webhook base URL (the ones that mint signed URLs) */
  webhookUrlFunctions: LambdaFunction[];
  progressStage: WebSocketStage;
}

export class CustomDomains extends Construct {
  /** https://… of the API where a custom domain is set */
  readonly apiUrl?: string;
  readonly webhookUrl?: string;
  readonly progressUrl?: string;

  constructor(scope: Construct, id: string, props: CustomDomainsProps) {
    super(scope, id);
    const { operations } = props;

    if (operations.apiDomain) {
      const { domainName, certificateArn } = operations.apiDomain;
      const domain = new DomainName(this, 'ApiDomain', {
        domainName,
        certificate: Certificate.fromCertificateArn(this, 'ApiCertificate', certificateArn),
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      new ApiMapping(this, 'ApiMapping', {
        api: props.httpApi,
        domainName: domain,
        stage: props.httpApi.defaultStage!,
      });
      this.apiUrl = `https://${domainName}`;
      for (const fn of props.apiFunctions)
        fn.addEnvironment('TRIBUTARY_OAUTH_REDIRECT_URI', `${this.apiUrl}/api/v1/oauth/callback`);
      new CfnOutput(this, 'ApiDomainTarget', {
        description: `CNAME ${domainName} to this`,
        value: domain.regionalDomainName,
      });
    }

    if (operations.webhookDomain) {
      const { domainName, certificateArn } = operations.webhookDomain;
      const distribution = props.webhookDistribution.node.defaultChild as CfnDistribution;
      distribution.addPropertyOverride('DistributionConfig.Aliases', [domainName]);
      distribution.addPropertyOverride('DistributionConfig.ViewerCertificate', {
        AcmCertificateArn: certificateArn,
        SslSupportMethod: 'sni-only',
        MinimumProtocolVersion: 'TLSv1.2_2021',
      });
      this.webhookUrl = `https://${domainName}`;
      for (const fn of props.webhookUrlFunctions) fn.addEnvironment('TRIBUTARY_WEBHOOK_URL', this.webhookUrl);
      new CfnOutput(this, 'WebhookDomainTarget', {
        description: `CNAME (or alias) ${domainName} to this`,
        value: props.webhookDistribution.distributionDomainName,
      });
    }

    if (operations.progressDomain) {
      const { domainName, certificateArn } = operations.progressDomain;
      const domain = new DomainName(this, 'ProgressDomain', {
        domainName,
        certificate: Certificate.fromCertificateArn(this, 'ProgressCertificate', certificateArn),
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      new ApiMapping(this, 'ProgressMapping', {
        api: props.progressStage.api,
        domainName: domain,
        stage: props.progressStage,
      });
      this.progressUrl = `wss://${domainName}`;
      new CfnOutput(this, 'ProgressDomainTarget', {
        description: `CNAME ${domainName} to this`,
        value: domain.regionalDomainName,
      });
    }
  }
}
