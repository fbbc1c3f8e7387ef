// Every setting that differs between dev, staging and prod, in one typed place. Constructs take an
// EnvironmentSettings and never branch on the environment's name themselves, so "what does prod do
// differently?" is answered by reading this file alone.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

export const DEPLOY_ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type DeployEnvironment = (typeof DEPLOY_ENVIRONMENTS)[number];

export interface EnvironmentSettings {
  readonly name: DeployEnvironment;
  /**
   * AWS region the stack is pinned to; the account comes from the deploying credentials (see app.ts).
   * us-east-1 because CloudFront's WAF web ACL must be created there: one region keeps everything in
   * one stack without cross-region references.
   */
  readonly region: string;
  readonly network: {
    /** Synthesized without an account, a stack sees two AZs (Fn::GetAZs); with one, up to this many. */
    readonly maxAzs: number;
    /**
     * The extract workers call the platforms' public APIs, so private subnets need egress in every
     * environment; dev and staging share one NAT gateway, prod has one per AZ so an AZ outage cannot cut it.
     */
    readonly natGateways: number;
  };
  readonly database: {
    /** Aurora Serverless v2 capacity in ACUs; at least 0.5 behind RDS Proxy (backup.ts checks it). */
    readonly minCapacity: number;
    readonly maxCapacity: number;
    /** Readers besides the writer; a reader in another AZ is what makes failover fast. */
    readonly readers: number;
    readonly deletionProtection: boolean;
    /** Point-in-time recovery is possible anywhere inside this window (Aurora keeps continuous backups). */
    readonly backupRetention: Duration;
    readonly removalPolicy: RemovalPolicy;
    readonly performanceInsights: boolean;
  };
  readonly storage: {
    /** What happens to the buckets (and the data in them) when the stack is deleted. */
    readonly removalPolicy: RemovalPolicy;
    /** Only a destroyable environment may empty its buckets on delete. */
    readonly autoDeleteObjects: boolean;
    /** Raw platform pages are kept for replays and audits, then expire. */
    readonly rawPageRetention: Duration;
    /** Archived facts move to Glacier Instant Retrieval: rarely read, but a restore must not wait hours for a thaw. */
    readonly archiveToColdStorageAfter: Duration;
    /** Old versions of archive objects are kept this long after being replaced or deleted. */
    readonly archiveNoncurrentVersionRetention: Duration;
  };
  readonly kms: {
    readonly removalPolicy: RemovalPolicy;
    /** Days KMS waits before deleting a key scheduled for deletion (7 to 30). */
    readonly pendingWindow: Duration;
  };
  readonly webhooks: {
    /** concurrent executions reserved for (and capping) the public webhook function: its own throttle */
    readonly reservedConcurrency: number;
    /** WAF: requests one client IP may make in any 5 minutes before it is blocked */
    readonly requestsPerIpPer5Minutes: number;
  };
  readonly identity: {
    /** a pre-sign-up trigger confirms registrations at once (no emailed code), as the local runner does */
    readonly autoConfirmSignUp: boolean;
    /** OPTIONAL lets each user turn TOTP on; REQUIRED makes every user enrol */
    readonly mfa: 'OPTIONAL' | 'REQUIRED';
    /** what happens to the user pool (and every account in it) when the stack is deleted */
    readonly removalPolicy: RemovalPolicy;
  };
  readonly api: {
    /**
     * The dashboard's origin: the only one CORS allows, and where the OAuth callback sends the user back.
     * `-c dashboardOrigin=https://…` overrides it at synth time (the dashboard's hosting is not in this stack yet).
     */
    readonly dashboardOrigin: string;
    /** API Gateway stage throttle, before the handlers' own per-user and per-IP limits */
    readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  };
  /** CloudWatch Logs retention for every function. */
  readonly logRetention: RetentionDays;
}

