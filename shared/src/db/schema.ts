// One interface that maps every table to its row type, so the compiler checks each Kysely query
// (Kysely's example app does the same). Columns are camelCase here and snake_case in SQL; Kysely's
// CamelCasePlugin (database.ts) converts between them, in that one place.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** numeric columns come back from pg as strings, to keep every digit */
type Numeric = ColumnType<string, string | number, string | number>;
type Json<T = Record<string, unknown>> = ColumnType<T, string | T | undefined, string | T>;
type DateOnly = ColumnType<string, string, string>;

export type MembershipRole = 'owner' | 'admin' | 'analyst' | 'viewer';

export interface OrganizationsTable {
  id: Generated<string>;
  name: string;
  isPersonal: Generated<boolean>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}
export interface UsersTable {
  id: Generated<string>;
  cognitoSub: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  timezone: Generated<string>;
  preferences: Json;
  isActive: Generated<boolean>;
  lastLoginAt: Timestamp | null;
  /** users.email counts only when true: the identity provider vouched for it */
  emailVerified: Generated<boolean>;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}
export interface MembershipsTable {
  organizationId: string;
  userId: string;
  role: MembershipRole;
  invitedBy: string | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}
export interface ProjectsTable {
  id: Generated<string>;
  organizationId: string;
  name: string;
  description: string | null;
  isActive: Generated<boolean>;
  reportingCurrency: Generated<string>;
  timezone: Generated<string>;
  hotRetentionDays: Generated<number>;
  archiveRetentionDays: Generated<number>;
  settings: Json;
  createdBy: string | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}
export interface AuditLogTable {
  id: Generated<string>;
  organizationId: string;
  projectId: string | null;
  actorUserId: string | null;
  actorKind: Generated<'user' | 'system' | 'webhook'>;
  action: string;
  targetType: string;
  targetId: string | null;
  details: Json;
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  createdAt: CreatedAt;
}
export interface CredentialsTable {
  id: Generated<string>;
  organizationId: string;
  projectId: string;
  platform: string;
  credentialType: 'oauth2' | 'api_key' | 'service_account';
  label: string;
  secretRef: string;
  keyId: string;
  maskedPreview: string | null;
  status: Generated<'active' | 'expired' | 'revoked' | 'error' | 'disabled'>;
  expiresAt: Timestamp | null;
  lastValidatedAt: Timestamp | null;
  validationStatus: Generated<'pending' | 'valid' | 'invalid' | 'error'>;
  validationMessage: string | null;
  createdBy: string | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
  /** bumped on every write of the secret; a token refresh writes back only if it is still the version it read */
  secretVersion: Generated<number>;
}
export type ExtractionStatus = 'pending' | 'running' | 'succeeded' | 'partial' | 'failed' | 'disabled';
export interface DataSourcesTable {
  id: Generated<string>;
  organizationId: string;
  projectId: string;
  credentialId: string;
  platform: string;
  sourceName: string;
  extractionConfig: Json;
  scheduleConfig: Json;
  isActive: Generated<boolean>;
  lastExtractionAt: Timestamp | null;
  nextExtractionAt: Timestamp | null;
  lastSuccessfulDate: DateOnly | null;
  extractionStatus: Generated<ExtractionStatus>;
  createdBy: string | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
  /** the configured account as the platform last described it ({ id, name, currency, timeZone }), and when */
  accountInfo: Json | null;
  accountCheckedAt: Timestamp | null;
}
export type JobStatus = 'pending' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';
export interface ExtractionJobsTable {
  id: Generated<string>;
  organizationId: string;
  projectId: string;
  dataSourceId: string;
  jobType: 'scheduled' | 'manual' | 'backfill' | 'retry';
  status: Generated<JobStatus>;
  windowStart: DateOnly | null;
  windowEnd: DateOnly | null;
  attempt: Generated<number>;
  progressPercent: ColumnType<string, string | number | undefined, string | number>;
  rowsRead: Generated<string>;
  rowsInserted: Generated<string>;
  rowsUpdated: Generated<string>;
  rowsUnchanged: Generated<string>;
  restatements: Json<unknown[]>;
  errorCode: string | null;
  errorMessage: string | null;
  executionArn: string | null;
  jobConfig: Json;
  startedAt: Timestamp | null;
  completedAt: Timestamp | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}
