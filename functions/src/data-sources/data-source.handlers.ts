// Data sources: which account and reports of a credential to extract, and when. Configuration is checked
// against the connector's live catalog (discover) when the connector exists. `extract` queues a manual
// job; the partial unique index on extraction_jobs keeps it to one pending or running job per source.
import type { Selectable, Transaction } from 'kysely';
import { ConnectorError, type AccountInfo, type ConnectorContext } from '@tributary/connectors/contract';
import { KeyValueRateLimiter } from '@tributary/connectors/runtime/rate-limiter';
import type { DataSourcesTable, DB, ExtractionJobsTable } from '@tributary/shared/db/schema';
import { ConflictError, NotFoundError, ValidationError } from '@tributary/shared/domain/errors';
import type { Platform } from '@tributary/shared/domain/platform';
import { projectHandler, type ProjectScope } from '@tributary/shared/http/project-scope';
import type { BoundRoute } from '@tributary/shared/http/route-group';
import type { ApiDeps } from '../api-deps';
import { writeBackRefreshedTokens } from '../credentials/token-writeback';
import { findRunOfSource, listWorkItemDetails } from '../pipeline/extraction-run.repository';
import { startExtractionRun } from '../pipeline/start-run';
import { checkRequestedWindow } from '../pipeline/windows';
import { writeAudit } from '../audit';
import { applySchedule } from '../schedules/schedule-sync';
import { resolveScheduleConfig, type ScheduleConfig } from '../schedules/schedule-config';
import { iso } from '../common.schemas';
import { conflictOnUnique } from '../db-errors';
import {
  createDataSourceRoute,
  dataSourceStatusRoute,
  deleteDataSourceRoute,
  extractDataSourceRoute,
  getDataSourceRoute,
  getExtractionJobRoute,
  listDataSourcesRoute,
  updateDataSourceRoute,
} from './data-source.routes';
import type { DataSource } from './data-source.schemas';
import { classifyProblem, restatementDays, runRestatements, toWorkItem } from './run-details';

type RequestMeta = { requestId: string; sourceIp: string | undefined; userAgent: string | undefined };
const meta = (i: RequestMeta): RequestMeta => ({
  requestId: i.requestId,
  sourceIp: i.sourceIp,
  userAgent: i.userAgent,
});