const ENVIRONMENT_SETTINGS: Record<DeployEnvironment, EnvironmentSettings> = {
  dev: {
    name: 'dev',
    region: 'us-east-1',
    network: { maxAzs: 2, natGateways: 1 },
    database: {
      // RDS Proxy keeps connections open, so a 0-ACU (auto-pausing) minimum would never pause; 0.5 is the floor
      minCapacity: 0.5,
      maxCapacity: 2,
      readers: 0,
      deletionProtection: false,
      backupRetention: Duration.days(1),
      removalPolicy: RemovalPolicy.DESTROY,
      performanceInsights: false,
    },
    storage: {
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      rawPageRetention: Duration.days(14),
      archiveToColdStorageAfter: Duration.days(30),
      archiveNoncurrentVersionRetention: Duration.days(7),
    },
    kms: { removalPolicy: RemovalPolicy.DESTROY, pendingWindow: Duration.days(7) },
    webhooks: { reservedConcurrency: 5, requestsPerIpPer5Minutes: 300 },
    identity: { autoConfirmSignUp: true, mfa: 'OPTIONAL', removalPolicy: RemovalPolicy.DESTROY },
    // developers run the dashboard on Vite's port against dev
    api: { dashboardOrigin: 'http://localhost:5173', throttle: { rateLimit: 50, burstLimit: 100 } },
    logRetention: RetentionDays.ONE_WEEK,
  },
  staging: {
    name: 'staging',
    region: 'us-east-1',
    network: { maxAzs: 2, natGateways: 1 },
    database: {
      minCapacity: 0.5,
      maxCapacity: 8,
      readers: 0,
      deletionProtection: false,
      backupRetention: Duration.days(7),
      removalPolicy: RemovalPolicy.SNAPSHOT,
      performanceInsights: true,
    },
    storage: {
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
      rawPageRetention: Duration.days(30),
      archiveToColdStorageAfter: Duration.days(30),
      archiveNoncurrentVersionRetention: Duration.days(30),
    },
    // kept: the final snapshot the SNAPSHOT policy takes is encrypted with it
    kms: { removalPolicy: RemovalPolicy.RETAIN, pendingWindow: Duration.days(14) },
    webhooks: { reservedConcurrency: 10, requestsPerIpPer5Minutes: 600 },
    identity: { autoConfirmSignUp: false, mfa: 'OPTIONAL', removalPolicy: RemovalPolicy.DESTROY },
    api: { dashboardOrigin: 'https://staging.app.tributary.dev', throttle: { rateLimit: 100, burstLimit: 200 } },
    logRetention: RetentionDays.ONE_MONTH,
  },
  prod: {
    name: 'prod',
    region: 'us-east-1',
    network: { maxAzs: 3, natGateways: 3 },
    database: {
      minCapacity: 2,
      maxCapacity: 64,
      readers: 1,
      deletionProtection: true,
      backupRetention: Duration.days(35),
      removalPolicy: RemovalPolicy.RETAIN,
      performanceInsights: true,
    },
    storage: {
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
      rawPageRetention: Duration.days(90),
      archiveToColdStorageAfter: Duration.days(30),
      archiveNoncurrentVersionRetention: Duration.days(90),
    },
    kms: { removalPolicy: RemovalPolicy.RETAIN, pendingWindow: Duration.days(30) },
    webhooks: { reservedConcurrency: 100, requestsPerIpPer5Minutes: 1000 },
    identity: { autoConfirmSignUp: false, mfa: 'OPTIONAL', removalPolicy: RemovalPolicy.RETAIN },
    api: { dashboardOrigin: 'https://app.tributary.dev', throttle: { rateLimit: 500, burstLimit: 1000 } },
    logRetention: RetentionDays.ONE_YEAR,
  },
};

export class UnknownEnvironmentError extends Error {
  constructor(readonly given: unknown) {
    super(`unknown environment "${String(given)}": pass -c env=${DEPLOY_ENVIRONMENTS.join('|')}`);
    this.name = new.target.name;
  }
}

export function isDeployEnvironment(value: unknown): value is DeployEnvironment {
  return typeof value === 'string' && (DEPLOY_ENVIRONMENTS as readonly string[]).includes(value);
}

export function environmentSettings(name: unknown): EnvironmentSettings {
  if (!isDeployEnvironment(name)) throw new UnknownEnvironmentError(name);
  return ENVIRONMENT_SETTINGS[name];
}