export interface ExtractionWorkItemsTable {
  organizationId: string;
  jobId: string;
  itemKey: string;
  accountId: string;
  reportType: string;
  windowStart: DateOnly;
  windowEnd: DateOnly;
  status: Generated<'pending' | 'running' | 'succeeded' | 'failed'>;
  attempts: Generated<number>;
  pages: Generated<number>;
  /** bigint: pg returns it as a string */
  rowsRead: Generated<string>;
  rowsInserted: Generated<string>;
  rowsUpdated: Generated<string>;
  rowsUnchanged: Generated<string>;
  restatements: Json<unknown[]>;
  errorCode: string | null;
  errorMessage: string | null;
  completedAt: Timestamp | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
  /** the lane that holds (or last held) the item */
  lane: number | null;
  /** the account as planned ({ id, name, currency, timeZone }) */
  account: Json | null;
  /** the platform's own job id of a report still being prepared (report_pending) */
  resumeCursor: string | null;
  /** when a rate-limited or pending item is looked at again (the run details show it) */
  retryAt: Timestamp | null;
}
export interface FactColumns {
  organizationId: string;
  projectId: string;
  dataSourceId: string;
  platform: string;
  dataType: string;
  dataDate: DateOnly;
  accountId: string | null;
  accountName: string | null;
  campaignId: string | null;
  campaignName: string | null;
  adGroupId: string | null;
  adGroupName: string | null;
  adId: string | null;
  adName: string | null;
  extraDimensions: Json;
  impressions: Numeric | null;
  clicks: Numeric | null;
  cost: Numeric | null;
  conversions: Numeric | null;
  revenue: Numeric | null;
  currency: string | null;
  extraMetrics: Json;
  rowKey: string;
  contentHash: string;
  extractionJobId: string | null;
  updatedAt: Timestamp;
}
export type ExtractedDataTable = FactColumns;
export interface ArchivedDataTable extends FactColumns {
  archivedAt: Timestamp;
}
export interface ArchiveManifestsTable {
  id: Generated<string>;
  organizationId: string;
  projectId: string;
  dataSourceId: string | null;
  rangeStart: DateOnly;
  rangeEnd: DateOnly;
  bucket: string;
  objectKey: string;
  rowCount: string | number;
  byteSize: string | number;
  checksumSha256: string;
  format: Generated<string>;
  status: Generated<'archived' | 'restored' | 'deleted'>;
  createdAt: CreatedAt;
  restoredAt: Timestamp | null;
}
export interface WebhookConfigsTable {
  id: Generated<string>;
  organizationId: string;
  projectId: string;
  webhookName: string;
  keyPrefix: string;
  keyHash: string;
  signingSecretRef: string | null;
  isActive: Generated<boolean>;
  revokedAt: Timestamp | null;
  allowedDataSources: ColumnType<string[], string[] | undefined, string[]>;
  dataFilters: Json;
  outputFormat: Generated<string>;
  rateLimitPerHour: Generated<number>;
  expiresAt: Timestamp | null;
  lastUsedAt: Timestamp | null;
  createdBy: string | null;
  createdAt: CreatedAt;
  updatedAt: Timestamp;
}
export interface ApiAccessLogsTable {
  id: Generated<string>;
  organizationId: string;
  projectId: string | null;
  webhookConfigId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  requestMethod: string;
  requestPath: string;
  requestParams: Json | null;
  responseStatus: number;
  responseSize: string | number | null;
  processingTimeMs: number | null;
  createdAt: CreatedAt;
}
export interface InvitationsTable {
  id: Generated<string>;
  organizationId: string;
  email: string;
  role: MembershipRole;
  invitedBy: string | null;
  acceptedAt: Timestamp | null;
  createdAt: CreatedAt;
  /** sha256 hex of the emailed single-use token */
  tokenHash: string | null;
  expiresAt: Timestamp;
  acceptedBy: string | null;
}
export interface FxRatesTable {
  rateDate: DateOnly;
  baseCurrency: string;
  quoteCurrency: string;
  rate: Numeric;
  source: Generated<string>;
  fetchedAt: CreatedAt;
}

/** a queued purge of one object-store prefix (a deleted project's or data source's); see purge_jobs */
export interface PurgeJobsTable {
  id: Generated<string>;
  organizationId: string;
  projectId: string;
  dataSourceId: string | null;
  store: 'raw' | 'archive';
  prefix: string;
  status: Generated<'pending' | 'done'>;
  attempts: Generated<number>;
  objectsDeleted: Generated<string>;
  lastError: string | null;
  createdAt: CreatedAt;
  completedAt: Timestamp | null;
}
export interface DB {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  projects: ProjectsTable;
  auditLog: AuditLogTable;
  credentials: CredentialsTable;
  dataSources: DataSourcesTable;
  extractionJobs: ExtractionJobsTable;
  extractionWorkItems: ExtractionWorkItemsTable;
  extractedData: ExtractedDataTable;
  archivedData: ArchivedDataTable;
  archiveManifests: ArchiveManifestsTable;
  webhookConfigs: WebhookConfigsTable;
  apiAccessLogs: ApiAccessLogsTable;
  fxRates: FxRatesTable;
  invitations: InvitationsTable;
  purgeJobs: PurgeJobsTable;
}

export type Row<T extends keyof DB> = Selectable<DB[T]>;
export type NewRow<T extends keyof DB> = Insertable<DB[T]>;
export type RowUpdate<T extends keyof DB> = Updateable<DB[T]>;