export function toDataSource(row: Selectable<DataSourcesTable>): DataSource {
  return {
    id: row.id,
    project_id: row.projectId,
    credential_id: row.credentialId,
    platform: row.platform,
    source_name: row.sourceName,
    extraction_config: row.extractionConfig,
    schedule_config: row.scheduleConfig,
    is_active: row.isActive,
    extraction_status: row.extractionStatus,
    account: accountOf(row.accountInfo, row.accountCheckedAt),
    last_extraction_at: iso(row.lastExtractionAt),
    next_extraction_at: iso(row.nextExtractionAt),
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

function accountOf(info: unknown, checkedAt: Date | null): DataSource['account'] {
  const a = info as Partial<AccountInfo> | null;
  if (!a || typeof a.id !== 'string' || typeof a.currency !== 'string' || typeof a.timeZone !== 'string') return null;
  return { id: a.id, name: a.name ?? a.id, currency: a.currency, time_zone: a.timeZone, checked_at: iso(checkedAt) };
}

function toJob(row: Selectable<ExtractionJobsTable>) {
  return {
    id: row.id,
    data_source_id: row.dataSourceId,
    job_type: row.jobType,
    status: row.status,
    progress_percent: Number(row.progressPercent),
    window_start: row.windowStart,
    window_end: row.windowEnd,
    rows_read: Number(row.rowsRead),
    rows_inserted: Number(row.rowsInserted),
    rows_updated: Number(row.rowsUpdated),
    error_code: row.errorCode,
    error_message: row.errorMessage,
    started_at: iso(row.startedAt),
    completed_at: iso(row.completedAt),
    created_at: iso(row.createdAt),
  };
}

async function projectTimezone(trx: Transaction<DB>, projectId: string): Promise<string> {
  const row = await trx.selectFrom('projects').select('timezone').where('id', '=', projectId).executeTakeFirst();
  return row?.timezone ?? 'UTC';
}

async function loadSource(trx: Transaction<DB>, projectId: string, sourceId: string) {
  const row = await trx
    .selectFrom('dataSources')
    .selectAll()
    .where('projectId', '=', projectId)
    .where('id', '=', sourceId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Data source', sourceId);
  return row;
}

/**
 * Checks account and report types against what the credential can actually see, when the connector exists.
 * Returns the credential and the account as the platform describes it (stored on the data source, so runs
 * plan without asking again while it is fresh); account is null for a platform without a connector.
 */
async function checkAgainstCatalog(
  deps: ApiDeps,
  access: ProjectScope,
  credentialId: string,
  config: { account_id: string; report_types: string[]; start_date?: string; options?: Record<string, string> },
  request: RequestMeta,
) {
  const credential = await access.transaction((trx) =>
    trx
      .selectFrom('credentials')
      .selectAll()
      .where('projectId', '=', access.projectId)
      .where('id', '=', credentialId)
      .executeTakeFirst(),
  );
  if (!credential)
    throw new ValidationError('The credential does not exist in this project', { field: 'credential_id' });
  const connector = deps.findConnector(credential.platform as Platform);
  if (config.start_date) {
    const field = 'extraction_config.start_date';
    checkRequestedWindow({ start: config.start_date, end: config.start_date }, connector ?? undefined, new Date(), {
      start: field,
      end: field,
    });
  }
  if (!connector) return { credential, account: null, options: config.options };
  if (config.options && !connector.resolveOptions)
    throw new ValidationError(`${connector.displayName} data sources take no options`, {
      field: 'extraction_config.options',
    });
  await access.transaction((trx) =>
    writeAudit(trx, {
      organizationId: access.organizationId,
      projectId: access.projectId,
      actorUserId: access.userId,
      action: 'credential.secret_read',
      targetType: 'credential',
      targetId: credential.id,
      details: { purpose: 'discover' },
      request,
    }),
  );
  const read = {
    organizationId: access.organizationId,
    credentialId: credential.id,
    secretRef: credential.secretRef,
    version: credential.secretVersion,
  };
  const secret = await deps.secrets.read(credential.secretRef);
  let catalog;
  const cctx: ConnectorContext<unknown> = {
    credential: secret,
    baseUrls: deps.connectorBaseUrls,
    rateLimiter: new KeyValueRateLimiter(deps.kv, connector.rateLimits, { keyPrefix: 'ratelimit:connector' }),
    rateBucket: `${credential.platform}:${credential.id}`,
    logger: {
      debug: (m) => deps.logger.debug(m),
      info: (m) => deps.logger.info(m),
      warn: (m) => deps.logger.warn(m),
      error: (m) => deps.logger.error(m),
    },
    ...(deps.oauthClients[credential.platform as Platform]
      ? { oauthClient: deps.oauthClients[credential.platform as Platform]! }
      : {}),
    // only the tokens, and only if the secret is still the version read with the row (token-writeback.ts)
    onTokensRefreshed: async (refreshed) => {
      await writeBackRefreshedTokens(
        deps,
        read,
        refreshed as Record<string, unknown>,
        deps.oauthClients[credential.platform as Platform],
      );
    },
  };
  try {
    catalog = await connector.discover(cctx);
  } catch (error) {
    if (error instanceof ConnectorError)
      throw new ValidationError(
        `Could not read the ${connector.displayName} catalog with this credential: ${error.userMessage}`,
        { field: 'credential_id' },
      );
    throw error;
  }
  const account = catalog.accounts.find((a) => a.id === config.account_id);
  if (!account) {
    throw new ValidationError('The credential cannot see this account', {
      field: 'extraction_config.account_id',
      available: catalog.accounts.map((a) => a.id),
    });
  }
  const known = new Set(catalog.reportTypes.map((r) => r.id));
  const unknown = config.report_types.filter((r) => !known.has(r));
  if (unknown.length)
    throw new ValidationError('Unknown report types for this platform', {
      field: 'extraction_config.report_types',
      unknown,
      available: [...known],
    });
  // the connector checks the source's own options against the account and fills in its defaults
  let options: Record<string, string> | undefined;
  if (connector.resolveOptions) {
    try {
      options = await connector.resolveOptions(cctx, account, config.options ?? {});
    } catch (error) {
      if (error instanceof ConnectorError)
        throw new ValidationError(error.userMessage, { field: 'extraction_config.options' });
      throw error;
    }
  }
  return { credential, account, options };
}

/** The data source columns that remember the checked account (cleared when there is nothing to remember). */
function accountColumns(account: AccountInfo | null, now: Date) {
  return account
    ? {
        accountInfo: JSON.stringify({
          id: account.id,
          name: account.name,
          currency: account.currency,
          timeZone: account.timeZone,
        }),
        accountCheckedAt: now,
      }
    : { accountInfo: null, accountCheckedAt: null };
}

export const makeListDataSources = (deps: ApiDeps) =>
  projectHandler(
    listDataSourcesRoute,
    async ({ params }, scope) => {
      const rows = await scope.transaction((trx) =>
        trx
          .selectFrom('dataSources')
          .selectAll()
          .where('projectId', '=', params.project_id)
          .orderBy('createdAt')
          .execute(),
      );
      return { status: 200, body: { data_sources: rows.map(toDataSource) } };
    },
    deps,
  );

export const makeCreateDataSource = (deps: ApiDeps) =>
  projectHandler(
    createDataSourceRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      const { credential, account, options } = await checkAgainstCatalog(
        deps,
        scope,
        body.credential_id,
        body.extraction_config,
        meta(input),
      );
      const row = await conflictOnUnique(
        scope.transaction(async (trx) => {
          const scheduleConfig = resolveScheduleConfig(
            body.schedule_config as ScheduleConfig,
            await projectTimezone(trx, params.project_id),
          );
          const inserted = await trx
            .insertInto('dataSources')
            .values({
              organizationId: scope.organizationId,
              projectId: params.project_id,
              credentialId: credential.id,
              platform: credential.platform,
              sourceName: body.source_name,
              extractionConfig: JSON.stringify({ ...body.extraction_config, ...(options ? { options } : {}) }),
              scheduleConfig: JSON.stringify(scheduleConfig),
              ...(body.is_active !== undefined ? { isActive: body.is_active } : {}),
              ...accountColumns(account, deps.clock.now()),
              createdBy: user.userId,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          // the schedule is made inside the transaction: if the registry refuses, no data source is left without one
          const created = {
            ...inserted,
            nextExtractionAt: await applySchedule(trx, deps.schedules, inserted, deps.clock.now()),
          };
          await writeAudit(trx, {
            organizationId: scope.organizationId,
            projectId: params.project_id,
            actorUserId: user.userId,
            action: 'data_source.created',
            targetType: 'data_source',
            targetId: created.id,
            details: { platform: created.platform, source_name: created.sourceName },
            request: meta(input),
          });
          return created;
        }),
        'A data source with this name already exists in the project',
      );
      return { status: 201, body: toDataSource(row) };
    },
    deps,
  );

export const makeGetDataSource = (deps: ApiDeps) =>
  projectHandler(
    getDataSourceRoute,
    async ({ params }, scope) => {
      const row = await scope.transaction((trx) => loadSource(trx, params.project_id, params.source_id));
      return { status: 200, body: toDataSource(row) };
    },
    deps,
  );

export const makeUpdateDataSource = (deps: ApiDeps) =>
  projectHandler(
    updateDataSourceRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      const existing = await scope.transaction((trx) => loadSource(trx, params.project_id, params.source_id));
      const checked = body.extraction_config
        ? await checkAgainstCatalog(deps, scope, existing.credentialId, body.extraction_config, meta(input))
        : undefined;
      const row = await conflictOnUnique(
        scope.transaction(async (trx) => {
          const scheduleConfig =
            body.schedule_config !== undefined
              ? resolveScheduleConfig(
                  body.schedule_config as ScheduleConfig,
                  await projectTimezone(trx, params.project_id),
                )
              : undefined;
          const changed = await trx
            .updateTable('dataSources')
            .set({
              ...(body.source_name !== undefined ? { sourceName: body.source_name } : {}),
              ...(body.extraction_config !== undefined
                ? {
                    extractionConfig: JSON.stringify({
                      ...body.extraction_config,
                      ...(checked?.options ? { options: checked.options } : {}),
                    }),
                  }
                : {}),
              ...(checked ? accountColumns(checked.account, deps.clock.now()) : {}),
              ...(scheduleConfig !== undefined ? { scheduleConfig: JSON.stringify(scheduleConfig) } : {}),
              ...(body.is_active !== undefined ? { isActive: body.is_active } : {}),
            })
            .where('id', '=', existing.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          // a new schedule, or the source enabled or disabled: the registry follows in the same transaction
          const updated =
            body.schedule_config !== undefined || body.is_active !== undefined
              ? { ...changed, nextExtractionAt: await applySchedule(trx, deps.schedules, changed, deps.clock.now()) }
              : changed;
          await writeAudit(trx, {
            organizationId: scope.organizationId,
            projectId: params.project_id,
            actorUserId: user.userId,
            action: 'data_source.updated',
            targetType: 'data_source',
            targetId: existing.id,
            details: { fields: Object.keys(body) },
            request: meta(input),
          });
          return updated;
        }),
        'A data source with this name already exists in the project',
      );
      return { status: 200, body: toDataSource(row) };
    },
    deps,
  );

export const makeDeleteDataSource = (deps: ApiDeps) =>
  projectHandler(
    deleteDataSourceRoute,
    async (input, scope) => {
      const { params, user } = input;
      await scope.transaction(async (trx) => {
        const existing = await loadSource(trx, params.project_id, params.source_id);
        await trx.deleteFrom('dataSources').where('id', '=', existing.id).execute();
        await deps.schedules.remove(existing.id);
        await writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'data_source.deleted',
          targetType: 'data_source',
          targetId: existing.id,
          request: meta(input),
        });
      });
      return { status: 204 };
    },
    deps,
  );

export const makeExtractDataSource = (deps: ApiDeps) =>
  projectHandler(
    extractDataSourceRoute,
    async (input, scope) => {
      const { params, body, user } = input;
      // 404 for another project's source before anything starts; startExtractionRun checks is_active and
      // refuses a second concurrent run (409 with the running job's id, from the partial unique index)
      const source = await scope.transaction((trx) => loadSource(trx, params.project_id, params.source_id));
      const backfill =
        body.window_start || body.window_end
          ? { start: body.window_start ?? body.window_end!, end: body.window_end ?? body.window_start! }
          : undefined;
      // what is wrong with the window is said before whether a run is already going (409)
      if (backfill) checkRequestedWindow(backfill, deps.findConnector(source.platform as Platform), new Date());
      const started = await startExtractionRun(deps, {
        dataSourceId: source.id,
        organizationId: scope.organizationId,
        trigger: backfill ? 'backfill' : 'manual',
        requestedBy: user.userId,
        ...(backfill ? { backfill } : {}),
      });
      await scope.transaction((trx) =>
        writeAudit(trx, {
          organizationId: scope.organizationId,
          projectId: params.project_id,
          actorUserId: user.userId,
          action: 'data_source.extraction_requested',
          targetType: 'extraction_job',
          targetId: started.jobId,
          details: { data_source_id: source.id },
          request: meta(input),
        }),
      );
      return { status: 202, body: { job_id: started.jobId, status: 'pending' } };
    },
    deps,
  );

export const makeDataSourceStatus = (deps: ApiDeps) =>
  projectHandler(
    dataSourceStatusRoute,
    async ({ params }, scope) => {
      const body = await scope.transaction(async (trx) => {
        const source = await loadSource(trx, params.project_id, params.source_id);
        const jobs = await trx
          .selectFrom('extractionJobs')
          .selectAll()
          .where('dataSourceId', '=', source.id)
          .orderBy('createdAt', 'desc')
          .limit(10)
          .execute();
        return { data_source: toDataSource(source), jobs: jobs.map(toJob) };
      });
      return { status: 200, body };
    },
    deps,
  );

export const makeGetExtractionJob = (deps: ApiDeps) =>
  projectHandler(
    getExtractionJobRoute,
    async ({ params }, scope) => {
      const body = await scope.transaction(async (trx) => {
        const source = await loadSource(trx, params.project_id, params.source_id);
        const job = await findRunOfSource(trx, source.id, params.job_id);
        if (!job) throw new NotFoundError('Run', params.job_id);
        const items = await listWorkItemDetails(trx, job.id);
        const known = toDataSource(source).account;
        const accountId = String((source.extractionConfig as { account_id?: unknown })?.account_id ?? '');
        const ctx = {
          credentialId: source.credentialId,
          account: known ? { id: known.id, name: known.name } : { id: accountId, name: accountId },
          nextRunAt: source.nextExtractionAt,
        };
        const ended = job.completedAt ? new Date(job.completedAt) : null;
        const started = job.startedAt ? new Date(job.startedAt) : null;
        return {
          job: {
            ...toJob(job),
            rows_unchanged: Number(job.rowsUnchanged),
            duration_ms: started && ended ? ended.getTime() - started.getTime() : null,
            problem: ['failed', 'partial'].includes(job.status)
              ? classifyProblem({ status: job.status, errorCode: job.errorCode, errorMessage: job.errorMessage }, ctx)
              : null,
          },
          items: items.map((i) => toWorkItem(i, ctx)),
          restatements: {
            currency: known?.currency ?? null,
            days: restatementDays(runRestatements(job, items)),
          },
        };
      });
      return { status: 200, body };
    },
    deps,
  );

export function dataSourceRoutes(deps: ApiDeps): BoundRoute[] {
  return [
    { route: listDataSourcesRoute, handler: makeListDataSources(deps) },
    { route: createDataSourceRoute, handler: makeCreateDataSource(deps) },
    { route: getDataSourceRoute, handler: makeGetDataSource(deps) },
    { route: updateDataSourceRoute, handler: makeUpdateDataSource(deps) },
    { route: deleteDataSourceRoute, handler: makeDeleteDataSource(deps) },
    { route: extractDataSourceRoute, handler: makeExtractDataSource(deps) },
    { route: dataSourceStatusRoute, handler: makeDataSourceStatus(deps) },
    { route: getExtractionJobRoute, handler: makeGetExtractionJob(deps) },
  ];
}
