// The dashboard in AWS: the built SPA in a private S3 bucket, served only through CloudFront (origin access
// control signs CloudFront's reads; the bucket refuses everyone else), with SPA fallback routing (a deep
// link such as /projects/…/explorer answers index.html), security headers on every response, and the
// runtime settings written next to the bundle as config.json at deploy, so one build serves every
// environment. The dashboard's Cognito client gets the distribution's callback and logout URLs, and the
// management API's CORS allows the distribution's origin.
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { DockerImage, Duration, Stack } from 'aws-cdk-lib';
import type { CfnApi, HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { CfnUserPoolClient, UserPoolClient, IUserPool } from 'aws-cdk-lib/aws-cognito';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { DASHBOARD_CALLBACK_PATH, DASHBOARD_LOGOUT_PATH } from './identity';
import type { EnvironmentSettings } from './environments';
import { REPO_ROOT } from './node-function';

export const FRONTEND_DIR = path.join(REPO_ROOT, 'frontend');

export interface WebHostingProps {
  settings: EnvironmentSettings;
  /** the management API's base URL (https://…execute-api…) */
  apiUrl: string;
  /** the live-progress WebSocket URL (wss://…) */
  progressUrl: string;
  /** where /webhook/v1/… is served */
  webhookUrl: string;
  userPool: IUserPool;
  /** the dashboard's app client (SRP) */
  spaClient: UserPoolClient;
}

/** The Content-Security-Policy: our own scripts only; the API, Cognito and the progress socket for connections. */
export function contentSecurityPolicy(region: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    // MUI (emotion) and Amplify UI insert style elements at run time
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' https://*.execute-api.${region}.amazonaws.com wss://*.execute-api.${region}.amazonaws.com https://cognito-idp.${region}.amazonaws.com https://*.cloudfront.net`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

export class WebHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly deployment: BucketDeployment;
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebHostingProps) {
    super(scope, id);
    const { settings } = props;
    const region = Stack.of(this).region;

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // as the environment's other buckets: retained in prod, destroyable in dev
      removalPolicy: settings.storage.removalPolicy,
      autoDeleteObjects: settings.storage.autoDeleteObjects,
    });

    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Tributary dashboard: CSP, HSTS, frame and content-type options',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(region), override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        xssProtection: { protection: true, modeBlock: true, override: true },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Tributary ${settings.name}: dashboard`,
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      // SPA fallback: S3 answers 403 for a key that does not exist (the bucket is private); every dashboard
      // route is index.html, and the router draws the page
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    this.deployment = new BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/index.html', '/config.json'],
      memoryLimit: 512,
      cacheControl: [CacheControl.fromString('no-cache')],
      sources: [
        spaBundle(),
        // the runtime settings, resolved at deploy: one bundle serves every environment
        Source.jsonData('config.json', {
          environment: settings.name,
          apiUrl: props.apiUrl,
          progressUrl: props.progressUrl,
          webhookUrl: props.webhookUrl,
          cognito: {
            userPoolId: props.userPool.userPoolId,
            clientId: props.spaClient.userPoolClientId,
            authFlow: 'USER_SRP_AUTH',
          },
        }),
      ],
    });

    // the dashboard's client: Cognito's redirects (hosted UI, federated sign-in) may only come back here
    const client = props.spaClient.node.defaultChild as CfnUserPoolClient;
    // -c dashboardOrigin overrides the settings' origin, as it does for the API (management-api.ts)
    const origins = [
      this.url,
      (this.node.tryGetContext('dashboardOrigin') as string | undefined) ?? settings.api.dashboardOrigin,
    ];
    client.callbackUrLs = origins.flatMap((o) => [`${o}${DASHBOARD_CALLBACK_PATH}`, `${o}/`]);
    client.logoutUrLs = origins.flatMap((o) => [`${o}${DASHBOARD_LOGOUT_PATH}`, `${o}/`]);
  }

  /** Lets the browser call the management API from the distribution's origin (besides the configured one). */
  allowFrom(api: HttpApi, configuredOrigin: string): void {
    const cfn = api.node.defaultChild as CfnApi;
    cfn.addPropertyOverride('CorsConfiguration.AllowOrigins', [configuredOrigin, this.url]);
  }
}

/**
 * The built dashboard. Bundled at synth (Vite, on this machine), skipped where bundling is (the synth tests
 * pass `aws:cdk:bundling-stacks: []`, and CDK then stages the sources unbuilt).
 */
function spaBundle() {
  return Source.asset(FRONTEND_DIR, {
    exclude: ['node_modules', 'dist', 'e2e'],
    bundling: {
      image: DockerImage.fromRegistry('node:22'),
      local: {
        tryBundle(outputDir: string) {
          execFileSync(
            process.execPath,
            [
              path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
              'build',
              '--outDir',
              path.join(FRONTEND_DIR, 'dist'),
            ],
            { cwd: FRONTEND_DIR, stdio: 'inherit' },
          );
          cpSync(path.join(FRONTEND_DIR, 'dist'), outputDir, { recursive: true });
          return true;
        },
      },
    },
  });
}
